// Command sleeplab-thetaavg asks how much of a frozen network's error comes from the phase
// at which training stopped its thresholds (a research tool, not part of evsim). It
// continues training a snapshot for -images more images, exactly as evsim train -in does
// (same regime, seed, engine and image sequence, within the images not held out; give -data
// if the snapshot was trained on another folder), and writes two snapshots:
//   - OUT-end.snap, the network at the end, as evsim train -in would have written it;
//   - OUT-avg.snap, the same network with each neuron's θ replaced by its mean over the
//     states after each of those images.
//
// During training the winners rotate: a win raises θ, and a neuron that has not won for a
// while wins the next image it can. Testing freezes θ wherever the rotation stands. The
// average keeps each neuron's typical threshold and drops its phase. It gave docs/model.md's
// "What limits 6,400 neurons" (seed 1, f6400.snap: 2 passes with θ+ 0.8 mV, τθ 2·10^7 ms;
// 20,000 more images; test set, labels from 10,000 training images): OUT-end 74.03 %
// (3,816 neurons unassigned), OUT-avg 81.02 % (1,448 unassigned).
//
//	go run ./cmd/sleeplab/sleeplab-thetaavg -in f6400.snap -images 20000 -out ta1
//	go run ./cmd/evsim test -in ta1-avg.snap -label 10000 -test 10000
//
// It prints one line: the images trained, and θ's mean and standard deviation over the
// neurons at the end and averaged.
package main

import (
	"context"
	"fmt"
	"io"

	"github.com/evsim/evsim/cmd/sleeplab/internal/lab"
	"github.com/evsim/evsim/runner"
	"github.com/evsim/evsim/runner/mnist"
	"gonum.org/v1/gonum/stat"
)

func main() { lab.Main("sleeplab-thetaavg", run) }

func run(args []string, stdout, stderr io.Writer) error {
	cmd := lab.NewCommand("sleeplab-thetaavg", "")
	in := cmd.Flags.String("in", "", "snapshot to continue (required)")
	out := cmd.Flags.String("out", "", "prefix of the two snapshots written: OUT-end.snap and OUT-avg.snap (required)")
	images := cmd.Flags.Int("images", 20000, "images to train and average over, in [1, 10^7]")
	workers := cmd.Flags.Int("workers", 1, "goroutines sharing each spike's fan-out, in [1, 64] (the result is the same for any number)")
	data := cmd.Flags.String("data", "", "folder with the MNIST IDX files the snapshot was trained on, as evsim -data (default: the GoMNIST module's)")
	if err := cmd.Parse(args, stderr); err != nil {
		return err
	}
	switch {
	case *in == "" || *out == "":
		return lab.Usagef("-in and -out are required")
	case *images < 1 || *images > 10_000_000:
		return lab.Usagef("-images %d: must be in [1, 10000000]", *images)
	case *workers < 1 || *workers > 64:
		return lab.Usagef("-workers %d: must be in [1, 64]", *workers)
	}
	sn, err := runner.LoadSnapshot(*in)
	if err != nil {
		return err
	}
	var set *mnist.Set
	if *data != "" {
		set, err = mnist.Load(*data, "train", 0)
	} else {
		set, err = lab.Load("train", 0)
	}
	if err != nil {
		return err
	}
	fit := set
	if h := int(sn.Meta.HeldOut); h > 0 {
		if h >= set.Len() {
			return fmt.Errorf("%s holds out %d of the %d training images: none left to train on", *in, h, set.Len())
		}
		fit = set.First(set.Len() - h)
	}
	end, avg, err := average(sn, fit, *images, *workers, args)
	if err != nil {
		return err
	}
	if err := end.Save(*out + "-end.snap"); err != nil {
		return err
	}
	if err := avg.Save(*out + "-avg.snap"); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %d more images; θ at the end: mean %.3f mV, sd %.3f mV; averaged: mean %.3f mV, sd %.3f mV; wrote %s-end.snap, %s-avg.snap\n",
		*in, *images, stat.Mean(end.Net.Theta, nil), stat.StdDev(end.Net.Theta, nil),
		stat.Mean(avg.Net.Theta, nil), stat.StdDev(avg.Net.Theta, nil), *out, *out)
	return nil
}

// average trains sn's network (in place) on n more images of set and returns it (end)
// and a copy whose θ is the mean of θ after each of those images (avg). Both drop the
// snapshot's labels, which no longer fit the network, and its checkpoint state; their
// provenance is this tool's command line (args).
func average(sn *runner.Snapshot, set runner.Dataset, n, workers int, args []string) (end, avg *runner.Snapshot, err error) {
	net := sn.Net
	sum := make([]float64, net.NExc)
	cfg := runner.TrainConfig{Set: set, Start: sn.Meta.ImagesSeen, Count: n, Seed: sn.Meta.Seed, Engine: sn.Meta.Engine,
		Regime: sn.Meta.Regime, Workers: workers,
		Progress: func(int) {
			for j, th := range net.Theta {
				sum[j] += th
			}
		}}
	if _, err := runner.Train(context.Background(), net, cfg); err != nil {
		return nil, nil, err
	}
	end = sn
	end.Meta.ImagesSeen += n
	end.Meta.Labels, end.Meta.LabelImages = nil, 0
	// A finished snapshot: not a checkpoint that evsim -resume would continue, and written
	// by this tool.
	end.Meta.Pending = nil
	prov := runner.CurrentProvenance(append([]string{"sleeplab-thetaavg"}, args...))
	end.Meta.Provenance = &prov
	a := *end
	a.Net = net.Clone()
	for j := range sum {
		a.Net.Theta[j] = sum[j] / float64(n)
	}
	return end, &a, nil
}
