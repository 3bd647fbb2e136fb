// Command evsim trains, tests (and, later, sleeps) the Diehl & Cook 2015 spiking network
// on MNIST with the event-driven engine or the time-stepped reference.
//
//	evsim                                  the default experiment: train, label, test (~1 min)
//	evsim -phase train -n 400 -train 60000 -out net.snap
//	evsim -phase test -in net.snap -test 10000
//
// Results are printed as JSON on stdout; progress goes to stderr.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"time"

	"github.com/pkg/profile"

	"github.com/evsim/evsim/analysis"
	"github.com/evsim/evsim/model"
	"github.com/evsim/evsim/runner"
	"github.com/evsim/evsim/runner/mnist"
)

// usageError is a bad flag or parameter: one line, exit status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return &usageError{fmt.Sprintf(format, a...)} }

type options struct {
	phase    string
	n        int
	train    int
	label    int
	test     int
	seed     uint64
	engine   string
	dt       float64
	in, out  string
	data     string
	workers  int
	jsonPath string
	profile  string
	quiet    bool
}

func main() {
	err := run(os.Args[1:], os.Stdout, os.Stderr)
	var ue *usageError
	switch {
	case err == nil:
	case errors.As(err, &ue):
		fmt.Fprintln(os.Stderr, "evsim:", err)
		os.Exit(2)
	case errors.Is(err, flag.ErrHelp):
		os.Exit(0)
	default:
		fmt.Fprintln(os.Stderr, "evsim:", err)
		os.Exit(1)
	}
}

func parse(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("evsim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.phase, "phase", "run", "run (train, label, test) | train (train, label) | test")
	fs.IntVar(&o.n, "n", 100, "excitatory neurons (new networks)")
	fs.IntVar(&o.train, "train", 1000, "training images to present (continuing the sequence of -in)")
	fs.IntVar(&o.label, "label", -1, "training images used to assign labels (-1: as many as -train, at least 1000; 0 with -phase test: keep the snapshot's labels)")
	fs.IntVar(&o.test, "test", 10000, "test images to classify")
	fs.Uint64Var(&o.seed, "seed", 1, "random seed of a new network and of every input train")
	fs.StringVar(&o.engine, "engine", "event", "event | stepped")
	fs.Float64Var(&o.dt, "dt", 0.5, "time step of the stepped engine (ms)")
	fs.StringVar(&o.in, "in", "", "snapshot to start from")
	fs.StringVar(&o.out, "out", "", "snapshot to write (atomically)")
	fs.StringVar(&o.data, "data", "", "folder with the MNIST IDX files (default: the GoMNIST module in the Go module cache)")
	fs.IntVar(&o.workers, "workers", 0, "goroutines for labelling and testing (0: all cores)")
	fs.StringVar(&o.jsonPath, "json", "", "also write the JSON results to this file")
	fs.StringVar(&o.profile, "profile", "", "cpu | mem: write a pprof profile (pkg/profile) into the current folder")
	fs.BoolVar(&o.quiet, "quiet", false, "no progress bars")
	fs.Usage = func() {
		fmt.Fprintf(stderr, `evsim: event-driven simulation of the Diehl & Cook 2015 network on MNIST.

Phases, each with an example:
  run     train, label and test a new network (the default experiment)
            evsim -n 100 -train 1000 -test 10000
  train   train (a new network, or continue -in), label, write -out
            evsim -phase train -n 400 -train 60000 -out net400.snap
  test    classify test images with a trained snapshot
            evsim -phase test -in net400.snap -test 10000

Flags:
`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, usagef("%v", err)
	}
	if fs.NArg() > 0 {
		return nil, usagef("unexpected argument %q: flags only (see evsim -h)", fs.Arg(0))
	}
	switch o.phase {
	case "run", "train", "test":
	default:
		return nil, usagef("-phase %q: must be run, train or test", o.phase)
	}
	switch o.engine {
	case "event", "stepped":
	default:
		return nil, usagef("-engine %q: must be event or stepped", o.engine)
	}
	if o.n <= 0 || o.n > 100000 {
		return nil, usagef("-n %d: must be in [1, 100000]", o.n)
	}
	if o.train < 0 {
		return nil, usagef("-train %d: must be >= 0", o.train)
	}
	if o.test < 0 {
		return nil, usagef("-test %d: must be >= 0", o.test)
	}
	if o.label < -1 {
		return nil, usagef("-label %d: must be >= 0, or -1 for the default", o.label)
	}
	if o.engine == "stepped" && (!(o.dt > 0) || math.IsInf(o.dt, 0) || o.dt > 10) {
		return nil, usagef("-dt %v: must be in (0, 10] ms", o.dt)
	}
	if o.workers < 0 {
		return nil, usagef("-workers %d: must be >= 0", o.workers)
	}
	if o.phase == "test" && o.in == "" {
		return nil, usagef("-phase test needs -in SNAPSHOT")
	}
	switch o.profile {
	case "", "cpu", "mem":
	default:
		return nil, usagef("-profile %q: must be cpu or mem", o.profile)
	}
	if o.label == -1 {
		o.label = max(o.train, 1000)
		if o.phase == "test" {
			o.label = 0
		}
	}
	return o, nil
}

// Results is what evsim prints.
type Results struct {
	Phase   string             `json:"phase"`
	NExc    int                `json:"n_exc"`
	Seed    uint64             `json:"seed"`
	Engine  runner.EngineSpec  `json:"engine"`
	Workers int                `json:"workers"`
	Train   *TrainResult       `json:"train,omitempty"`
	Label   *LabelResult       `json:"label,omitempty"`
	Test    *analysis.Score    `json:"test,omitempty"`
	Timing  map[string]float64 `json:"seconds"`
	Out     string             `json:"snapshot,omitempty"`
}

type TrainResult struct {
	runner.TrainStats
	ImagesSeen   int     `json:"images_seen"`
	ImagesPerSec float64 `json:"images_per_s"`
	MeanTheta    float64 `json:"mean_theta_mv"`
}

type LabelResult struct {
	Images     int   `json:"images"`
	Unassigned int   `json:"unassigned"`
	PerClass   []int `json:"neurons_per_class"`
}

func run(args []string, stdout, stderr io.Writer) error {
	o, err := parse(args, stderr)
	if err != nil {
		return err
	}
	switch o.profile {
	case "cpu":
		defer profile.Start(profile.CPUProfile, profile.ProfilePath("."), profile.Quiet).Stop()
	case "mem":
		defer profile.Start(profile.MemProfile, profile.ProfilePath("."), profile.Quiet).Stop()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	dir := o.data
	if dir == "" {
		if dir, err = mnist.DefaultDir(); err != nil {
			return err
		}
	}
	spec := runner.EngineSpec{Kind: o.engine}
	if o.engine == "stepped" {
		spec.Dt = o.dt
	}
	res := Results{Phase: o.phase, Seed: o.seed, Engine: spec, Timing: map[string]float64{}}
	res.Workers = o.workers
	if res.Workers == 0 {
		res.Workers = runtime.GOMAXPROCS(0)
	}

	var snap *runner.Snapshot
	if o.in != "" {
		if snap, err = runner.LoadSnapshot(o.in); err != nil {
			return err
		}
		if o.phase != "test" && o.n != snap.Meta.NExc && flagSet(args, "n") {
			return usagef("-n %d: the snapshot %s has %d neurons", o.n, o.in, snap.Meta.NExc)
		}
	} else {
		snap = &runner.Snapshot{
			Meta: runner.Meta{NIn: mnist.Pixels, NExc: o.n, Seed: o.seed, Regime: model.Awake(), Engine: spec},
			Net:  runner.NewNetwork(mnist.Pixels, o.n, o.seed),
		}
	}
	res.NExc = snap.Meta.NExc

	needTrain := o.phase != "test" && o.train > 0
	needTrainSet := needTrain || o.label > 0
	var trainSet *mnist.Set
	if needTrainSet {
		if o.label > 60000 {
			return usagef("-label %d: the training set holds 60000 images", o.label)
		}
		if trainSet, err = mnist.Load(dir, "train", 0); err != nil {
			return err
		}
	}
	if needTrain {
		t0 := time.Now()
		bar := newProgress("train", o.train, o.quiet)
		st, err := runner.Train(ctx, snap.Net, runner.TrainConfig{
			Set: trainSet, Start: snap.Meta.ImagesSeen, Count: o.train, Seed: o.seed,
			Engine: spec, Regime: snap.Meta.Regime, Progress: bar.Update,
		})
		snap.Meta.ImagesSeen += st.Images
		snap.Meta.Labels = nil
		if err != nil {
			return err
		}
		el := time.Since(t0).Seconds()
		res.Timing["train"] = el
		res.Train = &TrainResult{TrainStats: st, ImagesSeen: snap.Meta.ImagesSeen, ImagesPerSec: float64(st.Images) / el, MeanTheta: mean(snap.Net.Theta)}
	}
	if o.label > 0 {
		t0 := time.Now()
		bar := newProgress("label", o.label, o.quiet)
		counts, err := runner.Responses(ctx, snap.Net, runner.RespondConfig{
			Set: trainSet, Count: o.label, Seed: o.seed, Stream: runner.StreamLabel,
			Engine: spec, Regime: snap.Meta.Regime.Frozen(), Workers: o.workers, Progress: bar.Update,
		})
		if err != nil {
			return err
		}
		if snap.Meta.Labels, err = analysis.Assign(counts, trainSet.Labels[:o.label], 10); err != nil {
			return err
		}
		snap.Meta.LabelImages = o.label
		res.Timing["label"] = time.Since(t0).Seconds()
		lr := &LabelResult{Images: o.label, PerClass: make([]int, 10)}
		for _, y := range snap.Meta.Labels {
			if y < 0 {
				lr.Unassigned++
			} else {
				lr.PerClass[y]++
			}
		}
		res.Label = lr
	}
	if o.out != "" && o.phase != "test" {
		if err := snap.Save(o.out); err != nil {
			return err
		}
		res.Out = o.out
	}
	if o.phase != "train" && o.test > 0 {
		if snap.Meta.Labels == nil {
			return usagef("the network has no labels: pass -label N (training images to assign labels from)")
		}
		if o.test > 10000 {
			return usagef("-test %d: the test set holds 10000 images", o.test)
		}
		testSet, err := mnist.Load(dir, "t10k", o.test)
		if err != nil {
			return err
		}
		t0 := time.Now()
		bar := newProgress("test", o.test, o.quiet)
		counts, err := runner.Responses(ctx, snap.Net, runner.RespondConfig{
			Set: testSet, Count: o.test, Seed: o.seed, Stream: runner.StreamTest,
			Engine: spec, Regime: snap.Meta.Regime.Frozen(), Workers: o.workers, Progress: bar.Update,
		})
		if err != nil {
			return err
		}
		score := analysis.Evaluate(counts, testSet.Labels, snap.Meta.Labels)
		res.Test = &score
		res.Timing["test"] = time.Since(t0).Seconds()
	}
	enc, _ := json.MarshalIndent(res, "", "  ")
	enc = append(enc, '\n')
	if _, err := stdout.Write(enc); err != nil {
		return err
	}
	if o.jsonPath != "" {
		if err := writeFileAtomic(o.jsonPath, enc); err != nil {
			return err
		}
	}
	return nil
}

func flagSet(args []string, name string) bool {
	for _, a := range args {
		if a == "-"+name || a == "--"+name || len(a) > len(name)+1 && (a[:len(name)+2] == "-"+name+"=" || a[:min(len(a), len(name)+3)] == "--"+name+"=") {
			return true
		}
	}
	return false
}

func mean(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		s += v
	}
	return s / float64(max(len(x), 1))
}

// writeFileAtomic writes data to path through a temporary file and a rename.
func writeFileAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	return nil
}
