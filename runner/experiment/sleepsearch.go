package experiment

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/evsim/evsim/runner"

	"github.com/evsim/evsim/analysis"
	"github.com/evsim/evsim/model"
	"github.com/evsim/evsim/runner/mnist"
)

// SearchSpace lists the values to try for each sleep parameter (grid, or random samples
// from the grid).
type SearchSpace struct {
	Gain, Leak, Exc, Inh, DurationMS []float64
}

// Size is the number of grid points.
func (s SearchSpace) Size() int {
	return len(s.Gain) * len(s.Leak) * len(s.Exc) * len(s.Inh) * len(s.DurationMS)
}

// point returns grid point k.
func (s SearchSpace) point(k int, base runner.SleepConfig) runner.SleepConfig {
	c := base
	pick := func(v []float64) float64 { x := v[k%len(v)]; k /= len(v); return x }
	c.InputGain = pick(s.Gain)
	c.Changes.LeakScale = pick(s.Leak)
	c.Changes.ExcGain = pick(s.Exc)
	c.Changes.InhScale = pick(s.Inh)
	c.DurationMS = pick(s.DurationMS)
	return c
}

// SearchConfig is a sleep-parameter search on a validation split of the training images:
// labels come from the first Label training images, accuracy from the Validation images
// at the end of the training set. The test set is never used.
type SearchConfig struct {
	Nets       []*runner.Snapshot // one trained network per seed
	Space      SearchSpace
	Base       runner.SleepConfig // everything the space does not set (STDP, threshold rule, ...)
	Samples    int                // 0: the whole grid; otherwise that many random grid points
	Label      int
	Validation int
	Set        *mnist.Set // the training set
	Engine     runner.EngineSpec
	Workers    int
	Seed       uint64
	Progress   func(done, total int)
}

// SearchRow is one parameter set's outcome over the seeds.
type SearchRow struct {
	Gain       float64 `json:"input_gain"`
	Leak       float64 `json:"leak_scale"`
	Exc        float64 `json:"exc_gain"`
	Inh        float64 `json:"inh_scale"`
	DurationMS float64 `json:"duration_ms"`
	// The base configuration's rules and step-size scales (the same in every row).
	STDP           bool      `json:"stdp"`
	Threshold      bool      `json:"threshold_rule"`
	PotScale       float64   `json:"stdp_potentiation_scale"`
	DepScale       float64   `json:"stdp_depression_scale"`
	ThetaPlusScale float64   `json:"theta_plus_scale"`
	Before         []float64 `json:"validation_before"`
	After          []float64 `json:"validation_after"`
	MeanGain       float64   `json:"mean_gain"`
	SDGain         float64   `json:"sd_gain"`
	RateHz         float64   `json:"mean_sleep_rate_hz"`
	Error          string    `json:"error,omitempty"` // e.g. a runaway regime
}

// SearchSleep evaluates sleep parameter sets on the validation split and returns them
// sorted by mean validation gain (best first).
func SearchSleep(ctx context.Context, cfg SearchConfig) ([]SearchRow, error) {
	if cfg.Label+cfg.Validation > cfg.Set.Len() {
		return nil, fmt.Errorf("runner: %d labelling + %d validation images exceed the %d training images", cfg.Label, cfg.Validation, cfg.Set.Len())
	}
	val := cfg.Set.Last(cfg.Validation)
	accuracy := func(net *model.Network, r model.Regime, seed uint64) (float64, error) {
		ev := runner.Evaluator{Engine: cfg.Engine, Seed: seed, Workers: cfg.Workers}
		labels, err := ev.Label(ctx, net, r, cfg.Set, cfg.Label)
		if err != nil {
			return 0, err
		}
		sc, err := ev.Score(ctx, net, r, labels, val, val.Len())
		return sc.Accuracy, err
	}
	before := make([]float64, len(cfg.Nets))
	for k, s := range cfg.Nets {
		var err error
		if before[k], err = accuracy(s.Net, s.Meta.Regime, s.Meta.Seed); err != nil {
			return nil, err
		}
	}
	points := make([]int, cfg.Space.Size())
	for k := range points {
		points[k] = k
	}
	if cfg.Samples > 0 && cfg.Samples < len(points) {
		rng := rand.New(rand.NewPCG(cfg.Seed, 0x51ee9))
		rng.Shuffle(len(points), func(a, b int) { points[a], points[b] = points[b], points[a] })
		points = points[:cfg.Samples]
		slices.Sort(points)
	}
	var rows []SearchRow
	for done, p := range points {
		sc := cfg.Space.point(p, cfg.Base)
		row := SearchRow{Gain: sc.InputGain, Leak: sc.Changes.LeakScale, Exc: sc.Changes.ExcGain, Inh: sc.Changes.InhScale, DurationMS: sc.DurationMS, Before: before,
			STDP: sc.Changes.STDP, Threshold: sc.Changes.Threshold, PotScale: sc.Changes.PotScale, DepScale: sc.Changes.DepScale, ThetaPlusScale: sc.Changes.ThetaPlusScale}
		var gains []float64
		for k, s := range cfg.Nets {
			net := s.Net.Clone()
			c := sc
			c.Mean = runner.MeanImage(cfg.Set, min(s.Meta.ImagesSeen, cfg.Set.Len()))
			c.Seed, c.Engine, c.Awake = s.Meta.Seed, cfg.Engine, s.Meta.Regime
			st, err := runner.Sleep(ctx, net, c)
			if err != nil {
				if ctx.Err() != nil {
					return nil, err
				}
				row.Error = err.Error()
				break
			}
			row.RateHz += st.MeanRateHz / float64(len(cfg.Nets))
			a, err := accuracy(net, s.Meta.Regime, s.Meta.Seed)
			if err != nil {
				return nil, err
			}
			row.After = append(row.After, a)
			gains = append(gains, a-before[k])
		}
		row.MeanGain, row.SDGain = analysis.MeanSD(gains)
		rows = append(rows, row)
		if cfg.Progress != nil {
			cfg.Progress(done+1, len(points))
		}
	}
	slices.SortStableFunc(rows, func(a, b SearchRow) int {
		switch {
		case a.Error != "" && b.Error == "":
			return 1
		case a.Error == "" && b.Error != "":
			return -1
		case a.MeanGain > b.MeanGain:
			return -1
		case a.MeanGain < b.MeanGain:
			return 1
		}
		return 0
	})
	return rows, nil
}
