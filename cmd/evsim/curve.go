package main

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/evsim/evsim/analysis"
	"github.com/evsim/evsim/analysis/outfile"
	"github.com/evsim/evsim/runner"
)

// curveFlags ask for a learning curve measured while training.
type curveFlags struct {
	points     string // -curve: images seen at which to measure
	label      int    // -curve-label
	validation int    // -curve-validation
}

// CurvePoint is one point of a learning curve: the validation accuracy of the network
// after Images images seen.
type CurvePoint struct {
	Images   int     `json:"images_seen"`
	Pass     int     `json:"pass"` // 1 for the first pass over the training set
	Accuracy float64 `json:"validation_accuracy"`
	// HeldOut: the network has not trained on the validation images (the last
	// -curve-validation of the set) yet. Without -hold-out, training passes over the whole
	// set, so from the first pass's last images on the "validation" accuracy is one on
	// trained images; with -hold-out (at least -curve-validation) every point is held out.
	HeldOut bool `json:"held_out"`
}

// heldOut says whether a network that has seen seen images of a training sequence cycling
// through n images has trained on none of the last v.
func heldOut(seen, n, v int) bool { return seen <= n-v }

func (c *curveFlags) list() ([]int, error) {
	if strings.TrimSpace(c.points) == "" {
		return nil, nil
	}
	var out []int
	for _, f := range strings.Split(c.points, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || v <= 0 || (len(out) > 0 && v <= out[len(out)-1]) {
			return nil, usagef("-curve %q: must be a comma-separated list of increasing counts of images seen", c.points)
		}
		out = append(out, v)
	}
	return out, nil
}

func (c *curveFlags) validate(set map[string]bool) error {
	if _, err := c.list(); err != nil {
		return err
	}
	if (set["curve-label"] || set["curve-validation"]) && !set["curve"] {
		return usagef("-curve-label/-curve-validation: apply to -curve only")
	}
	if c.label < 1 || c.validation < 1 || c.label+c.validation > 60000 {
		return usagef("-curve-label %d -curve-validation %d: each must be >= 1 and together at most 60000 (labels from the first images, validation from the last)", c.label, c.validation)
	}
	return nil
}

// curvePoint measures the network's validation accuracy now: labels from the first
// -curve-label training images, accuracy on the last -curve-validation (never the test
// set). The network is not changed.
func (e *env) curvePoint() error {
	o, snap := e.o, e.snap
	t0 := time.Now()
	ev := runner.Evaluator{Engine: e.spec, Seed: o.seed, Workers: o.workers}
	labels, err := ev.Label(e.ctx, snap.Net, snap.Meta.Regime, e.trainSet, o.curve.label)
	if err != nil {
		return err
	}
	val := e.trainSet.Last(o.curve.validation)
	score, err := ev.Score(e.ctx, snap.Net, snap.Meta.Regime, labels, val, val.Len())
	if err != nil {
		return err
	}
	seen := snap.Meta.ImagesSeen
	n := e.fit().Len()
	held := o.curve.validation <= snap.Meta.HeldOut || heldOut(seen, n, o.curve.validation)
	e.res.Curve = append(e.res.Curve, CurvePoint{Images: seen, Pass: (seen-1)/n + 1, Accuracy: score.Accuracy, HeldOut: held})
	e.res.Timing["curve"] += time.Since(t0).Seconds()
	if !o.quiet {
		note := ""
		if !held {
			note = " (not held out: the network has trained on these images)"
		}
		fmt.Fprintf(e.stderr, "curve: %d images seen (pass %d): validation accuracy %.2f %%%s\n", seen, (seen-1)/n+1, 100*score.Accuracy, note)
	}
	return e.writeCurve()
}

// writeCurve writes the curve so far to OUT.curve.csv and, from two points on,
// OUT.curve.png (no files without -out: the curve is in the results).
func (e *env) writeCurve() error {
	if e.o.out == "" || len(e.res.Curve) == 0 {
		return nil
	}
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write([]string{"images_seen", "pass", "validation_accuracy", "held_out"})
	s := analysis.Series{Name: "validation accuracy"}
	for _, p := range e.res.Curve {
		w.Write([]string{strconv.Itoa(p.Images), strconv.Itoa(p.Pass), strconv.FormatFloat(p.Accuracy, 'f', 4, 64), strconv.FormatBool(p.HeldOut)})
		s.X = append(s.X, float64(p.Images))
		s.Mean = append(s.Mean, 100*p.Accuracy)
	}
	w.Flush()
	if err := outfile.WriteFile(e.o.out+".curve.csv", b.Bytes()); err != nil {
		return err
	}
	if len(s.X) < 2 {
		return nil
	}
	title := fmt.Sprintf("learning curve, %d neurons (labels %d, validation %d training images)", e.snap.Meta.NExc, e.o.curve.label, e.o.curve.validation)
	return analysis.LinePlot(e.o.out+".curve.png", title, "training images seen", "validation accuracy (%)", []analysis.Series{s})
}
