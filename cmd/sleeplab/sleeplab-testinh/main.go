// Command sleeplab-testinh scores snapshots with the lateral inhibition scaled at labelling
// and test time only (a research tool, not part of evsim): labels from the first -label
// training images, accuracy on the last -val training images (or, with -test, on the test
// set), once per scale in -inh. Training and sleep are not involved; the snapshot is frozen.
// It made the README's table "Where the gain comes from" (section "Sleep"; seeds 1-5, the
// awake snapshots of section "Measured" without the warm-up, and what `evsim -phase sleep`
// made of them):
//
//	go run ./cmd/evsim -phase train -n 400 -train 1000 -warmup-images 0 -label 0 -seed 1 -out awake1.snap
//	go run ./cmd/evsim -phase sleep -in awake1.snap -out slept1.snap -sleep-inh 0 -sleep-stdp=false -sleep-exc 1 -sleep-theta-plus 2 -sleep-ms 10000 -label 10000 -test 0
//	go run ./cmd/sleeplab/sleeplab-testinh -inh 1,0.1 awake1.snap slept1.snap
//
// One line per snapshot: the path, then per scale the accuracy (%), and the spikes and the
// neurons that fire per scored image.
package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/evsim/evsim/analysis"
	"github.com/evsim/evsim/cmd/sleeplab/internal/lab"
	"github.com/evsim/evsim/runner"
)

func main() { lab.Main("sleeplab-testinh", run) }

func run(args []string, stdout, stderr io.Writer) error {
	cmd := lab.NewCommand("sleeplab-testinh", "SNAPSHOT...")
	fl := cmd.Flags
	inhs := fl.String("inh", "1,0.5,0.25", "lateral inhibition scales, comma separated")
	nLabel := fl.Int("label", 10000, "labelling images (the first of the training set)")
	nVal := fl.Int("val", 2000, "validation images (the last of the training set)")
	test := fl.Bool("test", false, "score the test set instead of validation")
	workers := fl.Int("workers", 1, "goroutines for labelling and scoring")
	if err := cmd.Parse(args, stderr); err != nil {
		return err
	}
	var scales []string
	var factors []float64
	for _, s := range strings.Split(*inhs, ",") {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || !(f >= 0) || math.IsInf(f, 1) {
			return lab.Usagef("-inh %q: want finite non-negative scales, comma separated", *inhs)
		}
		scales, factors = append(scales, s), append(factors, f)
	}
	ctx := context.Background()
	set, err := lab.TrainSplit(*nLabel, *nVal)
	if err != nil {
		return err
	}
	val := set.Last(*nVal)
	if *test {
		if val, err = lab.Load("t10k", 0); err != nil {
			return err
		}
	}
	spec := runner.EngineSpec{Kind: "event"}
	for _, p := range fl.Args() {
		sn, err := runner.LoadSnapshot(p)
		if err != nil {
			return err
		}
		var out []string
		for i, f := range factors {
			r := sn.Meta.Regime.Frozen()
			r.JIE *= f
			labels, err := runner.Evaluator{Engine: spec, Seed: sn.Meta.Seed, Workers: *workers}.Label(ctx, sn.Net, r, set, *nLabel)
			if err != nil {
				return err
			}
			// Scored through Responses, not Evaluator.Score, for the spike counts.
			vc, err := runner.Responses(ctx, sn.Net, runner.RespondConfig{Set: val, Count: val.Len(), Seed: sn.Meta.Seed, Stream: runner.StreamTest, Engine: spec, Regime: r, Workers: *workers})
			if err != nil {
				return err
			}
			sp, active := 0.0, 0.0
			for _, c := range vc {
				for _, v := range c {
					sp += float64(v)
					if v > 0 {
						active++
					}
				}
			}
			k := float64(len(vc))
			out = append(out, fmt.Sprintf("inh %s: %.2f%% (%.1f spikes, %.1f neurons per image)", scales[i], 100*analysis.Evaluate(vc, val.Labels, labels).Accuracy, sp/k, active/k))
		}
		fmt.Fprintln(stdout, p, strings.Join(out, "  "))
	}
	return nil
}
