package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/evsim/evsim/analysis"
	"github.com/evsim/evsim/model"
	"github.com/evsim/evsim/runner"
	"github.com/evsim/evsim/runner/mnist"
)

// env is what one invocation works with.
type env struct {
	ctx context.Context
	o   *options
	// fanWorkers: goroutines sharing each spike's update in training and sleep, resolved
	// in this process (a resumed run does not inherit the interrupted machine's cores):
	// -workers if given (0: all cores), else 1, as a helper that the system deschedules
	// stalls every spike (docs/performance.md).
	fanWorkers int
	stderr     io.Writer
	spec       runner.EngineSpec
	dir        string
	res        *Results
	snap       *runner.Snapshot

	// A resumed run: the checkpoint it came from and what it recorded.
	resumeFile string
	pend       *pending
	finished   []string // stages done, this run or before the checkpoint

	trainSet, testSet *mnist.Set
	sleepCfg          runner.SleepConfig     // built and checked before any work
	sleepMeanOf       int                    // the training images sleepCfg.Mean averages
	sleepStart        []byte                 // the network as sleep began (snapshot encoding)
	trainSoFar        runner.TrainStats      // training done before the checkpoint
	sleepSoFar        runner.SleepStats      // the sleep done so far
	trainStart        int                    // images seen when the run began
	searchNets        [][]byte               // the sleep search's networks (snapshot encodings)
	searchUnits       func() ([]byte, error) // the sleep search's finished units, encoded
	ckpt              string                 // where an interrupt writes the checkpoint
	wroteCkpt         bool                   // a periodic checkpoint was written (removed when the run completes)
}

// pending is stored in a checkpoint: the invocation to finish and how far it got.
type pending struct {
	Args []string `json:"args"`
	// Done lists the stages finished; Results holds what they reported.
	Done    []string        `json:"done"`
	Results json.RawMessage `json:"results"`
	// Start is the images seen when the run began; Train the training done so far.
	Start int                `json:"start"`
	Train *runner.TrainStats `json:"train,omitempty"`
	// A sleep in progress: the ms done, the statistics so far and the network as sleep began.
	SleptMS    float64            `json:"slept_ms,omitempty"`
	SleepSoFar *runner.SleepStats `json:"sleep_so_far,omitempty"`
	SleepStart []byte             `json:"sleep_start,omitempty"`
	// A sleep search in progress: its networks (snapshot encodings) and finished units.
	Nets  [][]byte        `json:"nets,omitempty"`
	Units json.RawMessage `json:"units,omitempty"`
}

func (e *env) done(stage string) bool { return slices.Contains(e.finished, stage) }

// stage runs one stage of a phase unless a resumed run finished it already. A stage
// stopped by a signal writes the checkpoint.
func (e *env) stage(name string, f func() error) error {
	if e.done(name) {
		return nil
	}
	if err := f(); err != nil {
		if e.ctx.Err() != nil {
			return e.checkpoint(name)
		}
		return err
	}
	e.finished = append(e.finished, name)
	return nil
}

// needsTraining says whether the phase presents training images (to train, label or
// take the sleep input from).
func (o *options) needsTraining() bool {
	switch o.phase {
	case "run", "sleep", "sleepsearch", "paper":
		return true
	case "train":
		return true // trainPhase reads the set even for -train 0
	case "test":
		return o.label > 0
	}
	return false
}

// prepare opens and checks everything the phase will need before the first image: the
// snapshot, the data files, the sleep configuration, the outputs and the checkpoint.
func (e *env) prepare() error {
	o := e.o
	if e.snap == nil && o.phase != "sleepsearch" && o.phase != "paper" {
		if o.in != "" {
			if err := inputExists("in", o.in); err != nil {
				return err
			}
			s, err := runner.LoadSnapshot(o.in)
			if err != nil {
				return &badInput{err}
			}
			e.snap = s
		} else {
			e.snap = &runner.Snapshot{
				Meta: runner.Meta{NIn: mnist.Pixels, NExc: o.n, Seed: o.seed, Regime: o.awake(o.n), Engine: e.spec, HeldOut: o.holdOut},
				Net:  runner.NewNetwork(mnist.Pixels, o.n, o.seed),
			}
		}
		// A snapshot continues with its own seed's random streams unless -seed is given.
		if o.in != "" && !o.set["seed"] && e.pend == nil {
			o.seed = e.snap.Meta.Seed
			e.res.Seed = o.seed
		}
	}
	if e.snap != nil {
		e.res.NExc = e.snap.Meta.NExc
		if e.snap.Meta.NIn != mnist.Pixels {
			return &badInput{fmt.Errorf("-in %s: the network has %d inputs, MNIST images %d pixels", o.in, e.snap.Meta.NIn, mnist.Pixels)}
		}
	}
	if o.phase == "sleepsearch" && e.pend == nil {
		for _, p := range strings.Split(o.in, ",") {
			if err := inputExists("in", strings.TrimSpace(p)); err != nil {
				return err
			}
		}
	}
	if o.needsTraining() {
		set, err := e.training()
		if err != nil {
			return err
		}
		if o.label > set.Len() {
			return usagef("-label %d: the training set holds %d images", o.label, set.Len())
		}
		held := 0 // sleepsearch and paper make their own networks
		if e.snap != nil {
			held = e.snap.Meta.HeldOut
		}
		if held > 0 && held >= set.Len() && o.phase != "test" {
			if o.in != "" {
				return usagef("-in %s: the network never trains on the last %d training images (-hold-out), but the training set holds only %d; use the data it was trained with", o.in, held, set.Len())
			}
			return usagef("-hold-out %d: the training set holds %d images, so none would be left to train on", held, set.Len())
		}
		if o.set["epochs"] {
			o.train = o.epochs * (set.Len() - held)
		}
		if held > 0 && !o.set["label"] && o.label > set.Len()-held {
			o.label = set.Len() - held // the default labels no held-out image
		}
		if pts, _ := o.curve.list(); len(pts) > 0 && e.snap != nil {
			from := e.snap.Meta.ImagesSeen
			if e.pend != nil {
				from = e.pend.Start
			}
			if pts[0] <= from || pts[len(pts)-1] > from+o.train {
				return usagef("-curve %s: the points must lie in (%d, %d], the images the network will have seen while training", o.curve.points, from, from+o.train)
			}
			if o.curve.label+o.curve.validation > set.Len() {
				return usagef("-curve-label %d -curve-validation %d: together more than the %d training images", o.curve.label, o.curve.validation, set.Len())
			}
			if held > 0 && o.curve.validation > held {
				return usagef("-curve-validation %d: more than the %d images the network never trains on (-hold-out); give -curve-validation %d or less", o.curve.validation, held, held)
			}
		}
	}
	if o.test > 0 && (o.phase == "run" || o.phase == "test" || o.phase == "sleep" || o.phase == "paper") {
		n := o.test
		if o.phase == "paper" {
			n = 0
		}
		set, err := e.testing(n)
		if err != nil {
			return err
		}
		if o.test > set.Len() {
			return usagef("-test %d: the test set holds %d images", o.test, set.Len())
		}
		if o.phase == "test" && o.label == 0 && e.snap.Meta.Labels == nil {
			return usagef("-label 0: the snapshot %s has no labels yet: pass -label N (training images to assign labels from)", o.in)
		}
	}
	if o.phase == "run" || o.phase == "sleep" {
		if err := e.prepareSleep(); err != nil {
			return err
		}
	}
	if err := e.checkFiles(); err != nil {
		return err
	}
	return nil
}

// prepareSleep builds the sleep the run will do and checks it now, so that a sleep that
// cannot run is refused before training, labelling and testing.
func (e *env) prepareSleep() error {
	o, snap := e.o, e.snap
	set := e.fit()
	cfg := o.sleep.config(o.set)
	// The images the network will have seen when it sleeps.
	seen := snap.Meta.ImagesSeen
	if o.phase == "run" && !e.done("train") {
		start := snap.Meta.ImagesSeen
		if e.pend != nil {
			start = e.pend.Start
		}
		seen = start + o.train
	}
	meanOf := set.Len()
	if o.sleep.input == "seen" {
		meanOf = min(seen, set.Len())
		if meanOf == 0 {
			return usagef("-sleep-input seen: the network will have seen no training images: train it first or use -sleep-input all")
		}
	}
	cfg.Mean = runner.MeanImage(set, meanOf)
	e.sleepMeanOf = meanOf
	cfg.Seed, cfg.Engine, cfg.Awake = o.seed, e.spec, snap.Meta.Regime
	if err := checkSleep(cfg, snap.Meta.NIn); err != nil {
		return err
	}
	e.sleepCfg = cfg
	return nil
}

// simulate runs the phases run, train, test and sleep as stages.
func (e *env) simulate() error {
	o := e.o
	switch o.phase {
	case "run": // train, then sleep: test before, sleep, relabel, test after
		if err := e.stage("train", e.trainPhase); err != nil {
			return err
		}
		if err := e.sleepPhase(); err != nil {
			return err
		}
	case "train":
		if err := e.stage("train", e.trainPhase); err != nil {
			return err
		}
		if o.label > 0 {
			if err := e.stage("label", func() error { return e.labelPhase("label") }); err != nil {
				return err
			}
		}
	case "test":
		if o.label > 0 {
			if err := e.stage("label", func() error { return e.labelPhase("label") }); err != nil {
				return err
			}
		}
		if o.test > 0 {
			if err := e.stage("test", func() error {
				score, err := e.testPhase("test")
				e.res.Test = &score
				return err
			}); err != nil {
				return err
			}
		}
	case "sleep":
		if err := e.sleepPhase(); err != nil {
			return err
		}
	}
	if o.out != "" {
		e.snap.Meta.Pending = nil
		prov := e.res.Provenance
		e.snap.Meta.Provenance = &prov
		if err := e.snap.Save(o.out); err != nil {
			return err
		}
		e.res.Out = o.out
	}
	return nil
}

func (e *env) progress(what string, total int) func(int) {
	return e.progressIn(what, "img", total)
}

// progressIn is progress for a bar that counts something else than images (unit).
func (e *env) progressIn(what, unit string, total int) func(int) {
	return e.track(newProgress(what, unit, total, e.o.quiet), what)
}

// track reports progress on bar and to the test hook.
func (e *env) track(bar *progress, what string) func(int) {
	return func(done int) {
		bar.Update(done)
		if testHook != nil {
			testHook(what, float64(done))
		}
	}
}

// passLabel labels the training progress bar with the pass of the next image: the bar
// counts images done since the network had seen seen0, n per pass.
func passLabel(seen0, n, passes int) func(done int) string {
	return func(done int) string {
		return fmt.Sprintf("train (pass %d/%d)", min((seen0+done)/n+1, passes), passes)
	}
}

func (e *env) trainPhase() error {
	o, snap := e.o, e.snap
	start := snap.Meta.ImagesSeen
	if e.pend != nil {
		start = e.pend.Start
		if e.pend.Train != nil {
			e.trainSoFar = *e.pend.Train
		}
	}
	e.trainStart = start
	end := start + o.train
	curve, _ := o.curve.list()
	fit := e.fit()
	n := fit.Len()
	passes := (end + n - 1) / n
	remaining := end - snap.Meta.ImagesSeen
	bar := newProgress("train", "img", remaining, o.quiet)
	if passes > 1 {
		bar.label = passLabel(snap.Meta.ImagesSeen, n, passes)
	}
	track := e.track(bar, "train")
	t0 := time.Now()
	doneHere := 0
	// curveDue measures the curve point at the images seen now, if there is one that is not
	// measured yet: after each stretch, and before the first, for a run interrupted between
	// the end of a stretch and its point.
	curveDue := func() error {
		seen := snap.Meta.ImagesSeen
		if !slices.Contains(curve, seen) || slices.ContainsFunc(e.res.Curve, func(p CurvePoint) bool { return p.Images == seen }) {
			return nil
		}
		return e.curvePoint()
	}
	if err := curveDue(); err != nil {
		return err
	}
	// Training stops at each curve point and periodic checkpoint: a sequence split into
	// several Train calls is bit-identical to one.
	for snap.Meta.ImagesSeen < end {
		seen := snap.Meta.ImagesSeen
		stop := end
		if o.ckptEach > 0 {
			stop = min(stop, start+((seen-start)/o.ckptEach+1)*o.ckptEach)
		}
		for _, c := range curve {
			if c > seen {
				stop = min(stop, c)
				break
			}
		}
		base := doneHere
		st, err := runner.Train(e.ctx, snap.Net, runner.TrainConfig{
			Set: fit, Start: seen, Count: stop - seen, Seed: o.seed,
			Engine: e.spec, Regime: snap.Meta.Regime, Workers: e.fanWorkers,
			Progress: func(d int) { track(base + d) },
		})
		snap.Meta.ImagesSeen += st.Images
		snap.Meta.Labels, snap.Meta.LabelImages = nil, 0
		doneHere += st.Images
		e.trainSoFar = addTrain(e.trainSoFar, st)
		if err != nil {
			return err
		}
		if err := curveDue(); err != nil {
			return err
		}
		if o.ckptEach > 0 && stop < end && (stop-start)%o.ckptEach == 0 {
			if _, err := e.writeCheckpoint("train"); err != nil {
				return fmt.Errorf("the periodic checkpoint could not be written: %w", err)
			}
			e.wroteCkpt = true
		}
	}
	st := e.trainSoFar
	el := time.Since(t0).Seconds()
	e.res.Timing["train"] = el
	e.res.Train = &TrainResult{TrainStats: st, ImagesSeen: snap.Meta.ImagesSeen, ImagesPerSec: float64(doneHere) / math.Max(el, 1e-9), MeanTheta: mean(snap.Net.Theta),
		WarmupImages: snap.Meta.Regime.WarmupImages, WarmupInh: snap.Meta.Regime.WarmupInh, ThetaPlus: snap.Meta.Regime.ThetaPlus,
		LateralInh: snap.Meta.Regime.JIE * model.PSPPeak(snap.Meta.Regime.Exc.TauM, snap.Meta.Regime.TauS), TauTheta: snap.Meta.Regime.TauTheta,
		HeldOut: snap.Meta.HeldOut}
	return nil
}

// fit is the part of the training set the network trains on: all of it but the last
// Meta.HeldOut images. It shares the training set's storage.
func (e *env) fit() *mnist.Set {
	if e.snap.Meta.HeldOut == 0 {
		return e.trainSet
	}
	return e.trainSet.First(e.trainSet.Len() - e.snap.Meta.HeldOut)
}

// addTrain is the training statistics of two consecutive stretches.
func addTrain(a, b runner.TrainStats) runner.TrainStats {
	return runner.TrainStats{
		Images: a.Images + b.Images, Presentations: a.Presentations + b.Presentations, GaveUp: a.GaveUp + b.GaveUp,
		Spikes: a.Spikes + b.Spikes, InputSpikes: a.InputSpikes + b.InputSpikes, MaxIntensity: max(a.MaxIntensity, b.MaxIntensity),
	}
}

func (e *env) labelPhase(what string) error {
	o, snap := e.o, e.snap
	t0 := time.Now()
	ev := runner.Evaluator{Engine: e.spec, Seed: o.seed, Workers: o.workers, Progress: e.progress(what, o.label)}
	labels, err := ev.Label(e.ctx, snap.Net, snap.Meta.Regime, e.trainSet, o.label)
	if err != nil {
		return err
	}
	snap.Meta.Labels, snap.Meta.LabelImages = labels, o.label
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
	t0 := time.Now()
	ev := runner.Evaluator{Engine: e.spec, Seed: o.seed, Workers: o.workers, Progress: e.progress(what, o.test)}
	score, err := ev.Score(e.ctx, snap.Net, snap.Meta.Regime, snap.Meta.Labels, e.testSet, o.test)
	if err != nil {
		return score, err
	}
	e.res.Timing[what] = time.Since(t0).Seconds()
	return score, nil
}

// numberList matches a JSON array of numbers spread over lines by MarshalIndent.
var (
	numberList = regexp.MustCompile(`\[[-0-9.eE+,\s]*\]`)
	space      = regexp.MustCompile(`\s+`)
)

// marshalResults indents the results but keeps arrays of numbers on one line.
func marshalResults(v any) ([]byte, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, err
	}
	b = numberList.ReplaceAllFunc(b, func(m []byte) []byte { return space.ReplaceAll(m, nil) })
	if !json.Valid(b) {
		return nil, fmt.Errorf("internal error: the compacted results are not valid JSON")
	}
	return append(b, '\n'), nil
}

func mean(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		s += v
	}
	return s / float64(max(len(x), 1))
}

// encodeSnap is the snapshot's file encoding, for a checkpoint to embed.
func encodeSnap(s *runner.Snapshot) ([]byte, error) {
	var b bytes.Buffer
	if err := s.Encode(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
