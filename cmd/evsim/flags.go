package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/evsim/evsim/model"
)

// usageError is a bad flag or parameter: one line naming the flag, the value and the
// allowed range; exit status 2.
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
	resume   string
	data     string
	workers  int
	jsonPath string
	profile  string
	quiet    bool
	warmup   int     // -warmup-images
	warmInh  float64 // -warmup-inh
	sleep    sleepFlags
	paper    paperFlags
	search   searchFlags

	args []string // as given, for checkpoints
	set  map[string]bool
}

const phases = "run | train | test | sleep | sleepsearch | export | paper"

func usageText(fs *flag.FlagSet, w io.Writer) {
	fs.SetOutput(w)
	fmt.Fprintf(w, `evsim: event-driven simulation of the Diehl & Cook 2015 network on MNIST, and sleep.

Phases, each with an example:
  run     train a new network (or continue -in), test, sleep, relabel, test again:
          the default experiment
            evsim -n 100 -train 1000 -test 10000 -sleep-inh 0 -sleep-stdp=false -sleep-exc 1 -sleep-theta-plus 2 -sleep-ms 10000
  train   train (a new network, or continue -in), label, write -out
            evsim -phase train -n 400 -train 60000 -out net400.snap
  test    classify test images with a labelled snapshot
            evsim -phase test -in net400.snap -test 10000
  sleep   sleep a trained snapshot, relabel it, write -out, report before/after
            evsim -phase sleep -in awake.snap -out slept.snap
  sleepsearch  search sleep parameters on a validation split of the training images
            (never the test set), several seeds, table sorted by validation gain
            evsim -phase sleepsearch -in s1.snap,s2.snap,s3.snap -grid-gain 1,2 -grid-ms 5000,20000
  export  write weights, thresholds and labels as NumPy .npz (numpy.load)
            evsim -phase export -in net400.snap -out net400.npz
  paper   reproduce the paper's figures, statistics and report (400 neurons, 5 seeds,
          labels from 5000 training images, 5000 test images, the validated sleep:
          inhibition off, STDP off, excitation ×1, θ+ ×2, 10 s; sleep flags given override it)
            evsim -phase paper -dir paper-results

An interrupted train or sleep (Ctrl-C, SIGTERM) finishes its image, writes a checkpoint
and says how to continue:  evsim -resume FILE

Flags:
`)
	fs.PrintDefaults()
}

func parse(args []string, stderr io.Writer) (*options, error) {
	o := &options{args: args, set: map[string]bool{}}
	fs := flag.NewFlagSet("evsim", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are reported in one line below; -h prints the usage
	fs.StringVar(&o.phase, "phase", "run", phases)
	fs.IntVar(&o.n, "n", 100, "excitatory neurons of a new network, in [1, 100000]")
	fs.IntVar(&o.train, "train", 1000, "training images to present, continuing the sequence of -in (cycles through the 60000)")
	fs.IntVar(&o.label, "label", -1, "training images used to assign labels, in [0, 60000] (-1: max(-train, 1000); with -phase test, 0: keep the snapshot's labels)")
	fs.IntVar(&o.test, "test", 10000, "test images to classify, in [0, 10000]")
	fs.Uint64Var(&o.seed, "seed", 1, "random seed of a new network and of every input spike train (with -in: default the snapshot's seed)")
	fs.StringVar(&o.engine, "engine", "event", "event | stepped")
	fs.Float64Var(&o.dt, "dt", 0.5, "time step of the stepped engine (ms), dividing 350 and 150")
	fs.StringVar(&o.in, "in", "", "snapshot to start from")
	fs.StringVar(&o.out, "out", "", "file to write: a snapshot (atomically), or the .npz of -phase export")
	fs.StringVar(&o.resume, "resume", "", "continue an interrupted run from its checkpoint (all other flags come from the checkpoint)")
	fs.StringVar(&o.data, "data", "", "folder with the MNIST IDX files (default: the GoMNIST module in the Go module cache)")
	fs.IntVar(&o.workers, "workers", 0, "goroutines for labelling and testing (0: all cores)")
	fs.StringVar(&o.jsonPath, "json", "", "also write the JSON results to this file")
	fs.StringVar(&o.profile, "profile", "", "cpu | mem: write a pprof profile (pkg/profile) into the current folder")
	fs.BoolVar(&o.quiet, "quiet", false, "no progress bars")
	def := model.Awake() // the warm-up does not depend on the population size
	fs.IntVar(&o.warmup, "warmup-images", def.WarmupImages, "new networks: the first N training images are presented with the lateral inhibition ×-warmup-inh (0: no warm-up)")
	fs.Float64Var(&o.warmInh, "warmup-inh", def.WarmupInh, "new networks: lateral inhibition scale during the warm-up, in [0, 100]")
	o.sleep.register(fs)
	fs.StringVar(&o.search.gain, "grid-gain", "0.5,1,2", "sleepsearch: input gains to try")
	fs.StringVar(&o.search.leak, "grid-leak", "1,2,4", "sleepsearch: leak scales to try")
	fs.StringVar(&o.search.exc, "grid-exc", "1,2,4", "sleepsearch: excitatory gains to try")
	fs.StringVar(&o.search.inh, "grid-inh", "0.5,1", "sleepsearch: inhibition scales to try")
	fs.StringVar(&o.search.ms, "grid-ms", "5000,20000", "sleepsearch: sleep durations (ms) to try")
	fs.IntVar(&o.search.samples, "samples", 0, "sleepsearch: random grid points to try (0: the whole grid)")
	fs.IntVar(&o.search.validation, "validation", 2000, "sleepsearch: validation images, taken from the end of the training set, in [1, 30000]")
	fs.StringVar(&o.paper.dir, "dir", "paper-results", "results folder of -phase paper (rerun the same command to resume)")
	fs.IntVar(&o.paper.seeds, "seeds", 5, "network initializations of -phase paper: seeds -seed, -seed+1, ..., in [1, 100]")
	fs.StringVar(&o.paper.levels, "levels", "1000,2000,5000,10000,20000,40000,60000", "training levels of -phase paper; the first is the focus of Fig. 4, 5B-D and the ablations")
	fs.IntVar(&o.paper.distort, "distort", 1000, "test images per distortion level in -phase paper, in [1, 10000]")
	fs.Usage = func() {}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			usageText(fs, stderr)
			return nil, err
		}
		return nil, usagef("%s (see evsim -h)", oneLine(err))
	}
	fs.Visit(func(f *flag.Flag) { o.set[f.Name] = true })
	if fs.NArg() > 0 {
		return nil, usagef("unexpected argument %q: evsim takes flags only (see evsim -h)", fs.Arg(0))
	}
	if o.resume != "" {
		if len(o.set) > 1 || (len(o.set) == 1 && !o.set["resume"]) {
			if !(len(o.set) == 2 && o.set["quiet"]) {
				return nil, usagef("-resume %s: give no other flags: the checkpoint holds the run's flags", o.resume)
			}
		}
		return o, nil
	}
	return o, o.validate()
}

// oneLine keeps the first line of a flag package error.
func oneLine(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}

// awake is the training regime of a new network of n neurons: model.AwakeN with the
// warm-up flags.
func (o *options) awake(n int) model.Regime {
	r := model.AwakeN(n)
	r.WarmupImages, r.WarmupInh = o.warmup, o.warmInh
	return r
}

func (o *options) validate() error {
	switch o.phase {
	case "run", "train", "test", "sleep", "sleepsearch", "export", "paper":
	default:
		return usagef("-phase %q: must be one of %s", o.phase, phases)
	}
	switch o.engine {
	case "event", "stepped":
	default:
		return usagef("-engine %q: must be event or stepped", o.engine)
	}
	if o.n < 1 || o.n > 100000 {
		return usagef("-n %d: must be in [1, 100000]", o.n)
	}
	if o.train < 0 || o.train > 100_000_000 {
		return usagef("-train %d: must be in [0, 100000000]", o.train)
	}
	if o.test < 0 || o.test > 10000 {
		return usagef("-test %d: must be in [0, 10000] (the MNIST test set holds 10000 images)", o.test)
	}
	if o.label < -1 || o.label > 60000 {
		return usagef("-label %d: must be in [0, 60000] (the MNIST training set holds 60000 images), or -1 for the default", o.label)
	}
	if o.engine == "stepped" || o.set["dt"] {
		if err := finite("dt", o.dt, 1e-4, 10); err != nil {
			return err
		}
		for _, d := range []float64{350, 150} {
			if k := math.Round(d / o.dt); math.Abs(k*o.dt-d) > 1e-9*d {
				return usagef("-dt %v: must divide the 350 ms presentation and the 150 ms rest (e.g. 0.5, 0.1, 0.05, 0.01)", o.dt)
			}
		}
	}
	if o.workers < 0 || o.workers > 4096 {
		return usagef("-workers %d: must be in [0, 4096] (0: all cores)", o.workers)
	}
	switch o.profile {
	case "", "cpu", "mem":
	default:
		return usagef("-profile %q: must be cpu or mem", o.profile)
	}
	switch o.phase {
	case "test", "sleep", "sleepsearch", "export":
		if o.in == "" {
			return usagef("-phase %s needs -in SNAPSHOT", o.phase)
		}
	}
	if o.phase == "export" && o.out == "" {
		return usagef("-phase export needs -out FILE.npz")
	}
	if o.phase == "sleep" && o.out == "" {
		return usagef("-phase sleep needs -out SNAPSHOT for the slept network")
	}
	if o.in != "" {
		ins := []string{o.in}
		if o.phase == "sleepsearch" {
			ins = strings.Split(o.in, ",")
		}
		for _, in := range ins {
			if _, err := os.Stat(in); err != nil {
				return usagef("-in %s: cannot read it: %v", in, errors.Unwrap(err))
			}
		}
	}
	if o.phase == "sleepsearch" {
		if _, err := o.search.space(); err != nil {
			return err
		}
		if o.search.samples < 0 {
			return usagef("-samples %d: must be >= 0", o.search.samples)
		}
		if o.search.validation < 1 || o.search.validation > 30000 {
			return usagef("-validation %d: must be in [1, 30000]", o.search.validation)
		}
	}
	for _, f := range []struct{ name, path string }{{"out", o.out}, {"json", o.jsonPath}} {
		if f.path == "" {
			continue
		}
		if err := writable(f.path); err != nil {
			return usagef("-%s %s: %v", f.name, f.path, err)
		}
	}
	if o.set["warmup-images"] || o.set["warmup-inh"] {
		switch {
		case o.phase != "run" && o.phase != "train" && o.phase != "paper":
			return usagef("-warmup-images/-warmup-inh: only -phase run, train and paper train new networks")
		case o.in != "":
			return usagef("-warmup-images/-warmup-inh: the snapshot -in %s carries its own training regime; leave them out", o.in)
		}
	}
	if o.warmup < 0 || o.warmup > 100_000_000 {
		return usagef("-warmup-images %d: must be in [0, 100000000]", o.warmup)
	}
	if err := finite("warmup-inh", o.warmInh, 0, 100); err != nil {
		return err
	}
	if err := o.sleep.validate(o.phase); err != nil {
		return err
	}
	if o.phase == "paper" {
		if o.paper.seeds < 1 || o.paper.seeds > 100 {
			return usagef("-seeds %d: must be in [1, 100]", o.paper.seeds)
		}
		if o.paper.distort < 1 || o.paper.distort > 10000 {
			return usagef("-distort %d: must be in [1, 10000]", o.paper.distort)
		}
		if _, err := parseLevels(o.paper.levels); err != nil {
			return err
		}
		if !o.set["n"] {
			o.n = 400
		}
		if o.test == 0 {
			return usagef("-test 0: -phase paper needs test images")
		}
	}
	if o.label == -1 {
		switch o.phase {
		case "sleepsearch":
			o.label = 2000
		case "test", "sleep":
			o.label = 0 // keep the snapshot's labels (sleep relabels with as many images)
		default:
			o.label = max(min(o.train, 60000), 1000)
		}
	}
	return nil
}

// finite checks that a float flag is a number in [lo, hi].
func finite(name string, v, lo, hi float64) error {
	if math.IsNaN(v) || math.IsInf(v, 0) || v < lo || v > hi {
		return usagef("-%s %v: must be a finite number in [%v, %v]", name, v, lo, hi)
	}
	return nil
}

// writable checks, before any work starts, that path can be created: its folder exists
// and accepts a new file, and path is not a folder.
func writable(path string) error {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return errors.New("is a folder, want a file name")
	}
	dir := filepath.Dir(path)
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("folder %s does not exist", dir)
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s is not a folder", dir)
	}
	f, err := os.CreateTemp(dir, ".evsim-probe-*")
	if err != nil {
		return fmt.Errorf("cannot write into %s: %v", dir, errors.Unwrap(err))
	}
	f.Close()
	os.Remove(f.Name())
	return nil
}
