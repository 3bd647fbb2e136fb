package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/evsim/evsim/cmd/sleeplab/internal/labtest"
	"github.com/evsim/evsim/model"
	"github.com/evsim/evsim/runner"
	"github.com/evsim/evsim/runner/mnist"
)

// direct trains what sleeplab-trainvar should have trained, through the runner: nExc
// neurons, seed, under r, images [start, start+count), from net (nil: a new network).
func direct(t *testing.T, net *model.Network, nExc int, seed uint64, r model.Regime, start, count int) []byte {
	t.Helper()
	if net == nil {
		net = runner.NewNetwork(mnist.Pixels, nExc, seed)
	}
	spec := runner.EngineSpec{Kind: "event"}
	cfg := runner.TrainConfig{Set: labtest.Set(t, "train", 100), Start: start, Count: count, Seed: seed, Engine: spec, Regime: r}
	if _, err := runner.Train(context.Background(), net, cfg); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	sn := &runner.Snapshot{Meta: runner.Meta{NIn: mnist.Pixels, NExc: nExc, Seed: seed, ImagesSeen: start + count, Regime: r, Engine: spec}, Net: net}
	if err := sn.Encode(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestTrainvar: one snapshot per seed, byte-identical to training the regime variant
// (inhibition ×0.5, θ+ 0.1 mV, no warm-up) directly; one line per seed with its counts; -in
// continues the image sequence where the snapshots stopped.
func TestTrainvar(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "a")
	stdout, _, err := labtest.Run(run, "-n", "5", "-train", "20", "-seeds", "1,2", "-inh", "0.5", "-thetaplus", "0.1", "-out", out)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("got %d lines, want one per seed:\n%s", len(lines), stdout)
	}
	r := model.AwakeN(5)
	r.JIE *= 0.5
	r.ThetaPlus = 0.1
	r.WarmupImages = 0
	for i, seed := range []uint64{1, 2} {
		p := filepath.Join(out, fmt.Sprintf("awake%d.snap", seed))
		re := regexp.MustCompile(`^` + regexp.QuoteMeta(p) + `: 20 images, (\d+) presentations, (\d+) spikes$`)
		v := labtest.Floats(t, re, lines[i])
		if v[0] < 20 || v[1] < 5*20 {
			t.Errorf("seed %d: %v presentations and %v spikes for 20 images (at least 5 spikes each)", seed, v[0], v[1])
		}
		got, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, direct(t, nil, 5, seed, r, 0, 20)) {
			t.Errorf("seed %d: the snapshot differs from training the regime variant directly", seed)
		}
	}

	// Continue seed 2 for 10 images at the full inhibition.
	out2 := filepath.Join(dir, "b")
	if _, _, err := labtest.Run(run, "-n", "5", "-train", "10", "-seeds", "2", "-in", out, "-out", out2); err != nil {
		t.Fatal(err)
	}
	prev, err := runner.LoadSnapshot(filepath.Join(out, "awake2.snap"))
	if err != nil {
		t.Fatal(err)
	}
	r1 := model.AwakeN(5)
	r1.WarmupImages = 0
	got, err := os.ReadFile(filepath.Join(out2, "awake2.snap"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, direct(t, prev.Net, 5, 2, r1, 20, 10)) {
		t.Error("-in: the snapshot differs from training images 20-29 on from the first snapshot")
	}

	// Refusals.
	_, _, err = labtest.Run(run, "-n", "6", "-train", "1", "-seeds", "1", "-in", out, "-out", filepath.Join(dir, "c"))
	if err == nil || !strings.Contains(err.Error(), "has 5 neurons") {
		t.Errorf("-in with another -n: got %v, want an error naming the snapshot's 5 neurons", err)
	}
	_, _, err = labtest.Run(run, "-train", "1", "-seeds", "3", "-in", out, "-out", filepath.Join(dir, "c"))
	if err == nil || !strings.Contains(err.Error(), "awake3.snap") {
		t.Errorf("-in without the seed's snapshot: got %v, want an error naming awake3.snap", err)
	}
	labtest.Refuses(t, run, "-out DIR is required", "-n", "5")
	labtest.Refuses(t, run, "-n 0", "-n", "0", "-out", dir)
	labtest.Refuses(t, run, "-train -1", "-train", "-1", "-out", dir)
	labtest.Refuses(t, run, "-seeds", "-seeds", "1,x", "-out", dir)
	labtest.Refuses(t, run, "-inh -1", "-inh", "-1", "-out", dir)
	labtest.Refuses(t, run, "flag provided but not defined: -nope", "-nope")
	labtest.Refuses(t, run, `unexpected argument "x"`, "-out", dir, "x")
}
