package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/evsim/evsim/model"
	"github.com/evsim/evsim/runner/experiment"
)

// usageError is a bad flag, parameter or input file: one line naming it, the value and
// the fix; exit status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return &usageError{fmt.Sprintf(format, a...)} }

// The subcommands, in the order -h lists them.
var subcommands = []struct{ name, what, example string }{
	{"run", "train a new network (or continue -in), test, sleep, relabel, test again: the default experiment",
		"evsim run -n 100 -train 1000"},
	{"train", "train a new network (or continue -in), label it, write -out",
		"evsim train -n 400 -train 60000 -out net400.snap"},
	{"test", "classify test images with a labelled snapshot",
		"evsim test -in net400.snap -test 10000"},
	{"sleep", "sleep a trained snapshot, relabel it, write -out, report before/after",
		"evsim sleep -in awake.snap -out slept.snap"},
	{"sleepsearch", "search sleep parameters on a validation split of the training images (never the test set)",
		"evsim sleepsearch -in s1.snap,s2.snap -grid-gain 1,2 -grid-ms 5000,20000"},
	{"export", "write weights, thresholds and labels as NumPy .npz (numpy.load)",
		"evsim export -in net400.snap -out net400.npz"},
	{"paper", "reproduce the paper's figures, statistics and report (rerun the same command to resume)",
		"evsim paper -dir paper-results"},
}

func isSubcommand(s string) bool {
	return slices.ContainsFunc(subcommands, func(c struct{ name, what, example string }) bool { return c.name == s })
}

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
	json     bool   // -json: JSON on stdout instead of the summary
	results  string // -results FILE: the JSON results, also written to FILE
	profile  string
	quiet    bool
	epochs   int // -epochs: passes over the training set instead of -train
	ckptEach int // -checkpoint-every N images
	curve    curveFlags
	warmup   int     // -warmup-images
	warmInh  float64 // -warmup-inh
	thetaPl  float64 // -theta-plus (0: model.AwakeN's)
	latInh   float64 // -lateral-inh (0: model.Awake's 60 mV)
	tauTh    float64 // -tau-theta (0: model.AwakeN's)
	holdOut  int     // -hold-out: new networks never train on the last holdOut training images
	sleep    sleepFlags
	paper    paperFlags
	search   searchFlags
	slurm    slurmFlags

	args []string // the normalized invocation (subcommand, then -flag=value, paths absolute)
	set  map[string]bool
}

// flagDef is one flag: the subcommands that take it and how it is registered.
type flagDef struct {
	name   string
	phases string // space-separated subcommands
	reg    func(fs *flag.FlagSet, o *options)
	path   bool // a file or folder name: made absolute in checkpoints
}

const (
	sim       = "run train test sleep sleepsearch paper" // every phase that simulates
	all       = sim + " export"
	newNets   = "run train paper"
	withSleep = "run sleep sleepsearch paper"
)

var flagDefs = []flagDef{
	{name: "n", phases: newNets, reg: func(fs *flag.FlagSet, o *options) {
		fs.IntVar(&o.n, "n", 100, "excitatory neurons of a new network, in [1, 100000] (paper: default 400)")
	}},
	{name: "train", phases: "run train", reg: func(fs *flag.FlagSet, o *options) {
		fs.IntVar(&o.train, "train", 1000, "training images to present, continuing the sequence of -in (cycles through the 60000)")
	}},
	{name: "epochs", phases: "run train", reg: func(fs *flag.FlagSet, o *options) {
		fs.IntVar(&o.epochs, "epochs", 0, "passes over the training set to train, in [1, 1000], instead of -train (the progress shows the pass)")
	}},
	{name: "checkpoint-every", phases: "run train", reg: func(fs *flag.FlagSet, o *options) {
		fs.IntVar(&o.ckptEach, "checkpoint-every", 0, "write the checkpoint every N training images without stopping (a killed run continues from it with -resume); 0: only on an interrupt")
	}},
	{name: "curve", phases: "run train", reg: func(fs *flag.FlagSet, o *options) {
		fs.StringVar(&o.curve.points, "curve", "", "learning curve: at these counts of images seen (comma-separated), the accuracy on the validation split (never the test set), written to OUT.curve.csv and .png")
	}},
	{name: "curve-label", phases: "run train", reg: func(fs *flag.FlagSet, o *options) {
		fs.IntVar(&o.curve.label, "curve-label", 1000, "learning curve: labels from the first N training images")
	}},
	{name: "curve-validation", phases: "run train", reg: func(fs *flag.FlagSet, o *options) {
		fs.IntVar(&o.curve.validation, "curve-validation", 1000, "learning curve: accuracy on the last N training images (held out only until training reaches them: full passes train on them, unless -hold-out is at least N; the curve marks each point held_out or not)")
	}},
	{name: "label", phases: sim, reg: func(fs *flag.FlagSet, o *options) {
		fs.IntVar(&o.label, "label", -1, "training images used to assign labels, in [0, 60000] (-1: the command's default: run and train max(-train, 1000), sleepsearch 2000, paper 5000; test and sleep: 0 keeps the snapshot's labels)")
	}},
	{name: "test", phases: "run test sleep paper", reg: func(fs *flag.FlagSet, o *options) {
		fs.IntVar(&o.test, "test", 10000, "test images to classify, in [0, 10000] (paper: default 5000)")
	}},
	{name: "seed", phases: sim, reg: func(fs *flag.FlagSet, o *options) {
		fs.Uint64Var(&o.seed, "seed", 1, "random seed of a new network and of every input spike train (with -in: default the snapshot's seed)")
	}},
	{name: "engine", phases: sim, reg: func(fs *flag.FlagSet, o *options) {
		fs.StringVar(&o.engine, "engine", "event", "event | stepped (the time-stepped reference)")
	}},
	{name: "dt", phases: sim, reg: func(fs *flag.FlagSet, o *options) {
		fs.Float64Var(&o.dt, "dt", 0.5, "time step of -engine stepped (ms), dividing 350 and 150")
	}},
	{name: "in", phases: "run train test sleep sleepsearch export", path: true, reg: func(fs *flag.FlagSet, o *options) {
		fs.StringVar(&o.in, "in", "", "snapshot to start from (sleepsearch: a comma-separated list)")
	}},
	{name: "out", phases: "run train sleep export", path: true, reg: func(fs *flag.FlagSet, o *options) {
		fs.StringVar(&o.out, "out", "", "file to write: a snapshot, or the .npz of export (a symlink is written through to its target)")
	}},
	{name: "data", phases: sim, path: true, reg: func(fs *flag.FlagSet, o *options) {
		fs.StringVar(&o.data, "data", "", "folder with the MNIST IDX files (default: the GoMNIST module in the Go module cache)")
	}},
	{name: "workers", phases: sim, reg: func(fs *flag.FlagSet, o *options) {
		fs.IntVar(&o.workers, "workers", 0, "goroutines, in [0, 4096] (0: all cores): labelling and testing spread images over them (default: all cores); if given, run, train and sleep also share each spike's update of a network of 2,048 neurons or more among them (at most one per 1,024 neurons and one per core; default one); results do not depend on it")
	}},
	{name: "json", phases: all, reg: func(fs *flag.FlagSet, o *options) {
		fs.BoolVar(&o.json, "json", false, "print the results as JSON on stdout instead of the summary")
	}},
	{name: "results", phases: all, path: true, reg: func(fs *flag.FlagSet, o *options) {
		fs.StringVar(&o.results, "results", "", "also write the JSON results to this file")
	}},
	{name: "profile", phases: sim, reg: func(fs *flag.FlagSet, o *options) {
		fs.StringVar(&o.profile, "profile", "", "cpu | mem: write a pprof profile (pkg/profile) into the current folder")
	}},
	{name: "quiet", phases: all, reg: func(fs *flag.FlagSet, o *options) {
		fs.BoolVar(&o.quiet, "quiet", false, "no progress on stderr")
	}},
	{name: "warmup-images", phases: newNets, reg: func(fs *flag.FlagSet, o *options) {
		fs.IntVar(&o.warmup, "warmup-images", model.Awake().WarmupImages, "new networks: the first N training images are presented with the lateral inhibition ×-warmup-inh (0: no warm-up)")
	}},
	{name: "warmup-inh", phases: newNets, reg: func(fs *flag.FlagSet, o *options) {
		fs.Float64Var(&o.warmInh, "warmup-inh", model.Awake().WarmupInh, "new networks: lateral inhibition scale during the warm-up, in [0, 100]")
	}},
	{name: "theta-plus", phases: "run train", reg: func(fs *flag.FlagSet, o *options) {
		fs.Float64Var(&o.thetaPl, "theta-plus", 0, "new networks: threshold increment θ+ per spike in mV, in (0, 100] (0 or absent: 0.05·max(1, min(N, 1600)/100), the default scaling)")
	}},
	{name: "hold-out", phases: "run train", reg: func(fs *flag.FlagSet, o *options) {
		fs.IntVar(&o.holdOut, "hold-out", 0, "new networks: never train on the last N training images, in [0, 59999]: training cycles through the others, so that -curve validates on images never trained on over any number of passes (the snapshot keeps it)")
	}},
	{name: "tau-theta", phases: "run train", reg: func(fs *flag.FlagSet, o *options) {
		fs.Float64Var(&o.tauTh, "tau-theta", 0, "new networks: time constant of θ's decay in ms, in (0, 1e12] (0 or absent: 1e7·max(1, √(N/1600)): Diehl & Cook's 1e7 up to 1,600 neurons)")
	}},
	{name: "lateral-inh", phases: "run train", reg: func(fs *flag.FlagSet, o *options) {
		fs.Float64Var(&o.latInh, "lateral-inh", 0, "new networks: lateral inhibition, the peak drop in mV that one inhibitory spike causes in every other excitatory neuron, in (0, 1000] (0 or absent: 60; the warm-up scales it by -warmup-inh)")
	}},
	{name: "grid-gain", phases: "sleepsearch", reg: func(fs *flag.FlagSet, o *options) {
		fs.StringVar(&o.search.gain, "grid-gain", "0.5,1,2", "input gains to try")
	}},
	{name: "grid-leak", phases: "sleepsearch", reg: func(fs *flag.FlagSet, o *options) {
		fs.StringVar(&o.search.leak, "grid-leak", "1,2,4", "leak scales to try")
	}},
	{name: "grid-exc", phases: "sleepsearch", reg: func(fs *flag.FlagSet, o *options) {
		fs.StringVar(&o.search.exc, "grid-exc", "1,2,4", "excitatory gains to try")
	}},
	{name: "grid-inh", phases: "sleepsearch", reg: func(fs *flag.FlagSet, o *options) {
		fs.StringVar(&o.search.inh, "grid-inh", "0.5,1", "inhibition scales to try")
	}},
	{name: "grid-ms", phases: "sleepsearch", reg: func(fs *flag.FlagSet, o *options) {
		fs.StringVar(&o.search.ms, "grid-ms", "5000,20000", "sleep durations (ms) to try")
	}},
	{name: "samples", phases: "sleepsearch", reg: func(fs *flag.FlagSet, o *options) {
		fs.IntVar(&o.search.samples, "samples", 0, "random grid points to try (0: the whole grid)")
	}},
	{name: "validation", phases: "sleepsearch", reg: func(fs *flag.FlagSet, o *options) {
		fs.IntVar(&o.search.validation, "validation", 2000, "validation images, taken from the end of the training set, in [1, 30000]")
	}},
	{name: "dir", phases: "paper sleepsearch", path: true, reg: func(fs *flag.FlagSet, o *options) {
		fs.StringVar(&o.paper.dir, "dir", "paper-results", "results folder; rerun the same command to resume (sleepsearch: where its finished units are kept, default none; needed with -slurm)")
	}},
	{name: "seeds", phases: "paper", reg: func(fs *flag.FlagSet, o *options) {
		fs.IntVar(&o.paper.seeds, "seeds", 5, "network initializations: seeds -seed, -seed+1, ..., in [1, 100]")
	}},
	{name: "levels", phases: "paper", reg: func(fs *flag.FlagSet, o *options) {
		fs.StringVar(&o.paper.levels, "levels", "1000,2000,5000,10000,20000,40000,60000", "training levels; the first is the focus of Fig. 4, 5B-D and the ablations")
	}},
	{name: "distort", phases: "paper", reg: func(fs *flag.FlagSet, o *options) {
		fs.IntVar(&o.paper.distort, "distort", 1000, "test images per distortion level, in [1, 10000]")
	}},
}

func init() {
	flagDefs = append(flagDefs, sleepFlagDefs()...)
	flagDefs = append(flagDefs, slurmFlagDefs()...)
}

func (d flagDef) takes(phase string) bool { return slices.Contains(strings.Fields(d.phases), phase) }

func defOf(name string) (flagDef, bool) {
	for _, d := range flagDefs {
		if d.name == name {
			return d, true
		}
	}
	return flagDef{}, false
}

// flagSet registers the flags of one subcommand into a new set.
func flagSet(phase string, o *options) *flag.FlagSet {
	fs := flag.NewFlagSet("evsim "+phase, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are reported in one line; -h prints the usage
	fs.Usage = func() {}
	for _, d := range flagDefs {
		if d.takes(phase) {
			d.reg(fs, o)
		}
	}
	return fs
}

// splitPhase finds the subcommand: the first argument, or -phase NAME anywhere among the
// flags (the form evsim was specified with, kept as exactly the same command), or run.
func splitPhase(args []string) (phase string, rest []string, err error) {
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		if !isSubcommand(args[0]) {
			return "", nil, usagef("unknown command %q: use one of %s (see evsim -h)", args[0], names())
		}
		phase, args = args[0], args[1:]
	}
	rest = make([]string, 0, len(args))
	for k := 0; k < len(args); k++ {
		a := args[k]
		if a == "--" {
			rest = append(rest, args[k:]...)
			break
		}
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || name != "phase" {
			rest = append(rest, a)
			continue
		}
		if !hasVal {
			if k+1 >= len(args) {
				return "", nil, usagef("-phase needs a value: one of %s", names())
			}
			k++
			val = args[k]
		}
		if phase != "" {
			return "", nil, usagef("-phase %q: the command is given twice (%s); give it once", val, phase)
		}
		if !isSubcommand(val) {
			return "", nil, usagef("-phase %q: must be one of %s", val, names())
		}
		phase = val
	}
	return phase, rest, nil
}

func names() string {
	var s []string
	for _, c := range subcommands {
		s = append(s, c.name)
	}
	return strings.Join(s, " | ")
}

// parse reads an invocation: `evsim [COMMAND] [flags]`, `evsim -phase COMMAND [flags]`,
// or `evsim -resume FILE [-quiet] [-json] [-workers N]`.
func parse(args []string, stderr io.Writer) (*options, error) {
	if o, ok, err := parseResume(args); ok {
		return o, err
	}
	phase, rest, err := splitPhase(args)
	if err != nil {
		return nil, err
	}
	if phase == "" {
		if slices.ContainsFunc(rest, isHelp) {
			topUsage(stderr)
			return nil, flag.ErrHelp
		}
		phase = "run"
	}
	o := &options{phase: phase, set: map[string]bool{}}
	// Every field gets its default, also those of flags this command does not take.
	defaults := flag.NewFlagSet("defaults", flag.ContinueOnError)
	for _, d := range flagDefs {
		d.reg(defaults, o)
	}
	fs := flagSet(phase, o)
	if err := fs.Parse(rest); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			phaseUsage(fs, phase, stderr)
			return nil, err
		}
		return nil, flagError(phase, err)
	}
	fs.Visit(func(f *flag.Flag) { o.set[f.Name] = true })
	if fs.NArg() > 0 {
		a := fs.Arg(0)
		if o.set["json"] {
			return nil, usagef("unexpected argument %q: -json is a switch (JSON on stdout); write the results to a file with -results %s", a, a)
		}
		return nil, usagef("unexpected argument %q: evsim %s takes flags only (see evsim %s -h)", a, phase, phase)
	}
	if err := o.validate(); err != nil {
		return nil, err
	}
	o.args = normalized(fs, phase)
	return o, nil
}

func isHelp(a string) bool {
	switch a {
	case "-h", "-help", "--help", "--h":
		return true
	}
	return false
}

// parseResume recognizes -resume FILE, which takes no flags but -quiet, -json and -workers
// (none of which changes a result).
func parseResume(args []string) (*options, bool, error) {
	has := slices.ContainsFunc(args, func(a string) bool {
		name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		return strings.HasPrefix(a, "-") && name == "resume"
	})
	if !has {
		return nil, false, nil
	}
	o := &options{set: map[string]bool{}}
	fs := flag.NewFlagSet("evsim -resume", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.resume, "resume", "", "checkpoint to continue")
	fs.BoolVar(&o.quiet, "quiet", false, "")
	fs.BoolVar(&o.json, "json", false, "")
	fs.IntVar(&o.workers, "workers", 0, "")
	if err := fs.Parse(args); err != nil {
		if strings.Contains(err.Error(), "not defined") {
			return nil, true, usagef("-resume: give no other flags than -quiet, -json and -workers: the checkpoint holds the run's flags (%s)", oneLine(err))
		}
		return nil, true, usagef("%s (see evsim -h)", oneLine(err))
	}
	if fs.NArg() > 0 {
		return nil, true, usagef("unexpected argument %q: -resume takes a checkpoint file and no command", fs.Arg(0))
	}
	if o.resume == "" {
		return nil, true, usagef("-resume \"\": name the checkpoint file to continue (the interrupted run printed it)")
	}
	fs.Visit(func(f *flag.Flag) { o.set[f.Name] = true })
	if err := checkWorkers(o.workers); err != nil {
		return nil, true, err
	}
	return o, true, nil
}

// checkWorkers refuses a -workers value outside [0, 4096].
func checkWorkers(n int) error {
	if n < 0 || n > 4096 {
		return usagef("-workers %d: must be in [0, 4096] (0: all cores)", n)
	}
	return nil
}

// flagError turns a flag package error into one line; a flag of another subcommand gets
// a hint naming the subcommands that take it.
func flagError(phase string, err error) error {
	msg := oneLine(err)
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: -"); ok {
		if name == "resume" {
			return usagef("-resume: give it alone: evsim -resume FILE")
		}
		if d, ok := defOf(name); ok {
			return usagef("-%s: not a flag of evsim %s (it belongs to: %s; see evsim %s -h)", name, phase, strings.Join(strings.Fields(d.phases), ", "), phase)
		}
		if name == "phase" {
			return usagef("-phase: give it once")
		}
		return usagef("-%s: no such flag (see evsim %s -h)", name, phase)
	}
	return usagef("%s (see evsim %s -h)", msg, phase)
}

// normalized is the invocation as a checkpoint stores it: the subcommand, then every flag
// given as -name=value, with file names made absolute so that a resume works from any
// folder.
func normalized(fs *flag.FlagSet, phase string) []string {
	out := []string{phase}
	var names []string
	fs.Visit(func(f *flag.Flag) { names = append(names, f.Name) })
	sort.Strings(names)
	for _, name := range names {
		v := fs.Lookup(name).Value.String()
		if d, ok := defOf(name); ok && d.path && v != "" {
			var parts []string
			for _, p := range strings.Split(v, ",") {
				if a, err := filepath.Abs(strings.TrimSpace(p)); err == nil {
					p = a
				}
				parts = append(parts, p)
			}
			v = strings.Join(parts, ",")
		}
		out = append(out, "-"+name+"="+v)
	}
	return out
}

// oneLine keeps the first line of a flag package error.
func oneLine(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}

func topUsage(w io.Writer) {
	fmt.Fprintf(w, `evsim: event-driven simulation of the Diehl & Cook 2015 network on MNIST, and sleep.

Usage: evsim [COMMAND] [flags]      (no command: run; evsim -phase COMMAND ... is the same)
       evsim -resume FILE           continue an interrupted run from its checkpoint

Commands, each with an example:
`)
	for _, c := range subcommands {
		fmt.Fprintf(w, "  %-12s %s\n  %-12s   %s\n", c.name, c.what, "", c.example)
	}
	fmt.Fprintf(w, `
evsim COMMAND -h lists the flags of a command. With no flags, evsim trains 100 neurons on
1,000 images, tests them on 10,000, sleeps them with the validated sleep and tests again.
Results: a summary on stdout (-json: JSON); progress on stderr.
Exit status: 0 done, 1 runtime failure, 2 bad flag, parameter or input file, 130 / 143
interrupted by SIGINT / SIGTERM (a checkpoint was written: continue with -resume).
`)
}

func phaseUsage(fs *flag.FlagSet, phase string, w io.Writer) {
	for _, c := range subcommands {
		if c.name == phase {
			fmt.Fprintf(w, "evsim %s: %s\n\nExample:\n  %s\n\nFlags:\n", phase, c.what, c.example)
		}
	}
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
}

// awake is the training regime of a new network of n neurons: model.AwakeN with the
// warm-up flags.
func (o *options) awake(n int) model.Regime {
	r := model.AwakeN(n)
	r.WarmupImages, r.WarmupInh = o.warmup, o.warmInh
	if o.thetaPl > 0 {
		r.ThetaPlus = o.thetaPl
	}
	if o.latInh > 0 {
		r.JIE = o.latInh / model.PSPPeak(r.Exc.TauM, r.TauS)
	}
	if o.tauTh > 0 {
		r.TauTheta = o.tauTh
	}
	return r
}

func (o *options) validate() error {
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
	if o.set["dt"] && o.engine != "stepped" {
		return usagef("-dt %v: applies to -engine stepped only", o.dt)
	}
	if o.engine == "stepped" {
		if err := finite("dt", o.dt, 1e-4, 10); err != nil {
			return err
		}
		for _, d := range []float64{350, 150} {
			if k := math.Round(d / o.dt); math.Abs(k*o.dt-d) > 1e-9*d {
				return usagef("-dt %v: must divide the 350 ms presentation and the 150 ms rest (e.g. 0.5, 0.1, 0.05, 0.01)", o.dt)
			}
		}
	}
	if err := checkWorkers(o.workers); err != nil {
		return err
	}
	switch o.profile {
	case "", "cpu", "mem":
	default:
		return usagef("-profile %q: must be cpu or mem", o.profile)
	}
	for _, f := range []struct{ name, v string }{{"in", o.in}, {"out", o.out}, {"results", o.results}, {"data", o.data}, {"dir", o.paper.dir}} {
		if o.set[f.name] && strings.TrimSpace(f.v) == "" {
			return usagef("-%s \"\": give a file name, or leave the flag out", f.name)
		}
	}
	switch o.phase {
	case "test", "sleep", "sleepsearch", "export":
		if o.in == "" {
			return usagef("evsim %s needs -in SNAPSHOT", o.phase)
		}
	}
	switch o.phase {
	case "train", "sleep":
		if o.out == "" {
			return usagef("evsim %s needs -out SNAPSHOT: the network it makes would be lost", o.phase)
		}
	case "export":
		if o.out == "" {
			return usagef("evsim export needs -out FILE.npz")
		}
	}
	if o.in != "" && o.set["n"] {
		return usagef("-n %d: the snapshot -in %s sets the network size; leave -n out", o.n, o.in)
	}
	if (o.set["warmup-images"] || o.set["warmup-inh"] || o.set["theta-plus"] || o.set["lateral-inh"] || o.set["tau-theta"] || o.set["hold-out"]) && o.in != "" {
		return usagef("-warmup-images/-warmup-inh/-theta-plus/-lateral-inh/-tau-theta/-hold-out: the snapshot -in %s carries its own training regime; leave them out", o.in)
	}
	if o.set["epochs"] {
		if o.set["train"] {
			return usagef("-epochs %d: give -epochs or -train, not both", o.epochs)
		}
		if o.epochs < 1 || o.epochs > 1000 {
			return usagef("-epochs %d: must be in [1, 1000]", o.epochs)
		}
		o.train = o.epochs * 60000 // the MNIST training set; prepare uses the set's real size
	}
	if o.ckptEach < 0 {
		return usagef("-checkpoint-every %d: must be >= 0", o.ckptEach)
	}
	if err := o.curve.validate(o.set); err != nil {
		return err
	}
	if o.warmup < 0 || o.warmup > 100_000_000 {
		return usagef("-warmup-images %d: must be in [0, 100000000]", o.warmup)
	}
	if err := finite("warmup-inh", o.warmInh, 0, 100); err != nil {
		return err
	}
	if err := finite("theta-plus", o.thetaPl, 0, 100); err != nil {
		return err
	}
	if err := finite("lateral-inh", o.latInh, 0, 1000); err != nil {
		return err
	}
	if err := finite("tau-theta", o.tauTh, 0, 1e12); err != nil {
		return err
	}
	if o.holdOut < 0 || o.holdOut > 59999 {
		return usagef("-hold-out %d: must be in [0, 59999]", o.holdOut)
	}
	if err := o.sleep.validate(o.set); err != nil {
		return err
	}
	switch o.phase {
	case "sleepsearch":
		sp, err := o.search.space()
		if err != nil {
			return err
		}
		if !o.set["dir"] {
			o.paper.dir = ""
		}
		if err := o.slurm.validateSearch(o, sp.Size()); err != nil {
			return err
		}
		if o.search.samples < 0 {
			return usagef("-samples %d: must be >= 0", o.search.samples)
		}
		if o.search.validation < 1 || o.search.validation > 30000 {
			return usagef("-validation %d: must be in [1, 30000]", o.search.validation)
		}
		if o.label > 60000-o.search.validation {
			return usagef("-label %d: labels come from the first images and validation from the last %d: -label must be at most %d", o.label, o.search.validation, 60000-o.search.validation)
		}
	case "paper":
		if o.paper.seeds < 1 || o.paper.seeds > 100 {
			return usagef("-seeds %d: must be in [1, 100]", o.paper.seeds)
		}
		if o.paper.distort < 1 || o.paper.distort > 10000 {
			return usagef("-distort %d: must be in [1, 10000]", o.paper.distort)
		}
		levels, err := parseLevels(o.paper.levels)
		if err != nil {
			return err
		}
		if err := o.slurm.validate(o, o.paperSeeds(), levels); err != nil {
			return err
		}
		def := experiment.DefaultPaper()
		if !o.set["n"] {
			o.n = def.NExc
		}
		if !o.set["test"] {
			o.test = def.Test
		}
		if !o.set["label"] {
			o.label = def.Label
		}
		if o.test == 0 {
			return usagef("-test 0: evsim paper needs test images")
		}
		if o.label == 0 {
			return usagef("-label 0: evsim paper needs labelling images")
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

// inputExists refuses a missing or unreadable input before any work.
func inputExists(flagName, path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return usagef("-%s %s: cannot read it: %v", flagName, path, errors.Unwrap(err))
	}
	if !fi.Mode().IsRegular() {
		return usagef("-%s %s: not a regular file", flagName, path)
	}
	return nil
}
