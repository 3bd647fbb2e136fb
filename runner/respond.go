package runner

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/evsim/evsim/analysis"
	"github.com/evsim/evsim/model"
)

// RespondConfig says which images to present to a frozen network. Set, Engine and a
// frozen Regime are required (Responses returns an error without them); Seed, Stream,
// Workers and Progress may be left zero.
type RespondConfig struct {
	Set     Dataset
	Count   int // the first Count images of Set
	Seed    uint64
	Stream  uint64 // StreamLabel or StreamTest: labelling and testing draw different spikes
	Engine  EngineSpec
	Regime  model.Regime // frozen (plasticity, threshold rule, normalization off)
	Workers int          // 0: GOMAXPROCS
	// Slots, if not nil, bounds the presentations running at once across every call that
	// shares it: a worker takes a slot before each image and gives it back after, so that
	// concurrent jobs can share the cores. The caller must not hold one of its slots during
	// the call (it would wait for itself). A worker copies the network only once it has
	// its first slot. It does not change the result.
	Slots Slots
	// Progress, if not nil, is called (from any worker) with the number of images done.
	Progress func(done int)
}

// Slots bound the jobs that run at once: one slot per core, shared by the jobs that
// take them (make(Slots, n) makes n). A nil Slots bounds nothing.
type Slots chan struct{}

// Take waits for a free slot, or for ctx to end (its error). A nil Slots returns at once.
func (s Slots) Take(ctx context.Context) error {
	if s == nil {
		return nil
	}
	select {
	case s <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Give frees the slot of a Take.
func (s Slots) Give() {
	if s != nil {
		<-s
	}
}

// Responses presents images to copies of net with plasticity and thresholds frozen and
// returns each image's spike counts (of the accepted presentation: Diehl & Cook's intensity
// rule applies here too). Every image starts from the resting state, so the images are
// independent: they are spread over Workers goroutines, each with its own copy of net,
// and the result does not depend on the number of workers. net is not modified. An image
// whose length is not net.NIn stops it with an error.
func Responses(ctx context.Context, net *model.Network, cfg RespondConfig) ([][]int32, error) {
	if err := checkNet(net); err != nil {
		return nil, err
	}
	if cfg.Regime.Plastic || cfg.Regime.AdaptTheta || cfg.Regime.ColumnSum > 0 {
		return nil, fmt.Errorf("runner: responses need a frozen regime (got %q with plasticity, thresholds or normalization on)", cfg.Regime.Name)
	}
	if isNil(cfg.Set) {
		return nil, fmt.Errorf("runner: no images (RespondConfig.Set is nil)")
	}
	if cfg.Count < 0 || cfg.Count > cfg.Set.Len() {
		return nil, fmt.Errorf("runner: %d images requested, the set holds %d", cfg.Count, cfg.Set.Len())
	}
	if cfg.Count == 0 {
		return [][]int32{}, nil
	}
	workers := cfg.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = max(1, min(workers, cfg.Count))
	out := make([][]int32, cfg.Count)
	flat := make([]int32, cfg.Count*net.NExc)
	for k := range out {
		out[k] = flat[k*net.NExc : (k+1)*net.NExc : (k+1)*net.NExc]
	}
	var next, done atomic.Int64
	var wg sync.WaitGroup
	errs := make([]error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine *model.Network // copied at the first image this worker presents
			var eng Engine
			var in inputs
			// present shows image k (again at a higher intensity while it draws fewer than
			// MinSpikes spikes) and writes its counts into out[k].
			present := func(k int, img []uint8) error {
				if mine == nil {
					mine = net.Clone()
					var err error
					if eng, err = cfg.Engine.New(mine, cfg.Regime); err != nil {
						return err
					}
				}
				intensity := StartIntensity
				for attempt := 0; ; attempt++ {
					toRest(mine)
					tr := in.Trial(img, intensity, imageRNG(cfg.Seed, cfg.Stream, k, attempt))
					if err := eng.Present(tr, out[k]); err != nil {
						return fmt.Errorf("runner: image %d: %w", k, err)
					}
					if sum(out[k]) >= MinSpikes {
						return nil
					}
					if intensity += 1; intensity > MaxIntensity {
						return nil
					}
				}
			}
			for {
				k := int(next.Add(1) - 1)
				if k >= cfg.Count || ctx.Err() != nil {
					return
				}
				img := cfg.Set.Image(k)
				if err := checkImage("image", k, img, net.NIn); err != nil {
					errs[w] = err
					return
				}
				if cfg.Slots.Take(ctx) != nil {
					return // the context's error is returned below
				}
				err := present(k, img)
				cfg.Slots.Give()
				if err != nil {
					errs[w] = err
					return
				}
				if d := done.Add(1); cfg.Progress != nil {
					cfg.Progress(int(d))
				}
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// toRest puts every membrane and current at rest and clears refractoriness;
// weights and thresholds are untouched.
func toRest(n *model.Network) {
	clear(n.U)
	clear(n.I)
	clear(n.UI)
	clear(n.II)
	clear(n.RefEnd)
	clear(n.RefEndI)
}

// Evaluator labels and scores frozen networks the Diehl & Cook way: labels from the mean
// responses to training images, then classification of other images by those labels.
// Labelling and scoring draw their input spikes from different streams. Engine is
// required (the zero EngineSpec is refused with an error); Seed, Workers and Progress may
// be zero.
type Evaluator struct {
	Engine  EngineSpec
	Seed    uint64
	Workers int
	Slots   Slots // see RespondConfig.Slots
	// Progress, if not nil, is called with the images done in the current call.
	Progress func(done int)
}

// Label assigns each neuron of net the class of its highest mean response to the first n
// images of set, under regime r frozen: a slice of NExc classes, analysis.Unassigned for a
// neuron that never fired.
func (ev Evaluator) Label(ctx context.Context, net *model.Network, r model.Regime, set Dataset, n int) ([]int, error) {
	ys, err := ev.labels(set, n)
	if err != nil {
		return nil, err
	}
	counts, err := Responses(ctx, net, RespondConfig{Set: set, Count: n, Seed: ev.Seed, Stream: StreamLabel, Engine: ev.Engine, Regime: r.Frozen(), Workers: ev.Workers, Slots: ev.Slots, Progress: ev.Progress})
	if err != nil {
		return nil, err
	}
	return analysis.Assign(counts, ys, Classes)
}

// Score classifies the first n images of set with labels (one class per neuron of net,
// from Label) and scores the result.
func (ev Evaluator) Score(ctx context.Context, net *model.Network, r model.Regime, labels []int, set Dataset, n int) (analysis.Score, error) {
	if net != nil && len(labels) != net.NExc {
		return analysis.Score{}, fmt.Errorf("runner: %d neuron labels for %d neurons", len(labels), net.NExc)
	}
	for j, y := range labels {
		if y < analysis.Unassigned || y >= Classes {
			return analysis.Score{}, fmt.Errorf("runner: neuron %d has label %d, want 0..%d or %d (unassigned)", j, y, Classes-1, analysis.Unassigned)
		}
	}
	ys, err := ev.labels(set, n)
	if err != nil {
		return analysis.Score{}, err
	}
	counts, err := Responses(ctx, net, RespondConfig{Set: set, Count: n, Seed: ev.Seed, Stream: StreamTest, Engine: ev.Engine, Regime: r.Frozen(), Workers: ev.Workers, Slots: ev.Slots, Progress: ev.Progress})
	if err != nil {
		return analysis.Score{}, err
	}
	return analysis.Evaluate(counts, ys, labels), nil
}

// labels checks set and n and returns the first n labels of set.
func (ev Evaluator) labels(set Dataset, n int) ([]uint8, error) {
	if isNil(set) {
		return nil, fmt.Errorf("runner: no images (the data set is nil)")
	}
	if n < 0 || n > set.Len() {
		return nil, fmt.Errorf("runner: %d images requested, the set holds %d", n, set.Len())
	}
	return labelsOf(set, n)
}
