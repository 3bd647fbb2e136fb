package runner_test

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/evsim/evsim/analysis"
	"github.com/evsim/evsim/model"
	"github.com/evsim/evsim/runner"
)

// bars is a synthetic two-class data set of 28x28 images: a vertical bar (class 0) or a
// horizontal bar (class 1), 4 pixels wide, at one of six positions starting at offset.
// Any type with these three methods is a runner.Dataset.
type bars struct {
	n, offset int
}

const side = 28

func (b bars) Len() int          { return b.n }
func (b bars) Label(i int) uint8 { return uint8(i % 2) }
func (b bars) Image(i int) []uint8 {
	img := make([]uint8, side*side)
	at := b.offset + 4*(i/2%6)
	for y := range side {
		for x := range side {
			if c := [2]int{x, y}[i%2]; c >= at && c < at+4 {
				img[y*side+x] = 255
			}
		}
	}
	return img
}

var _ runner.Dataset = bars{}

// trained returns a network of nExc neurons trained on 60 bar images, with labels from
// the first 40 of them.
func trained(ctx context.Context, nExc int, ev runner.Evaluator, r model.Regime) (*model.Network, []int, error) {
	train := bars{n: 60, offset: 2}
	net := runner.NewNetwork(side*side, nExc, ev.Seed)
	_, err := runner.Train(ctx, net, runner.TrainConfig{Set: train, Count: train.Len(), Seed: ev.Seed, Engine: ev.Engine, Regime: r})
	if err != nil {
		return nil, nil, err
	}
	labels, err := ev.Label(ctx, net, r, train, 40)
	return net, labels, err
}

// Train a few neurons with STDP on a synthetic data set, label them from training
// images and score them on bars at positions they never saw.
func ExampleTrain() {
	ctx := context.Background()
	const nExc = 8
	r := model.AwakeN(nExc)
	ev := runner.Evaluator{Engine: runner.EngineSpec{Kind: "event"}, Seed: 1}

	train := bars{n: 60, offset: 2}
	net := runner.NewNetwork(side*side, nExc, ev.Seed)
	st, err := runner.Train(ctx, net, runner.TrainConfig{Set: train, Count: train.Len(), Seed: ev.Seed, Engine: ev.Engine, Regime: r})
	if err != nil {
		fmt.Println(err)
		return
	}
	labels, err := ev.Label(ctx, net, r, train, 40)
	if err != nil {
		fmt.Println(err)
		return
	}
	test := bars{n: 40, offset: 4}
	sc, err := ev.Score(ctx, net, r, labels, test, test.Len())
	if err != nil {
		fmt.Println(err)
		return
	}
	perClass := map[int]int{}
	for _, y := range labels {
		perClass[y]++
	}
	fmt.Println("trained on", st.Images, "images")
	fmt.Println("neurons per class:", perClass[0], perClass[1], "unassigned:", perClass[analysis.Unassigned])
	fmt.Printf("accuracy on shifted bars: %.1f\n", sc.Accuracy)
	// Output:
	// trained on 60 images
	// neurons per class: 5 3 unassigned: 0
	// accuracy on shifted bars: 0.8
}

// Sleep a trained network with the validated sleep, shortened to 2 s of simulated time,
// then relabel it and score it again, on the time-stepped engine.
func ExampleSleep() {
	ctx := context.Background()
	const nExc = 8
	r := model.AwakeN(nExc)
	ev := runner.Evaluator{Engine: runner.EngineSpec{Kind: "stepped", Dt: 0.5}, Seed: 2}
	net, labels, err := trained(ctx, nExc, ev, r)
	if err != nil {
		fmt.Println(err)
		return
	}
	train, test := bars{n: 60, offset: 2}, bars{n: 40, offset: 4}
	before, err := ev.Score(ctx, net, r, labels, test, test.Len())
	if err != nil {
		fmt.Println(err)
		return
	}

	cfg := runner.ValidatedSleep()
	cfg.DurationMS = 2000
	cfg.Mean = runner.MeanImage(train, train.Len()) // the sleep input: the mean training image
	cfg.Seed, cfg.Engine, cfg.Awake = ev.Seed, ev.Engine, r
	st, err := runner.Sleep(ctx, net, cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	if labels, err = ev.Label(ctx, net, r, train, 40); err != nil {
		fmt.Println(err)
		return
	}
	after, err := ev.Score(ctx, net, r, labels, test, test.Len())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("slept %.0f ms: %d of %d thresholds rose\n", st.DurationMS, st.ThetaRose, nExc)
	fmt.Printf("accuracy: %.1f before sleep, %.1f after\n", before.Accuracy, after.Accuracy)
	// Output:
	// slept 2000 ms: 8 of 8 thresholds rose
	// accuracy: 0.7 before sleep, 0.7 after
}

// Present one image to a network through either engine, by name. Both start from copies
// of the same network and see the same input spikes.
func ExampleEngineSpec() {
	net := runner.NewNetwork(side*side, 6, 3)
	rates := runner.Rates(nil, bars{n: 1, offset: 10}.Image(0), 4) // pixel/8 · 4 Hz
	var tr model.Trial
	tr.Inputs, _ = model.Poisson(nil, nil, rates, runner.PresentationMS, rand.New(rand.NewPCG(3, 3)))
	tr.Duration, tr.Rest = runner.PresentationMS, runner.RestMS
	for _, spec := range []runner.EngineSpec{{Kind: "event"}, {Kind: "stepped", Dt: 0.5}} {
		eng, err := spec.New(net.Clone(), model.AwakeN(6).Frozen())
		if err != nil {
			fmt.Println(err)
			return
		}
		counts := make([]int32, 6)
		if err := eng.Present(&tr, counts); err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(spec, counts)
	}
	_, err := runner.EngineSpec{}.New(net, model.Awake())
	fmt.Println(err)
	// Output:
	// event [0 0 0 24 0 0]
	// stepped(dt=0.5) [0 0 0 24 0 0]
	// runner: unknown engine (EngineSpec.Kind ""): use "event" or "stepped"
}
