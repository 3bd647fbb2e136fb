// Command trainvar trains networks under variants of the awake regime (a research tool, not
// part of evsim), to see how the awake weights after few images bound what sleep can do. It
// writes DIR/awakeS.snap for each seed S, which `evsim -phase sleep -in` and
// `cmd/sleeplab/sleeplab-template` read.
//
//	go run ./cmd/sleeplab/sleeplab-trainvar -thetaplus 0.05 -inh 0.25 -seeds 1,2,3 -out dir
//	go run ./cmd/sleeplab/sleeplab-trainvar -in dir -inh 1 -train 59000 -seeds 1,2,3 -out dir2  # continue
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/evsim/evsim/cmd/sleeplab/internal/lab"
	"github.com/evsim/evsim/model"
	"github.com/evsim/evsim/runner"
	"github.com/evsim/evsim/runner/mnist"
)

func main() {
	n := flag.Int("n", 400, "excitatory neurons")
	count := flag.Int("train", 1000, "training images")
	seeds := flag.String("seeds", "1,2,3,4,5", "seeds")
	thetaPlus := flag.Float64("thetaplus", 0, "θ+ in mV (0: AwakeN's)")
	inh := flag.Float64("inh", 1, "lateral inhibition × (training and, through the snapshot's regime, testing)")
	out := flag.String("out", "", "folder for the snapshots")
	in := flag.String("in", "", "folder of snapshots (awakeS.snap) to continue training from, under the regime given here")
	flag.Parse()
	if *out == "" {
		log.Fatal("trainvar: -out DIR is required")
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		log.Fatal(err)
	}
	set := lab.MustLoad("train", 0)
	r := model.AwakeN(*n)
	if *thetaPlus > 0 {
		r.ThetaPlus = *thetaPlus
	}
	r.JIE *= *inh
	r.WarmupImages = 0 // constant variants: the study that led to the warm-up (warmgrid compares warm-ups)
	spec := runner.EngineSpec{Kind: "event"}
	for _, s := range strings.Split(*seeds, ",") {
		seed, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			log.Fatalf("trainvar: -seeds: %v", err)
		}
		net, start := runner.NewNetwork(mnist.Pixels, *n, seed), 0
		if *in != "" {
			prev, err := runner.LoadSnapshot(filepath.Join(*in, fmt.Sprintf("awake%d.snap", seed)))
			if err != nil {
				log.Fatal(err)
			}
			if prev.Meta.NExc != *n || prev.Meta.Seed != seed {
				log.Fatalf("trainvar: %s/awake%d.snap has %d neurons and seed %d, want %d and %d", *in, seed, prev.Meta.NExc, prev.Meta.Seed, *n, seed)
			}
			net, start = prev.Net, prev.Meta.ImagesSeen
		}
		st, err := runner.Train(context.Background(), net, runner.TrainConfig{Set: set, Start: start, Count: *count, Seed: seed, Engine: spec, Regime: r})
		if err != nil {
			log.Fatal(err)
		}
		snap := &runner.Snapshot{Meta: runner.Meta{NIn: mnist.Pixels, NExc: *n, Seed: seed, ImagesSeen: start + *count, Regime: r, Engine: spec}, Net: net}
		p := filepath.Join(*out, fmt.Sprintf("awake%d.snap", seed))
		if err := snap.Save(p); err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s: %d images, %d presentations, %d spikes\n", p, st.Images, st.Presentations, st.Spikes)
	}
}
