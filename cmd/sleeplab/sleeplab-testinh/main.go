// Command testinh scores snapshots with the lateral inhibition scaled at labelling and
// test time only (a research tool, not part of evsim): labels from the first -label
// training images, accuracy on the last -val training images (or, with -test, on the test
// set), once per scale in -inh. Training and sleep are not involved; the snapshot is frozen.
//
//	go run ./cmd/sleeplab/sleeplab-testinh -inh 1,0.1 awake.snap slept.snap
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"strconv"
	"strings"

	"github.com/evsim/evsim/analysis"
	"github.com/evsim/evsim/cmd/sleeplab/internal/lab"
	"github.com/evsim/evsim/runner"
)

func main() {
	inhs := flag.String("inh", "1,0.5,0.25", "")
	nLabel := flag.Int("label", 10000, "")
	nVal := flag.Int("val", 2000, "")
	test := flag.Bool("test", false, "score the test set instead of validation")
	workers := flag.Int("workers", 1, "")
	flag.Parse()
	ctx := context.Background()
	set := lab.MustLoad("train", 0)
	val := set.Last(*nVal)
	if *test {
		val = lab.MustLoad("t10k", 0)
	}
	spec := runner.EngineSpec{Kind: "event"}
	for _, p := range flag.Args() {
		sn, err := runner.LoadSnapshot(p)
		if err != nil {
			log.Fatal(err)
		}
		var out []string
		for _, s := range strings.Split(*inhs, ",") {
			f, err := strconv.ParseFloat(s, 64)
			if err != nil {
				log.Fatalf("testinh: -inh: %v", err)
			}
			r := sn.Meta.Regime.Frozen()
			r.JIE *= f
			labels, err := runner.Evaluator{Engine: spec, Seed: sn.Meta.Seed, Workers: *workers}.Label(ctx, sn.Net, r, set, *nLabel)
			if err != nil {
				log.Fatal(err)
			}
			// Scored through Responses, not Evaluator.Score, for the spike counts.
			vc, err := runner.Responses(ctx, sn.Net, runner.RespondConfig{Set: val, Count: val.Len(), Seed: sn.Meta.Seed, Stream: runner.StreamTest, Engine: spec, Regime: r, Workers: *workers})
			if err != nil {
				log.Fatal(err)
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
			out = append(out, fmt.Sprintf("inh %s: %.2f%% (%.1f spikes, %.1f neurons per image)", s, 100*analysis.Evaluate(vc, val.Labels, labels).Accuracy, sp/k, active/k))
		}
		fmt.Println(p, strings.Join(out, "  "))
	}
}
