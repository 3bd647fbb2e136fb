// Command evsim trains, tests and sleeps the Diehl & Cook 2015 spiking network on MNIST
// with the event-driven engine or the time-stepped reference. `evsim -h` lists the phases
// with an example each. Results are JSON on stdout; progress goes to stderr.
//
// Exit status: 0 done, 1 error, 2 bad flag or parameter, 130 interrupted (a checkpoint
// was written; continue with -resume).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"regexp"
	"runtime"
	"syscall"
	"time"

	"github.com/pkg/profile"
	"gonum.org/v1/gonum/mat"

	"codeberg.org/sbinet/npyio/npz"

	"github.com/evsim/evsim/analysis"
	"github.com/evsim/evsim/runner"
	"github.com/evsim/evsim/runner/experiment"
	"github.com/evsim/evsim/runner/mnist"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

// testHook, set by tests only, observes progress (phase, images or ms done), for example
// to deliver an interrupt at an exact point.
var testHook func(phase string, done float64)

// interrupted reports a run stopped by a signal after writing its checkpoint.
type interrupted struct{ msg string }

func (e *interrupted) Error() string { return e.msg }

func exitCode(err error, stderr io.Writer) int {
	var ue *usageError
	var ie *interrupted
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintln(stderr, "evsim:", err)
		return 2
	case errors.As(err, &ie):
		fmt.Fprintln(stderr, "evsim:", err)
		return 130
	default:
		fmt.Fprintln(stderr, "evsim:", err)
		return 1
	}
}

// Results is what evsim prints.
type Results struct {
	Phase   string                  `json:"phase"`
	NExc    int                     `json:"n_exc"`
	Seed    uint64                  `json:"seed"`
	Engine  runner.EngineSpec       `json:"engine"`
	Workers int                     `json:"workers"`
	Resumed bool                    `json:"resumed,omitempty"`
	Train   *TrainResult            `json:"train,omitempty"`
	Label   *LabelResult            `json:"label,omitempty"`
	Test    *analysis.Score         `json:"test,omitempty"`
	Sleep   *SleepResult            `json:"sleep,omitempty"`
	Paper   *experiment.PaperReport `json:"paper,omitempty"`
	Search  []experiment.SearchRow  `json:"sleep_search,omitempty"`
	Timing  map[string]float64      `json:"seconds"`
	Out     string                  `json:"output,omitempty"`
}

type TrainResult struct {
	runner.TrainStats
	ImagesSeen   int     `json:"images_seen"`
	ImagesPerSec float64 `json:"images_per_s"`
	MeanTheta    float64 `json:"mean_theta_mv"`
	// The regime's inhibition warm-up: the first WarmupImages images of the sequence were
	// (or will be) presented with the lateral inhibition ×WarmupInh.
	WarmupImages int     `json:"warmup_images"`
	WarmupInh    float64 `json:"warmup_inh"`
}

type LabelResult struct {
	Images     int   `json:"images"`
	Unassigned int   `json:"unassigned"`
	PerClass   []int `json:"neurons_per_class"`
}

// SleepResult is the sleep summary: the parameters, what sleep did, before and after.
type SleepResult struct {
	Params         sleepParams       `json:"params"`
	Stats          runner.SleepStats `json:"stats"`
	AwakeRateHz    float64           `json:"awake_mean_exc_rate_hz"`
	AccuracyBefore float64           `json:"accuracy_before"`
	AccuracyAfter  float64           `json:"accuracy_after"`
	TestBefore     *analysis.Score   `json:"test_before,omitempty"`
}

type sleepParams struct {
	DurationMS     float64 `json:"duration_ms"`
	InputGain      float64 `json:"input_gain"`
	LeakScale      float64 `json:"leak_scale"`
	ExcGain        float64 `json:"exc_gain"`
	InhScale       float64 `json:"inh_scale"`
	STDP           bool    `json:"stdp"`
	Threshold      bool    `json:"threshold_rule"`
	Normalize      bool    `json:"normalize"`
	Input          string  `json:"input"`
	MeanOf         int     `json:"mean_of_images"`
	PotScale       float64 `json:"stdp_potentiation_scale"`
	DepScale       float64 `json:"stdp_depression_scale"`
	ThetaPlusScale float64 `json:"theta_plus_scale"`
}

// pending is stored in a checkpoint: the invocation to finish and how far it got.
type pending struct {
	Args     []string `json:"args"`
	Start    int      `json:"start"`    // images seen when the run began
	SleptMS  float64  `json:"slept_ms"` // sleep already done (sleep phase)
	Baseline *float64 `json:"baseline,omitempty"`
}

// env is what one invocation works with.
type env struct {
	ctx    context.Context
	o      *options
	stderr io.Writer
	spec   runner.EngineSpec
	dir    string
	res    *Results
	snap   *runner.Snapshot
	resume *pending

	trainSet *mnist.Set
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parse(args, stderr)
	if err != nil {
		return err
	}
	e := &env{ctx: ctx, o: o, stderr: stderr}
	if o.resume != "" {
		if err := e.loadResume(); err != nil {
			return err
		}
		o = e.o
	}
	switch o.profile {
	case "cpu":
		defer profile.Start(profile.CPUProfile, profile.ProfilePath("."), profile.Quiet).Stop()
	case "mem":
		defer profile.Start(profile.MemProfile, profile.ProfilePath("."), profile.Quiet).Stop()
	}
	e.spec = runner.EngineSpec{Kind: o.engine}
	if o.engine == "stepped" {
		e.spec.Dt = o.dt
	}
	workers := o.workers
	if workers == 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	e.res = &Results{Phase: o.phase, Seed: o.seed, Engine: e.spec, Workers: workers, Timing: map[string]float64{}, Resumed: e.resume != nil}
	if e.snap == nil && o.phase != "sleepsearch" && o.phase != "paper" {
		if o.in != "" {
			if e.snap, err = runner.LoadSnapshot(o.in); err != nil {
				return err
			}
			if o.set["n"] && o.n != e.snap.Meta.NExc {
				return usagef("-n %d: the snapshot %s has %d neurons (leave -n out)", o.n, o.in, e.snap.Meta.NExc)
			}
		} else {
			e.snap = &runner.Snapshot{
				Meta: runner.Meta{NIn: mnist.Pixels, NExc: o.n, Seed: o.seed, Regime: o.awake(o.n), Engine: e.spec},
				Net:  runner.NewNetwork(mnist.Pixels, o.n, o.seed),
			}
		}
	}
	if e.snap != nil {
		e.res.NExc = e.snap.Meta.NExc
		// A snapshot continues with its own seed's random streams unless -seed is given.
		if o.in != "" && !o.set["seed"] {
			o.seed = e.snap.Meta.Seed
			e.res.Seed = o.seed
		}
	}
	switch o.phase {
	case "export":
		err = e.export()
	case "paper":
		err = e.paperPhase()
	case "sleepsearch":
		err = e.searchPhase()
	default:
		err = e.simulate()
	}
	if err != nil {
		return err
	}
	enc := marshalResults(e.res)
	if _, err := stdout.Write(enc); err != nil {
		return err
	}
	if o.jsonPath != "" {
		if err := analysis.WriteFileAtomic(o.jsonPath, enc); err != nil {
			return fmt.Errorf("cannot write %s: %w", o.jsonPath, err)
		}
	}
	return nil
}

func (e *env) dataDir() (string, error) {
	if e.dir != "" {
		return e.dir, nil
	}
	if e.o.data != "" {
		e.dir = e.o.data
		return e.dir, nil
	}
	d, err := mnist.DefaultDir()
	e.dir = d
	return d, err
}

func (e *env) training() (*mnist.Set, error) {
	if e.trainSet != nil {
		return e.trainSet, nil
	}
	dir, err := e.dataDir()
	if err != nil {
		return nil, err
	}
	e.trainSet, err = mnist.Load(dir, "train", 0)
	return e.trainSet, err
}

// simulate runs the phases run, train, test and sleep.
func (e *env) simulate() error {
	o, snap := e.o, e.snap
	switch o.phase {
	case "run": // train, then sleep: test before, sleep, relabel, test after
		if err := e.trainPhase(); err != nil {
			return err
		}
		if err := e.sleepPhase(); err != nil {
			return err
		}
	case "train":
		if err := e.trainPhase(); err != nil {
			return err
		}
		if o.label > 0 {
			if err := e.labelPhase("label"); err != nil {
				return err
			}
		}
	case "test":
		if o.label > 0 {
			if err := e.labelPhase("label"); err != nil {
				return err
			}
		}
		if o.test > 0 {
			score, err := e.testPhase("test")
			if err != nil {
				return err
			}
			e.res.Test = &score
		}
	case "sleep":
		if err := e.sleepPhase(); err != nil {
			return err
		}
	}
	if o.out != "" && o.phase != "test" {
		snap.Meta.Pending = nil
		if err := snap.Save(o.out); err != nil {
			return err
		}
		e.res.Out = o.out
	}
	return nil
}

func (e *env) trainPhase() error {
	o, snap := e.o, e.snap
	start := snap.Meta.ImagesSeen
	if e.resume != nil {
		start = e.resume.Start
	}
	remaining := o.train - (snap.Meta.ImagesSeen - start)
	if remaining <= 0 {
		return nil
	}
	set, err := e.training()
	if err != nil {
		return err
	}
	t0 := time.Now()
	bar := newProgress("train", remaining, o.quiet)
	st, err := runner.Train(e.ctx, snap.Net, runner.TrainConfig{
		Set: set, Start: snap.Meta.ImagesSeen, Count: remaining, Seed: o.seed,
		Engine: e.spec, Regime: snap.Meta.Regime,
		Progress: func(done int) {
			bar.Update(done)
			if testHook != nil {
				testHook("train", float64(done))
			}
		},
	})
	snap.Meta.ImagesSeen += st.Images
	snap.Meta.Labels, snap.Meta.LabelImages = nil, 0
	if err != nil {
		if e.ctx.Err() != nil {
			return e.checkpoint(&pending{Args: o.args, Start: start}, fmt.Sprintf("training interrupted after %d of %d images", snap.Meta.ImagesSeen-start, o.train))
		}
		return err
	}
	el := time.Since(t0).Seconds()
	e.res.Timing["train"] = el
	e.res.Train = &TrainResult{TrainStats: st, ImagesSeen: snap.Meta.ImagesSeen, ImagesPerSec: float64(st.Images) / el, MeanTheta: mean(snap.Net.Theta),
		WarmupImages: snap.Meta.Regime.WarmupImages, WarmupInh: snap.Meta.Regime.WarmupInh}
	return nil
}

// checkpoint writes the network and the run to finish, then reports the interruption.
func (e *env) checkpoint(p *pending, what string) error {
	path := e.o.out
	if path == "" {
		path = "evsim"
	}
	path += ".resume"
	if e.resume != nil {
		path = e.o.resume
	}
	e.snap.Meta.Pending, _ = json.Marshal(p)
	if err := e.snap.Save(path); err != nil {
		return fmt.Errorf("%s; the checkpoint could not be written: %w", what, err)
	}
	return &interrupted{fmt.Sprintf("%s; checkpoint written to %s; continue with: evsim -resume %s", what, path, path)}
}

func (e *env) loadResume() error {
	snap, err := runner.LoadSnapshot(e.o.resume)
	if err != nil {
		return err
	}
	if snap.Meta.Pending == nil {
		return usagef("-resume %s: the snapshot holds no interrupted run (it is a finished snapshot: use -in)", e.o.resume)
	}
	var p pending
	if err := json.Unmarshal(snap.Meta.Pending, &p); err != nil {
		return fmt.Errorf("-resume %s: damaged run record: %w", e.o.resume, err)
	}
	o, err := parse(p.Args, e.stderr)
	if err != nil {
		return fmt.Errorf("-resume %s: the recorded flags no longer parse: %w", e.o.resume, err)
	}
	o.resume, o.quiet = e.o.resume, o.quiet || e.o.quiet
	e.o, e.snap, e.resume = o, snap, &p
	return nil
}

func (e *env) labelPhase(what string) error {
	o, snap := e.o, e.snap
	set, err := e.training()
	if err != nil {
		return err
	}
	t0 := time.Now()
	ev := runner.Evaluator{Engine: e.spec, Seed: o.seed, Workers: o.workers, Progress: newProgress(what, o.label, o.quiet).Update}
	if snap.Meta.Labels, err = ev.Label(e.ctx, snap.Net, snap.Meta.Regime, set, o.label); err != nil {
		return err
	}
	snap.Meta.LabelImages = o.label
	e.res.Timing[what] = time.Since(t0).Seconds()
	lr := &LabelResult{Images: o.label, PerClass: make([]int, 10)}
	for _, y := range snap.Meta.Labels {
		if y < 0 {
			lr.Unassigned++
		} else {
			lr.PerClass[y]++
		}
	}
	e.res.Label = lr
	return nil
}

func (e *env) testPhase(what string) (analysis.Score, error) {
	o, snap := e.o, e.snap
	if snap.Meta.Labels == nil {
		return analysis.Score{}, usagef("-label 0: the network has no labels yet: pass -label N (training images to assign labels from)")
	}
	dir, err := e.dataDir()
	if err != nil {
		return analysis.Score{}, err
	}
	testSet, err := mnist.Load(dir, "t10k", o.test)
	if err != nil {
		return analysis.Score{}, err
	}
	t0 := time.Now()
	ev := runner.Evaluator{Engine: e.spec, Seed: o.seed, Workers: o.workers, Progress: newProgress(what, o.test, o.quiet).Update}
	score, err := ev.Score(e.ctx, snap.Net, snap.Meta.Regime, snap.Meta.Labels, testSet, o.test)
	if err != nil {
		return analysis.Score{}, err
	}
	e.res.Timing[what] = time.Since(t0).Seconds()
	return score, nil
}

func (e *env) export() error {
	snap := e.snap
	n := snap.Net
	labels := make([]int64, n.NExc)
	for j := range labels {
		labels[j] = -1
		if snap.Meta.Labels != nil {
			labels[j] = int64(snap.Meta.Labels[j])
		}
	}
	tmp := e.o.out + ".tmp"
	err := npz.Write(tmp, map[string]any{
		"weights.npy":    mat.NewDense(n.NIn, n.NExc, append([]float64(nil), n.W...)),
		"thresholds.npy": append([]float64(nil), n.Theta...),
		"labels.npy":     labels,
	})
	if err == nil {
		err = os.Rename(tmp, e.o.out)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("cannot write %s: %w", e.o.out, err)
	}
	e.res.Out = e.o.out
	return nil
}

// numberList matches a JSON array of numbers spread over lines by MarshalIndent.
var numberList = regexp.MustCompile(`\[[-0-9.eE+,\s]*\]`)

// marshalResults indents the results but keeps arrays of numbers on one line.
func marshalResults(v any) []byte {
	b, _ := json.MarshalIndent(v, "", "  ")
	b = numberList.ReplaceAllFunc(b, func(m []byte) []byte {
		return regexp.MustCompile(`\s+`).ReplaceAll(m, nil)
	})
	return append(b, '\n')
}

func mean(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		s += v
	}
	return s / float64(max(len(x), 1))
}
