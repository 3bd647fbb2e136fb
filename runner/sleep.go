package runner

import (
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/evsim/evsim/model"
)

// MaxEventRate bounds the input spikes per simulated second that a regime may ask for:
// 2·10^6/s is about ten times the awake protocol at its highest intensity. Past it a run
// is stopped with an error that names the parameter to lower, instead of running for hours.
const MaxEventRate = 2e6

// SleepBlockMS is the length of one sleep trial; sleep runs as consecutive blocks with no
// rest in between, so the dynamics are continuous across them.
const SleepBlockMS = 500.0

// SleepConfig is a sleep phase: the regime changes, the input and its duration. Start
// from DefaultSleep or ValidatedSleep and fill in Mean, Seed, Engine and Awake: the zero
// value is refused by Sleep with an error (its LeakScale and DurationMS are 0).
type SleepConfig struct {
	Changes    model.SleepChanges
	InputGain  float64 // Poisson rates = mean image pixel/8 · StartIntensity · InputGain
	DurationMS float64
	StartMS    float64   // sleep already done (a resumed run): continue from this block
	Mean       []float64 // the mean image (MeanImage): one value in [0, 255] per network input
	Seed       uint64
	Engine     EngineSpec
	Awake      model.Regime // the network's awake regime
	// Workers: goroutines sharing each spike's fan-out, as TrainConfig.Workers (0 or 1:
	// one). The result is the same for every value.
	Workers  int
	Progress func(doneMS float64)
	// A continued sleep (StartMS > 0): Before is the network as the sleep began (its Theta
	// and W; the statistics are measured against it) and Prior the statistics of the part
	// already done. Both are ignored when StartMS is 0.
	Before *model.Network
	Prior  SleepStats
}

// SleepStats summarizes a sleep.
type SleepStats struct {
	DurationMS   float64    `json:"duration_ms"`
	ExcSpikes    int64      `json:"exc_spikes"`
	MeanRateHz   float64    `json:"mean_exc_rate_hz"` // per excitatory neuron during sleep
	InputSpikes  int64      `json:"input_spikes"`
	ThetaRose    int        `json:"thresholds_rose"`
	ThetaFell    int        `json:"thresholds_fell"`
	ThetaSame    int        `json:"thresholds_unchanged"`
	MeanDTheta   float64    `json:"mean_theta_change_mv"`
	WeightChange float64    `json:"total_abs_weight_change"`
	WeightSum    [2]float64 `json:"weight_sum_before_after"`
}

// MeanImage is the pixel-wise mean of the first count images of set (all of them if count
// exceeds its length): the sleep input "based on the statistics of the MNIST input". It is
// nil, which Sleep refuses with an error, when there is no image to average (set nil or
// empty, count <= 0) or when the images differ in length.
func MeanImage(set Dataset, count int) []float64 {
	if isNil(set) {
		return nil
	}
	count = min(count, set.Len())
	if count <= 0 {
		return nil
	}
	m := make([]float64, len(set.Image(0)))
	for k := range count {
		img := set.Image(k)
		if len(img) != len(m) {
			return nil
		}
		for i, p := range img {
			m[i] += float64(p)
		}
	}
	for i := range m {
		m[i] /= float64(count)
	}
	return m
}

// Check validates cfg for a network of nIn inputs without running it: the duration, the
// input (its pixels and the event-rate bound MaxEventRate) and the sleep regime built from
// cfg.Awake. Sleep runs the same check first; callers use it to refuse a sleep before
// other work.
func (cfg SleepConfig) Check(nIn int) error {
	_, _, err := cfg.prepare(nIn)
	return err
}

// prepare checks cfg and returns the sleep regime and the input rates.
func (cfg SleepConfig) prepare(nIn int) (model.Regime, []float64, error) {
	var r model.Regime
	if !(cfg.DurationMS > 0) || math.IsInf(cfg.DurationMS, 0) {
		return r, nil, fmt.Errorf("runner: SleepConfig.DurationMS = %v: must be finite and > 0", cfg.DurationMS)
	}
	if !(cfg.StartMS >= 0) || cfg.StartMS > cfg.DurationMS {
		return r, nil, fmt.Errorf("runner: SleepConfig.StartMS = %v: must be in [0, DurationMS = %v]", cfg.StartMS, cfg.DurationMS)
	}
	if !(cfg.InputGain >= 0) || math.IsInf(cfg.InputGain, 0) {
		return r, nil, fmt.Errorf("runner: SleepConfig.InputGain = %v: must be finite and >= 0", cfg.InputGain)
	}
	if len(cfg.Mean) != nIn {
		return r, nil, fmt.Errorf("runner: sleep input (SleepConfig.Mean) has %d pixels, the network %d inputs", len(cfg.Mean), nIn)
	}
	if err := cfg.Changes.Validate(); err != nil {
		return r, nil, err
	}
	r = model.Sleep(cfg.Awake, cfg.Changes)
	if err := r.Validate(); err != nil {
		return r, nil, err
	}
	rates := make([]float64, nIn)
	total := 0.0
	for i, p := range cfg.Mean {
		if !(p >= 0) || math.IsInf(p, 0) {
			return r, nil, fmt.Errorf("runner: sleep input (SleepConfig.Mean) pixel %d = %v: must be finite and >= 0", i, p)
		}
		rates[i] = p / 8 * StartIntensity * cfg.InputGain
		total += rates[i]
	}
	if total > MaxEventRate {
		return r, nil, &RateError{Regime: r.Name, Rate: total, Gain: cfg.InputGain}
	}
	return r, rates, nil
}

// RateError is a sleep whose input exceeds MaxEventRate.
type RateError struct {
	Regime string
	Rate   float64 // input spikes per simulated second
	Gain   float64 // SleepConfig.InputGain
}

func (e *RateError) Error() string {
	return fmt.Sprintf("runner: regime %q: the sleep input would deliver %.3g spikes per simulated second (bound %.0e): lower the sleep input gain (SleepConfig.InputGain = %v) to at most %.3g",
		e.Regime, e.Rate, MaxEventRate, e.Gain, e.Gain*MaxEventRate/e.Rate)
}

// Sleep runs the sleep regime on net in place. A sleep stopped by ctx returns its
// statistics so far (DurationMS: the ms done) with ctx's error; to continue it, call Sleep
// again with StartMS = that duration, Prior = those statistics and Before = the network
// as the sleep began: the result is then bit-identical to one uninterrupted sleep, and so
// are the statistics, which cover the whole sleep.
func Sleep(ctx context.Context, net *model.Network, cfg SleepConfig) (SleepStats, error) {
	st := SleepStats{DurationMS: cfg.DurationMS}
	if err := checkNet(net); err != nil {
		return st, err
	}
	r, rates, err := cfg.prepare(net.NIn)
	if err != nil {
		return st, err
	}
	before := cfg.Before
	if before == nil {
		if cfg.StartMS > 0 {
			return st, fmt.Errorf("runner: SleepConfig.Before is nil for a continued sleep (StartMS = %v): the statistics need the network as the sleep began", cfg.StartMS)
		}
		before = &model.Network{NIn: net.NIn, NExc: net.NExc, Theta: slices.Clone(net.Theta), W: slices.Clone(net.W)}
	}
	if len(before.Theta) != net.NExc || len(before.W) != len(net.W) {
		return st, fmt.Errorf("runner: SleepConfig.Before has %d neurons and %d weights, the network %d and %d", len(before.Theta), len(before.W), net.NExc, len(net.W))
	}
	eng, err := newTrainEngine(net, TrainConfig{Engine: cfg.Engine, Workers: cfg.Workers}, r)
	if err != nil {
		return st, err
	}
	if cfg.StartMS > 0 {
		st.ExcSpikes, st.InputSpikes = cfg.Prior.ExcSpikes, cfg.Prior.InputSpikes
	}
	counts := make([]int32, net.NExc)
	var tr model.Trial
	var cum []float64
	blocks := int(math.Ceil(cfg.DurationMS / SleepBlockMS))
	first := int(math.Round(cfg.StartMS / SleepBlockMS))
	done := float64(first) * SleepBlockMS
	for b := first; b < blocks; b++ {
		if err := ctx.Err(); err != nil {
			st.DurationMS = done
			return st, err
		}
		d := min(SleepBlockMS, cfg.DurationMS-done)
		tr.Inputs, cum = model.Poisson(tr.Inputs, cum, rates, d, imageRNG(cfg.Seed, streamSleep, b, 0))
		tr.Duration, tr.Rest = d, 0
		if r.ColumnSum > 0 {
			net.NormalizeColumns(r.ColumnSum, nil)
		}
		if err := eng.Present(&tr, counts); err != nil {
			return st, fmt.Errorf("runner: sleep block %d: %w", b, err)
		}
		st.ExcSpikes += sum(counts)
		st.InputSpikes += int64(len(tr.Inputs))
		done += d
		if cfg.Progress != nil {
			cfg.Progress(done)
		}
	}
	st.MeanRateHz = float64(st.ExcSpikes) / float64(net.NExc) / (cfg.DurationMS / 1000)
	for j, t := range net.Theta {
		d := t - before.Theta[j]
		st.MeanDTheta += d / float64(net.NExc)
		switch {
		case d > 0:
			st.ThetaRose++
		case d < 0:
			st.ThetaFell++
		default:
			st.ThetaSame++
		}
	}
	for k, w32 := range net.W {
		w, b := float64(w32), float64(before.W[k])
		st.WeightChange += math.Abs(w - b)
		st.WeightSum[0] += b
		st.WeightSum[1] += w
	}
	return st, nil
}

// DefaultSleep is the sleep phase evsim runs unless told otherwise; the README gives the
// reason for each value.
func DefaultSleep() SleepConfig {
	return SleepConfig{
		Changes:    model.SleepChanges{LeakScale: 2, ExcGain: 2, InhScale: 1, STDP: true, Threshold: true}.AsAwakeRates(),
		InputGain:  1,
		DurationMS: 10000,
	}
}

// ValidatedSleep is the sleep that evsim's validation search ranked best for 400 neurons
// after 1,000 training images (README, "Sleep"): no lateral inhibition, STDP off, the
// threshold rule on with its increment ×2, excitation ×1, leak ×2, 10 s. The paper
// pipeline uses it unless told otherwise.
func ValidatedSleep() SleepConfig {
	c := DefaultSleep()
	c.Changes.InhScale, c.Changes.STDP, c.DurationMS = 0, false, 10000
	c.Changes.ExcGain, c.Changes.ThetaPlusScale = 1, 2
	return c
}

// ReplaySleep is the sleep of the authors' later code with the Replay rule in place of
// STDP, as evsim's validation search chose it for 400 neurons after 1,000 training images
// (docs/sleep-study.md): no lateral inhibition, θ frozen, model.DefaultReplay, input gain
// 0.6, excitation ×1, leak ×2, 20 s. It is the paper's STDP-only sleep (inhibition reduced,
// thresholds fixed) with the sleep rule instead of the awake one.
func ReplaySleep() SleepConfig {
	c := DefaultSleep()
	c.Changes.InhScale, c.Changes.Threshold, c.Changes.ExcGain = 0, false, 1
	c.Changes.Rule, c.Changes.Replay = model.RuleReplay, model.DefaultReplay()
	c.InputGain, c.DurationMS = 0.6, 20000
	return c
}

// DecaySleep is the validated threshold sleep with θ decaying during sleep (τθ = 1 s
// instead of 10^7 ms) and θ+ ×1: a sleep in which thresholds can fall as well as rise
// (Fig. 5B-D). Of the decay sleeps tried on validation data, it is the one with the best
// gain among those in which at least a quarter of the thresholds fell and a quarter rose
// (docs/sleep-study.md).
func DecaySleep() SleepConfig {
	c := ValidatedSleep()
	c.Changes.ThetaPlusScale, c.Changes.TauTheta = 1, 1000
	return c
}
