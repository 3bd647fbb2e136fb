package experiment

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/evsim/evsim/runner"

	"github.com/evsim/evsim/analysis"
	"github.com/evsim/evsim/model"
	"github.com/evsim/evsim/runner/mnist"
)

// PaperConfig is the experiment that reproduces Tadros, Krishnan & Bazhenov 2019 figure by
// figure. Every stage writes its product into Dir and is skipped when that product is
// already there, so an interrupted run resumes where it stopped.
type PaperConfig struct {
	Dir     string
	NExc    int
	Seeds   []uint64
	Levels  []int // training images at which the network is snapshotted, slept and tested
	Label   int   // training images used to assign labels (before and after sleep)
	Test    int   // test images per accuracy
	Distort int   // test images per distortion level (Fig. 4)
	Noise   []float64
	Blur    []float64
	Focus   int // the level of Fig. 4, 5B-D and the ablations (the paper's 1,000 images)
	Engine  runner.EngineSpec
	// The inhibition warm-up of new networks (model.Regime.WarmupImages and WarmupInh).
	WarmupImages int
	WarmupInh    float64
	Sleep        runner.SleepConfig // Changes, InputGain, DurationMS; Mean and Seed are filled in
	Workers      int
	Train        *mnist.Set
	TestSet      *mnist.Set
	// Log, if not nil, receives one line per stage.
	Log func(format string, a ...any)
}

// DefaultPaper is the paper's design: 400 neurons, 5 initializations, training levels from
// 1,000 to 60,000 images, the distortion levels of the authors' own code.
func DefaultPaper() PaperConfig {
	awake := model.Awake()
	return PaperConfig{
		NExc:         400,
		WarmupImages: awake.WarmupImages,
		WarmupInh:    awake.WarmupInh,
		Seeds:        []uint64{1, 2, 3, 4, 5},
		Levels:       []int{1000, 2000, 5000, 10000, 20000, 40000, 60000},
		Label:        5000,
		Test:         5000,
		Distort:      1000,
		Noise:        []float64{0, 0.1, 0.3, 0.5, 0.7, 0.9},
		Blur:         []float64{0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4},
		Focus:        1000,
		Engine:       runner.EngineSpec{Kind: "event"},
		Sleep:        runner.ValidatedSleep(),
	}
}

// Cell is the outcome for one seed at one training level.
type Cell struct {
	// Config identifies the settings the cell was computed with; a resumed run with other
	// settings recomputes the cell instead of reusing it.
	Config      string            `json:"config"`
	Seed        uint64            `json:"seed"`
	Level       int               `json:"level"`
	Awake       float64           `json:"awake_accuracy"`
	Slept       float64           `json:"slept_accuracy"`
	Sleep       runner.SleepStats `json:"sleep"`
	ThetaChange []float64         `json:"theta_change,omitempty"` // per neuron, at the focus level
	RFVariance  []float64         `json:"rf_variance,omitempty"`  // per neuron, awake receptive field
	NoiseAwake  []float64         `json:"noise_awake,omitempty"`  // accuracy per noise level (focus)
	NoiseSlept  []float64         `json:"noise_slept,omitempty"`
	BlurAwake   []float64         `json:"blur_awake,omitempty"`
	BlurSlept   []float64         `json:"blur_slept,omitempty"`
	Ablation    *Ablation         `json:"ablation,omitempty"` // focus level
	Seconds     float64           `json:"seconds"`
}

// Ablation is the paper's 2x2 of weights x thresholds before/after sleep, plus sleep with
// reduced inhibition and frozen thresholds (STDP only).
type Ablation struct {
	WBeforeThBefore float64 `json:"w_before_th_before"`
	WBeforeThAfter  float64 `json:"w_before_th_after"`
	WAfterThBefore  float64 `json:"w_after_th_before"`
	WAfterThAfter   float64 `json:"w_after_th_after"`
	STDPOnly        float64 `json:"stdp_only_low_inhibition"`
}

// Paper runs (or resumes) the whole experiment and returns one Cell per seed and level.
func Paper(ctx context.Context, cfg PaperConfig) ([]Cell, error) {
	logf := cfg.Log
	if logf == nil {
		logf = func(string, ...any) {}
	}
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("runner: results folder: %w", err)
	}
	// Stage 1: training, one goroutine per seed (sequential levels within a seed).
	var wg sync.WaitGroup
	errs := make([]error, len(cfg.Seeds))
	sem := make(chan struct{}, max(1, runtime.GOMAXPROCS(0)))
	for k, seed := range cfg.Seeds {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			errs[k] = trainLevels(ctx, cfg, seed, logf)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	// Stage 2: per seed and level, label, sleep, relabel, test (each stage uses every core).
	var cells []Cell
	for _, seed := range cfg.Seeds {
		for _, level := range cfg.Levels {
			c, err := cell(ctx, cfg, seed, level, logf)
			if err != nil {
				return nil, err
			}
			cells = append(cells, c)
		}
	}
	return cells, nil
}

func (cfg *PaperConfig) path(seed uint64, name string) string {
	return filepath.Join(cfg.Dir, fmt.Sprintf("seed%d", seed), name)
}

func exists(path string) bool { _, err := os.Stat(path); return err == nil }

// trainLevels trains one seed's network through the levels, snapshotting at each.
func trainLevels(ctx context.Context, cfg PaperConfig, seed uint64, logf func(string, ...any)) error {
	if err := os.MkdirAll(filepath.Dir(cfg.path(seed, "x")), 0o755); err != nil {
		return err
	}
	var snap *runner.Snapshot
	for _, level := range cfg.Levels {
		path := cfg.path(seed, fmt.Sprintf("awake-%d.snap", level))
		if exists(path) {
			snap = nil // loaded lazily if a later level needs training
			continue
		}
		if snap == nil {
			r := model.AwakeN(cfg.NExc)
			r.WarmupImages, r.WarmupInh = cfg.WarmupImages, cfg.WarmupInh
			snap = &runner.Snapshot{Meta: runner.Meta{NIn: mnist.Pixels, NExc: cfg.NExc, Seed: seed, Regime: r, Engine: cfg.Engine}, Net: runner.NewNetwork(mnist.Pixels, cfg.NExc, seed)}
			// Continue from the highest level already on disk.
			for _, l := range cfg.Levels {
				if l >= level {
					break
				}
				if p := cfg.path(seed, fmt.Sprintf("awake-%d.snap", l)); exists(p) {
					s, err := runner.LoadSnapshot(p)
					if err != nil {
						return err
					}
					snap = s
				}
			}
		}
		t0 := time.Now()
		_, err := runner.Train(ctx, snap.Net, runner.TrainConfig{Set: cfg.Train, Start: snap.Meta.ImagesSeen, Count: level - snap.Meta.ImagesSeen, Seed: seed, Engine: cfg.Engine, Regime: snap.Meta.Regime})
		if err != nil {
			return err
		}
		snap.Meta.ImagesSeen = level
		if err := snap.Save(path); err != nil {
			return err
		}
		logf("seed %d: trained to %d images (%.0f s)", seed, level, time.Since(t0).Seconds())
	}
	return nil
}

// cell computes (or loads) one seed x level result.
func cell(ctx context.Context, cfg PaperConfig, seed uint64, level int, logf func(string, ...any)) (Cell, error) {
	out := cfg.path(seed, fmt.Sprintf("cell-%d.json", level))
	config := fmt.Sprintf("label=%d test=%d distort=%d noise=%v blur=%v focus=%d engine=%v sleep=%+v gain=%g ms=%g",
		cfg.Label, cfg.Test, cfg.Distort, cfg.Noise, cfg.Blur, cfg.Focus, cfg.Engine, cfg.Sleep.Changes, cfg.Sleep.InputGain, cfg.Sleep.DurationMS)
	var c Cell
	if b, err := os.ReadFile(out); err == nil && json.Unmarshal(b, &c) == nil && c.Config == config {
		return c, nil
	}
	t0 := time.Now()
	c = Cell{Config: config, Seed: seed, Level: level}
	awake, err := runner.LoadSnapshot(cfg.path(seed, fmt.Sprintf("awake-%d.snap", level)))
	if err != nil {
		return c, err
	}
	ev := runner.Evaluator{Engine: cfg.Engine, Seed: seed, Workers: cfg.Workers}
	r := awake.Meta.Regime
	label := func(net *model.Network) ([]int, error) { return ev.Label(ctx, net, r, cfg.Train, cfg.Label) }
	test := func(net *model.Network, labels []int, set *mnist.Set, n int) (float64, error) {
		sc, err := ev.Score(ctx, net, r, labels, set, n)
		return sc.Accuracy, err
	}
	sleep := func(net *model.Network, sc runner.SleepConfig) (runner.SleepStats, error) {
		sc.Mean = runner.MeanImage(cfg.Train, level)
		sc.Seed, sc.Engine, sc.Awake = seed, cfg.Engine, awake.Meta.Regime
		return runner.Sleep(ctx, net, sc)
	}
	awakeLabels, err := label(awake.Net)
	if err != nil {
		return c, err
	}
	if c.Awake, err = test(awake.Net, awakeLabels, cfg.TestSet, cfg.Test); err != nil {
		return c, err
	}
	slept := awake.Net.Clone()
	if c.Sleep, err = sleep(slept, cfg.Sleep); err != nil {
		return c, err
	}
	sleptLabels, err := label(slept)
	if err != nil {
		return c, err
	}
	if c.Slept, err = test(slept, sleptLabels, cfg.TestSet, cfg.Test); err != nil {
		return c, err
	}
	logf("seed %d, %d images: awake %.3f, after sleep %.3f", seed, level, c.Awake, c.Slept)

	if level == cfg.Focus {
		n := awake.Net
		rf := make([]float64, n.NIn)
		for j := range n.NExc {
			c.ThetaChange = append(c.ThetaChange, slept.Theta[j]-n.Theta[j])
			rf = analysis.ReceptiveField(rf, n.W, n.NIn, n.NExc, j)
			c.RFVariance = append(c.RFVariance, analysis.NeighbourhoodVariance(normalized(rf), mnist.Width, mnist.Height))
		}
		// Fig. 4: distorted test images.
		img := make([]uint8, mnist.Pixels)
		for _, d := range []struct {
			levels    []float64
			awake, sl *[]float64
			distort   func(dst, src []uint8, v float64, rng *rand.Rand)
		}{
			{cfg.Noise, &c.NoiseAwake, &c.NoiseSlept, func(dst, src []uint8, v float64, rng *rand.Rand) { analysis.GaussianNoise(dst, src, v, rng) }},
			{cfg.Blur, &c.BlurAwake, &c.BlurSlept, func(dst, src []uint8, v float64, _ *rand.Rand) {
				analysis.GaussianBlur(dst, src, mnist.Width, mnist.Height, v)
			}},
		} {
			for li, v := range d.levels {
				set := &mnist.Set{Pixels: make([]uint8, cfg.Distort*mnist.Pixels), Labels: cfg.TestSet.Labels[:cfg.Distort]}
				rng := rand.New(rand.NewPCG(seed, uint64(1000+li)))
				for k := range cfg.Distort {
					d.distort(img, cfg.TestSet.Image(k), v, rng)
					copy(set.Pixels[k*mnist.Pixels:], img)
				}
				a, err := test(awake.Net, awakeLabels, set, cfg.Distort)
				if err != nil {
					return c, err
				}
				s, err := test(slept, sleptLabels, set, cfg.Distort)
				if err != nil {
					return c, err
				}
				*d.awake = append(*d.awake, a)
				*d.sl = append(*d.sl, s)
			}
		}
		// Ablations.
		ab := &Ablation{WBeforeThBefore: c.Awake, WAfterThAfter: c.Slept}
		mix := func(w, th *model.Network) (float64, error) {
			m := w.Clone()
			copy(m.Theta, th.Theta)
			labels, err := label(m)
			if err != nil {
				return 0, err
			}
			return test(m, labels, cfg.TestSet, cfg.Test)
		}
		if ab.WBeforeThAfter, err = mix(awake.Net, slept); err != nil {
			return c, err
		}
		if ab.WAfterThBefore, err = mix(slept, awake.Net); err != nil {
			return c, err
		}
		// The paper's last ablation: STDP on, thresholds frozen, inhibition halved.
		stdp := awake.Net.Clone()
		sc := cfg.Sleep
		sc.Changes.STDP, sc.Changes.Threshold = true, false
		sc.Changes.InhScale = cfg.Sleep.Changes.InhScale / 2
		if _, err := sleep(stdp, sc); err != nil {
			return c, err
		}
		labels, err := label(stdp)
		if err != nil {
			return c, err
		}
		if ab.STDPOnly, err = test(stdp, labels, cfg.TestSet, cfg.Test); err != nil {
			return c, err
		}
		c.Ablation = ab
	}
	c.Seconds = time.Since(t0).Seconds()
	b, _ := json.Marshal(c)
	if err := analysis.WriteFileAtomic(out, b); err != nil {
		return c, err
	}
	return c, nil
}

// normalized scales a receptive field to [0, 1] by its maximum (a copy).
func normalized(rf []float64) []float64 {
	m := 0.0
	for _, v := range rf {
		m = max(m, v)
	}
	out := make([]float64, len(rf))
	if m > 0 {
		for i, v := range rf {
			out[i] = v / m
		}
	}
	return out
}
