package main

import (
	"context"
	"math"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/evsim/evsim/cmd/sleeplab/internal/labtest"
	"github.com/evsim/evsim/runner"
	"github.com/evsim/evsim/runner/mnist"
)

var line = regexp.MustCompile(`: (\d+) more images; θ at the end: mean ([\d.]+) mV, sd ([\d.]+) mV; averaged: mean ([\d.]+) mV, sd ([\d.]+) mV; wrote `)

// TestThetaAverage: OUT-end.snap is the snapshot continued for -images images as training
// continues it (compared with runner.Train over the same images, in one call), and
// OUT-avg.snap is the same network with θ replaced by the mean of θ after each image
// (computed here from an image-by-image run), weights untouched.
func TestThetaAverage(t *testing.T) {
	const n, more = 8, 12
	dir := t.TempDir()
	in := filepath.Join(dir, "awake1.snap")
	labtest.Snapshot(t, dir, n, 30, 1)
	prefix := filepath.Join(dir, "ta")
	out, _, err := labtest.Run(run, "-in", in, "-images", "12", "-out", prefix)
	if err != nil {
		t.Fatal(err)
	}
	m := labtest.Floats(t, line, out)
	if m[0] != more {
		t.Fatalf("%q: want %d images", out, more)
	}
	end, err := runner.LoadSnapshot(prefix + "-end.snap")
	if err != nil {
		t.Fatal(err)
	}
	avg, err := runner.LoadSnapshot(prefix + "-avg.snap")
	if err != nil {
		t.Fatal(err)
	}

	// The reference: the input snapshot, one image at a time.
	ref, err := runner.LoadSnapshot(in)
	if err != nil {
		t.Fatal(err)
	}
	set := labtest.Set(t, "train", 0)
	sum := make([]float64, n)
	for k := range more {
		cfg := runner.TrainConfig{Set: set, Start: ref.Meta.ImagesSeen + k, Count: 1, Seed: ref.Meta.Seed, Engine: ref.Meta.Engine, Regime: ref.Meta.Regime}
		if _, err := runner.Train(context.Background(), ref.Net, cfg); err != nil {
			t.Fatal(err)
		}
		for j, th := range ref.Net.Theta {
			sum[j] += th
		}
	}
	if !slices.Equal(end.Net.W, ref.Net.W) || !slices.Equal(end.Net.Theta, ref.Net.Theta) {
		t.Fatal("OUT-end is not the snapshot trained on the next images")
	}
	if end.Meta.ImagesSeen != ref.Meta.ImagesSeen+more || end.Meta.Labels != nil {
		t.Fatalf("OUT-end has %d images seen and labels %v; want %d and none", end.Meta.ImagesSeen, end.Meta.Labels, ref.Meta.ImagesSeen+more)
	}
	if end.Meta.Pending != nil || end.Meta.Provenance == nil || end.Meta.Provenance.Command[0] != "sleeplab-thetaavg" {
		t.Fatalf("OUT-end: pending %s, provenance %+v; want a finished snapshot written by the tool", end.Meta.Pending, end.Meta.Provenance)
	}
	// -data: the same images from a folder give the same network.
	dataDir, err := mnist.DefaultDir()
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := labtest.Run(run, "-in", in, "-images", "12", "-out", prefix+"d", "-data", dataDir); err != nil {
		t.Fatal(err)
	}
	if d, err := runner.LoadSnapshot(prefix + "d-end.snap"); err != nil || !slices.Equal(d.Net.W, end.Net.W) {
		t.Fatalf("with -data: %v, or another network", err)
	}
	if !slices.Equal(avg.Net.W, end.Net.W) {
		t.Fatal("OUT-avg's weights differ from OUT-end's")
	}
	moved := false
	for j := range n {
		want := sum[j] / more
		if math.Abs(avg.Net.Theta[j]-want) > 1e-12*(1+math.Abs(want)) {
			t.Fatalf("neuron %d: averaged θ %v, want %v", j, avg.Net.Theta[j], want)
		}
		moved = moved || avg.Net.Theta[j] != end.Net.Theta[j]
	}
	if !moved {
		t.Fatal("no θ changed during the images: the average is not tested")
	}
}

func TestBadFlags(t *testing.T) {
	labtest.Refuses(t, run, "-in and -out are required", "-images", "10")
	labtest.Refuses(t, run, "-images 0", "-in", "x.snap", "-out", "y", "-images", "0")
	labtest.Refuses(t, run, "-workers 0", "-in", "x.snap", "-out", "y", "-workers", "0")
	labtest.Refuses(t, run, "unexpected argument", "-in", "x.snap", "-out", "y", "z")
	if _, _, err := labtest.Run(run, "-in", "no-such.snap", "-out", filepath.Join(t.TempDir(), "y")); err == nil || !strings.Contains(err.Error(), "no-such.snap") {
		t.Errorf("a missing snapshot: %v, want an error naming it", err)
	}
}
