// Command testinh scores snapshots with the lateral inhibition scaled at labelling and
// test time only (a research tool, not part of evsim): labels from the first -label
// training images, accuracy on the last -val training images (or, with -test, on the test
// set), once per scale in -inh. Training and sleep are not involved; the snapshot is frozen.
//
//	go run ./cmd/sleeplab/testinh -inh 1,0.1 awake.snap slept.snap
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"strconv"
	"strings"

	"github.com/evsim/evsim/analysis"
	"github.com/evsim/evsim/runner"
	"github.com/evsim/evsim/runner/mnist"
)

func main() {
	inhs := flag.String("inh", "1,0.5,0.25", "")
	nLabel := flag.Int("label", 10000, "")
	nVal := flag.Int("val", 2000, "")
	test := flag.Bool("test", false, "score the test set instead of validation")
	workers := flag.Int("workers", 1, "")
	flag.Parse()
	ctx := context.Background()
	dd, err := mnist.DefaultDir()
	if err != nil {
		log.Fatal(err)
	}
	set, err := mnist.Load(dd, "train", 0)
	if err != nil {
		log.Fatal(err)
	}
	val := set.Last(*nVal)
	if *test {
		val, err = mnist.Load(dd, "t10k", 0)
		if err != nil {
			log.Fatal(err)
		}
	}
	spec := runner.EngineSpec{Kind: "event"}
	for _, p := range flag.Args() {
		sn, err := runner.LoadSnapshot(p)
		if err != nil {
			log.Fatal(err)
		}
		var out []string
		for _, s := range strings.Split(*inhs, ",") {
			f, _ := strconv.ParseFloat(s, 64)
			r := sn.Meta.Regime.Frozen()
			r.JIE *= f
			rc := runner.RespondConfig{Set: set, Count: *nLabel, Seed: sn.Meta.Seed, Stream: runner.StreamLabel, Engine: spec, Regime: r, Workers: *workers}
			lc, err := runner.Responses(ctx, sn.Net, rc)
			if err != nil {
				log.Fatal(err)
			}
			labels, err := analysis.Assign(lc, set.Labels[:*nLabel], 10)
			if err != nil {
				log.Fatal(err)
			}
			rc.Set, rc.Count, rc.Stream = val, val.Len(), runner.StreamTest
			vc, err := runner.Responses(ctx, sn.Net, rc)
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
