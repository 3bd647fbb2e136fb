package runner

import (
	"context"
	"fmt"

	"github.com/evsim/evsim/model"
)

// TrainConfig says what to train on and how. The zero value trains on nothing: Train
// returns an error naming the first field that is missing (Set, Engine, Regime).
type TrainConfig struct {
	Set    Dataset
	Start  int // position of the first image in the training sequence (images seen so far)
	Count  int // images to train on
	Seed   uint64
	Engine EngineSpec
	Regime model.Regime // usually model.Awake()
	// Workers is how many goroutines share each spike's fan-out over the neurons of the
	// one network (engines that support it: event.Engine.SetWorkers); 0 or 1: one. The
	// result is the same for every value.
	Workers int
	// Progress, if not nil, is called after each image with the number done so far.
	Progress func(done int)
}

// TrainStats summarizes a training run.
type TrainStats struct {
	Images        int   `json:"images"`
	Presentations int   `json:"presentations"` // including repeats at higher intensity
	GaveUp        int   `json:"gave_up"`       // images still below MinSpikes at MaxIntensity
	Spikes        int64 `json:"spikes"`        // excitatory spikes in the accepted presentations
	// InputSpikes counts the input spikes of every presentation: the simulation's work.
	InputSpikes  int64   `json:"input_spikes"`
	MaxIntensity float64 `json:"max_intensity"` // the highest intensity an image needed
}

// Train presents cfg.Count training images to net with plasticity, following Diehl &
// Cook: normalize the input weights, present for 350 ms then rest 150 ms, and if fewer
// than MinSpikes excitatory spikes came, raise the intensity by 1 and show the image again.
// Image k of the sequence is cfg.Set.Image(k mod Len). It stops early, with ctx's error,
// when ctx is cancelled; the images completed are in the stats. An image whose length is
// not net.NIn stops it with an error.
func Train(ctx context.Context, net *model.Network, cfg TrainConfig) (TrainStats, error) {
	var st TrainStats
	if err := checkNet(net); err != nil {
		return st, err
	}
	if isNil(cfg.Set) || cfg.Set.Len() == 0 {
		return st, fmt.Errorf("runner: no training images (TrainConfig.Set is empty)")
	}
	if cfg.Count < 0 || cfg.Start < 0 {
		return st, fmt.Errorf("runner: TrainConfig.Start %d and Count %d: must be >= 0", cfg.Start, cfg.Count)
	}
	// One engine per stretch of the sequence with one regime: the warm-up images, then the
	// rest. The network's state lives in net, so a new engine continues where the last left.
	engRegime := cfg.Regime.ForImage(cfg.Start)
	eng, err := newTrainEngine(net, cfg, engRegime)
	if err != nil {
		return st, err
	}
	var in inputs
	var scratch []float64
	counts := make([]int32, net.NExc)
	for k := range cfg.Count {
		if err := ctx.Err(); err != nil {
			return st, err
		}
		pos := cfg.Start + k
		if r := cfg.Regime.ForImage(pos); r != engRegime {
			if eng, err = newTrainEngine(net, cfg, r); err != nil {
				return st, err
			}
			engRegime = r
		}
		img := cfg.Set.Image(pos % cfg.Set.Len())
		if err := checkImage("training image", pos%cfg.Set.Len(), img, net.NIn); err != nil {
			return st, err
		}
		intensity := StartIntensity
		for attempt := 0; ; attempt++ {
			if cfg.Regime.ColumnSum > 0 {
				net.NormalizeColumns(cfg.Regime.ColumnSum, scratch)
			}
			tr := in.Trial(img, intensity, imageRNG(cfg.Seed, streamTrain, pos, attempt))
			if err := eng.Present(tr, counts); err != nil {
				return st, fmt.Errorf("runner: training image %d: %w", pos, err)
			}
			st.Presentations++
			st.InputSpikes += int64(len(tr.Inputs))
			st.MaxIntensity = max(st.MaxIntensity, intensity)
			if n := sum(counts); n >= MinSpikes {
				st.Spikes += n
				break
			}
			if intensity += 1; intensity > MaxIntensity {
				st.GaveUp++
				break
			}
		}
		st.Images++
		if cfg.Progress != nil {
			cfg.Progress(st.Images)
		}
	}
	return st, nil
}

// newTrainEngine builds cfg's engine over net with regime r and cfg.Workers.
func newTrainEngine(net *model.Network, cfg TrainConfig, r model.Regime) (Engine, error) {
	eng, err := cfg.Engine.New(net, r)
	if err != nil {
		return nil, err
	}
	if p, ok := eng.(interface{ SetWorkers(int) }); ok {
		p.SetWorkers(cfg.Workers)
	}
	return eng, nil
}

func sum(c []int32) int64 {
	var s int64
	for _, v := range c {
		s += int64(v)
	}
	return s
}

// checkNet returns an error for a nil network or one whose arrays do not match its sizes.
func checkNet(net *model.Network) error {
	if net == nil {
		return fmt.Errorf("runner: nil network")
	}
	return net.Check()
}
