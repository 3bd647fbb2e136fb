// Command evsim trains, tests and sleeps the Diehl & Cook 2015 spiking network on MNIST
// with the event-driven engine or the time-stepped reference. `evsim -h` lists the
// commands with an example each; with no arguments it runs the default experiment.
// A summary goes to stdout (-json: the JSON results); progress goes to stderr.
//
// Exit status: 0 done (every promised output written and complete), 1 runtime failure,
// 2 bad flag, parameter or input file, 130 / 143 interrupted by SIGINT / SIGTERM (a
// checkpoint was written; continue with -resume).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"slices"
	"strings"
	"syscall"

	"github.com/pkg/profile"

	"github.com/evsim/evsim/analysis"
	"github.com/evsim/evsim/analysis/outfile"
	"github.com/evsim/evsim/model"
	"github.com/evsim/evsim/runner"
	"github.com/evsim/evsim/runner/experiment"
	"github.com/evsim/evsim/runner/mnist"
)

func main() {
	ctx, cancel := context.WithCancelCause(context.Background())
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		s := <-sigs
		cancel(signalError{s})
		signal.Stop(sigs) // a second signal kills the process the usual way
	}()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	os.Exit(exitCode(err, os.Stderr))
}

// signalError is the cause of a run cancelled by a signal.
type signalError struct{ sig os.Signal }

func (e signalError) Error() string { return "interrupted by " + e.sig.String() }

// testHook, set by tests only, observes progress (phase, images or ms done), for example
// to deliver an interrupt at an exact point.
var testHook func(phase string, done float64)

// interrupted reports a run stopped by a signal after writing its checkpoint.
type interrupted struct {
	msg  string
	code int // 130 SIGINT, 143 SIGTERM
}

func (e *interrupted) Error() string { return e.msg }

// badInput marks an input file that cannot be used (missing, corrupt, malformed): exit 2.
type badInput struct{ err error }

func (e *badInput) Error() string { return e.err.Error() }
func (e *badInput) Unwrap() error { return e.err }

func exitCode(err error, stderr io.Writer) int {
	var ue *usageError
	var ie *interrupted
	var bi *badInput
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue), errors.As(err, &bi):
		fmt.Fprintln(stderr, "evsim:", oneLineErr(err))
		return 2
	case errors.As(err, &ie):
		fmt.Fprintln(stderr, "evsim:", oneLineErr(err))
		return ie.code
	default:
		fmt.Fprintln(stderr, "evsim:", oneLineErr(err))
		return 1
	}
}

// oneLineErr keeps an error message on one line.
func oneLineErr(err error) string {
	b := []byte(err.Error())
	for k, c := range b {
		if c == '\n' || c == '\r' {
			b[k] = ' '
		}
	}
	return string(b)
}

// Results is what evsim reports, as JSON with -json or -results.
type Results struct {
	Phase      string                  `json:"phase"`
	NExc       int                     `json:"n_exc"`
	Seed       uint64                  `json:"seed"`
	Engine     runner.EngineSpec       `json:"engine"`
	Workers    int                     `json:"workers"`
	Train      *TrainResult            `json:"train,omitempty"`
	Label      *LabelResult            `json:"label,omitempty"`
	Test       *analysis.Score         `json:"test,omitempty"`
	Sleep      *SleepResult            `json:"sleep,omitempty"`
	Paper      *experiment.PaperReport `json:"paper,omitempty"`
	Search     []experiment.SearchRow  `json:"sleep_search,omitempty"`
	Slurm      *SlurmResult            `json:"slurm,omitempty"`
	Curve      []CurvePoint            `json:"learning_curve,omitempty"`
	Timing     map[string]float64      `json:"seconds"`
	Out        string                  `json:"output,omitempty"`
	Provenance runner.Provenance       `json:"provenance"`
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
	ThetaPlus    float64 `json:"theta_plus_mv"`      // the regime's θ+ per spike
	LateralInh   float64 `json:"lateral_inh_mv"`     // the regime's lateral inhibition: peak drop per inhibitory spike
	TauTheta     float64 `json:"tau_theta_ms"`       // the regime's time constant of θ's decay
	HeldOut      int     `json:"held_out,omitempty"` // the last HeldOut training images are never trained on
}

type LabelResult struct {
	Images     int   `json:"images"`
	Unassigned int   `json:"unassigned"`
	PerClass   []int `json:"neurons_per_class"`
}

// SleepResult is the sleep summary: the parameters, what sleep did, before and after.
type SleepResult struct {
	Preset         string            `json:"preset"`
	Overrides      []string          `json:"overrides,omitempty"`
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
	// The plasticity STDP turns on ("awake" or "replay"), the replay rule's parameters, and
	// θ's decay time constant during sleep (absent: the awake one).
	Rule     string        `json:"rule"`
	Replay   *model.Replay `json:"replay,omitempty"`
	TauTheta float64       `json:"theta_tau_ms,omitempty"`
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
	e.spec = runner.EngineSpec{Kind: o.engine}
	if o.engine == "stepped" {
		e.spec.Dt = o.dt
	}
	workers := o.workers
	if workers == 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	if e.res == nil {
		e.res = &Results{Phase: o.phase, Seed: o.seed, Engine: e.spec, Workers: workers, Timing: map[string]float64{}}
	}
	e.res.Workers = workers // this run's, also when it resumes a run that had others
	e.fanWorkers = 1
	if o.set["workers"] {
		e.fanWorkers = workers
	}
	if err := e.prepare(); err != nil {
		return err
	}
	// The command recorded is the normalized invocation with the seed and label count it
	// resolved: running it again reproduces the results, and a resumed run records the
	// same command as the run it completes.
	// Flags that change only what is shown (-quiet, -json, -profile) are left out, and so
	// are those that say where and on how many cores the work runs (-slurm..., -chain,
	// -cell, -report, -workers): results do not depend on them.
	var cmd []string
	for _, a := range e.resumeArgs() {
		name, _, _ := strings.Cut(strings.TrimPrefix(a, "-"), "=")
		if name != "quiet" && name != "json" && name != "profile" && name != "workers" && !slices.Contains(slurmFlagNames, name) {
			cmd = append(cmd, a)
		}
	}
	e.res.Provenance = runner.CurrentProvenance(append([]string{"evsim"}, cmd...))
	switch o.profile {
	case "cpu":
		defer profile.Start(profile.CPUProfile, profile.ProfilePath("."), profile.Quiet).Stop()
	case "mem":
		defer profile.Start(profile.MemProfile, profile.ProfilePath("."), profile.Quiet).Stop()
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
	return e.report(stdout)
}

// report writes the results: JSON to -results, then the summary or JSON to stdout. The
// checkpoint of a resumed run is removed once everything is written.
func (e *env) report(stdout io.Writer) error {
	enc, err := marshalResults(e.res)
	if err != nil {
		return fmt.Errorf("cannot encode the results: %w", err)
	}
	// A Slurm submission leaves -results to the task that merges the run (the report or
	// the merge), which writes it when the jobs are done.
	if e.o.results != "" && e.res.Slurm == nil {
		if err := outfile.WriteFile(e.o.results, enc); err != nil {
			return fmt.Errorf("cannot write -results %s: %w", e.o.results, err)
		}
	}
	if e.o.json {
		_, err = stdout.Write(enc)
	} else {
		err = summary(stdout, e.res, e.o)
	}
	if err != nil {
		return err
	}
	if e.resumeFile != "" {
		if err := os.Remove(e.resumeFile); err == nil && !e.o.quiet {
			fmt.Fprintf(e.stderr, "evsim: the run is complete; its checkpoint %s was removed\n", e.resumeFile)
		}
	} else if e.wroteCkpt {
		os.Remove(e.ckpt) // the periodic checkpoint of a run now complete
	}
	return nil
}

// dataDir is -data or the GoMNIST module's folder.
func (e *env) dataDir() (string, error) {
	if e.dir != "" {
		return e.dir, nil
	}
	if e.o.data != "" {
		e.dir = e.o.data
		return e.dir, nil
	}
	d, err := mnist.DefaultDir()
	if err != nil {
		return "", dataError(err)
	}
	e.dir = d
	return d, nil
}

func (e *env) training() (*mnist.Set, error) {
	if e.trainSet != nil {
		return e.trainSet, nil
	}
	dir, err := e.dataDir()
	if err != nil {
		return nil, err
	}
	if e.trainSet, err = mnist.Load(dir, "train", 0); err != nil {
		return nil, dataError(err)
	}
	return e.trainSet, nil
}

func (e *env) testing(n int) (*mnist.Set, error) {
	if e.testSet != nil {
		return e.testSet, nil
	}
	dir, err := e.dataDir()
	if err != nil {
		return nil, err
	}
	if e.testSet, err = mnist.Load(dir, "t10k", n); err != nil {
		return nil, dataError(err)
	}
	return e.testSet, nil
}

// dataError is a bad or missing MNIST file: exit 2, with the flag that names another folder.
func dataError(err error) error {
	return &badInput{fmt.Errorf("%w (the folder is set with -data DIR)", err)}
}
