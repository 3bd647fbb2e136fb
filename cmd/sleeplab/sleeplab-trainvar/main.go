// Command sleeplab-trainvar trains networks under variants of the awake regime (a research
// tool, not part of evsim), to see how the awake weights after few images bound what sleep
// can do. Its regimes have no inhibition warm-up (the study that led to it). It writes
// DIR/awakeS.snap for each seed S, which `evsim -phase sleep -in`, sleeplab and
// sleeplab-template read. It made the networks of the README's table "The inhibition used
// in training decides the headline" (section "Sleep"; seeds 1-5, then sleep and test with
// evsim) and the schedule that became the warm-up (×0.25, then 59,000 images at ×1):
//
//	go run ./cmd/sleeplab/sleeplab-trainvar -inh 0.25 -seeds 1,2,3,4,5 -out dir
//	go run ./cmd/sleeplab/sleeplab-trainvar -in dir -inh 1 -train 59000 -seeds 1,2 -out dir2  # continue
//
// One line per seed: the snapshot written, and the images, presentations and excitatory
// spikes of the training.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/evsim/evsim/cmd/sleeplab/internal/lab"
	"github.com/evsim/evsim/model"
	"github.com/evsim/evsim/runner"
	"github.com/evsim/evsim/runner/mnist"
)

func main() { lab.Main("sleeplab-trainvar", run) }

func run(args []string, stdout, stderr io.Writer) error {
	cmd := lab.NewCommand("sleeplab-trainvar", "")
	fl := cmd.Flags
	n := fl.Int("n", 400, "excitatory neurons")
	count := fl.Int("train", 1000, "training images")
	seedList := fl.String("seeds", "1,2,3,4,5", "seeds")
	thetaPlus := fl.Float64("thetaplus", 0, "θ+ in mV (0: AwakeN's)")
	inh := fl.Float64("inh", 1, "lateral inhibition × (training and, through the snapshot's regime, testing)")
	out := fl.String("out", "", "folder for the snapshots")
	in := fl.String("in", "", "folder of snapshots (awakeS.snap) to continue training from, under the regime given here")
	if err := cmd.Parse(args, stderr); err != nil {
		return err
	}
	if *out == "" {
		return lab.Usagef("-out DIR is required")
	}
	if *n < 1 || *n > 100000 {
		return lab.Usagef("-n %d: must be in [1, 100000]", *n)
	}
	if *count < 0 {
		return lab.Usagef("-train %d: must not be negative", *count)
	}
	var seeds []uint64
	for _, s := range strings.Split(*seedList, ",") {
		seed, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return lab.Usagef("-seeds: %v", err)
		}
		seeds = append(seeds, seed)
	}
	r := model.AwakeN(*n)
	if *thetaPlus > 0 {
		r.ThetaPlus = *thetaPlus
	}
	r.JIE *= *inh
	r.WarmupImages = 0 // constant variants: the study that led to the warm-up (warmgrid compares warm-ups)
	if err := r.Validate(); err != nil {
		return lab.Usagef("-thetaplus %g, -inh %g: %v", *thetaPlus, *inh, err)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	set, err := lab.Load("train", 0)
	if err != nil {
		return err
	}
	spec := runner.EngineSpec{Kind: "event"}
	for _, seed := range seeds {
		net, start := runner.NewNetwork(mnist.Pixels, *n, seed), 0
		if *in != "" {
			prev, err := runner.LoadSnapshot(filepath.Join(*in, fmt.Sprintf("awake%d.snap", seed)))
			if err != nil {
				return err
			}
			if prev.Meta.NExc != *n || prev.Meta.Seed != seed {
				return fmt.Errorf("%s/awake%d.snap has %d neurons and seed %d, want %d and %d", *in, seed, prev.Meta.NExc, prev.Meta.Seed, *n, seed)
			}
			net, start = prev.Net, prev.Meta.ImagesSeen
		}
		st, err := runner.Train(context.Background(), net, runner.TrainConfig{Set: set, Start: start, Count: *count, Seed: seed, Engine: spec, Regime: r})
		if err != nil {
			return err
		}
		snap := &runner.Snapshot{Meta: runner.Meta{NIn: mnist.Pixels, NExc: *n, Seed: seed, ImagesSeen: start + *count, Regime: r, Engine: spec}, Net: net}
		p := filepath.Join(*out, fmt.Sprintf("awake%d.snap", seed))
		if err := snap.Save(p); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s: %d images, %d presentations, %d spikes\n", p, st.Images, st.Presentations, st.Spikes)
	}
	return nil
}
