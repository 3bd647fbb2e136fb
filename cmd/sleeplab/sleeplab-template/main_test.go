package main

import (
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/evsim/evsim/cmd/sleeplab/internal/labtest"
	"github.com/evsim/evsim/model"
	"github.com/evsim/evsim/runner"
)

var line = regexp.MustCompile(`^(\S+) (.+) top(\d): (\d\.\d{4}) \(neurons used (\d+)\)$`)

// parse splits the output into (path, variant, k, accuracy, used) rows.
func parse(t *testing.T, stdout string) [][]string {
	t.Helper()
	var rows [][]string
	for _, l := range strings.Split(strings.TrimSuffix(stdout, "\n"), "\n") {
		m := line.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("line %q does not match %v", l, line)
		}
		rows = append(rows, m[1:])
	}
	return rows
}

// TestTemplate: every variant (7 mean-drive alphas with and without cos, 4 θ scales with
// -thetak, equal-wins, the supervised oracle) gives a top-1 and a top-5 line, with
// accuracies that are whole numbers of scored images and at most the population in use.
// With 3 neurons the vote is of all of them: every neuron then wins every labelling image
// and gets the lowest class present, so every variant scores the share of that class among
// the scored images, the last -val training images or, with -test, the first test images.
func TestTemplate(t *testing.T) {
	dir := t.TempDir()
	labtest.Snapshot(t, dir, 6, 30, 1)
	labtest.Snapshot(t, dir, 3, 30, 2)
	p6, p3 := filepath.Join(dir, "awake1.snap"), filepath.Join(dir, "awake2.snap")
	const nLabel, nVal = 30, 20
	stdout, _, err := labtest.Run(run, "-label", "30", "-val", "20", "-thetak", "1", p6)
	if err != nil {
		t.Fatal(err)
	}
	rows := parse(t, stdout)
	var variants []string
	for _, a := range []string{"0.0", "0.5", "0.8", "0.9", "1.0", "1.1", "1.2"} {
		variants = append(variants, "mean-drive alpha "+a, "mean-drive alpha "+a+" cos")
	}
	variants = append(variants, "theta k 0.5", "theta k 1.0", "theta k 2.0", "theta k 4.0", "equal-wins", "supervised-bias(oracle)")
	if len(rows) != 2*len(variants) {
		t.Fatalf("got %d lines, want %d:\n%s", len(rows), 2*len(variants), stdout)
	}
	for i, r := range rows {
		want := []string{p6, variants[i/2], []string{"1", "5"}[i%2]}
		if !slices.Equal(r[:3], want) {
			t.Errorf("line %d: %q, want %q", i, r[:3], want)
		}
		var acc float64
		var used int
		fmt.Sscan(r[3], &acc)
		fmt.Sscan(r[4], &used)
		if hits := acc * nVal; hits != float64(int(hits+0.5)) || acc > 1 {
			t.Errorf("line %d: accuracy %v is not a share of %d images", i, acc, nVal)
		}
		if used < 1 || used > 6 {
			t.Errorf("line %d: %d neurons used of 6", i, used)
		}
	}

	train := labtest.Set(t, "train", 0)
	test := labtest.Set(t, "t10k", nVal)
	lowest := slices.Min(train.Labels[:nLabel])
	share := func(labels []uint8) string {
		return fmt.Sprintf("%.4f", float64(strings.Count(string(labels), string([]byte{lowest})))/nVal)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-gamma", "0.3"}, share(train.Labels[train.Len()-nVal:])},
		{[]string{"-test"}, share(test.Labels)},
	} {
		stdout, _, err := labtest.Run(run, append(append([]string{"-label", "30", "-val", "20"}, c.args...), p3)...)
		if err != nil {
			t.Fatal(err)
		}
		rows := parse(t, stdout)
		if len(rows) != 2*(len(variants)-4) {
			t.Errorf("%q: got %d lines, want %d", c.args, len(rows), 2*(len(variants)-4))
		}
		for i, r := range rows {
			if k := []string{"1", "3"}[i%2]; r[2] != k {
				t.Errorf("%q, line %d: top%s, want top%s", c.args, i, r[2], k)
			}
			if r[2] == "3" && (r[3] != c.want || r[4] != "3") {
				t.Errorf("%q, %s top3: %s with %s neurons, want %s with 3", c.args, r[1], r[3], r[4], c.want)
			}
		}
	}

	// Refusals.
	small := &runner.Snapshot{Meta: runner.Meta{NIn: 10, NExc: 3, Seed: 1, Regime: model.AwakeN(3), Engine: runner.EngineSpec{Kind: "event"}}, Net: runner.NewNetwork(10, 3, 1)}
	ps := filepath.Join(dir, "small.snap")
	if err := small.Save(ps); err != nil {
		t.Fatal(err)
	}
	if _, _, err := labtest.Run(run, "-label", "30", "-val", "20", ps); err == nil || !strings.Contains(err.Error(), "10 inputs") {
		t.Errorf("10-input snapshot: got %v, want an error naming its 10 inputs", err)
	}
	labtest.Refuses(t, run, "-label 0", "-label", "0", p6)
	labtest.Refuses(t, run, "-label 70000", "-label", "70000", p6)
	labtest.Refuses(t, run, "-val -1", "-val", "-1", p6)
	labtest.Refuses(t, run, `invalid value "x" for flag -gamma`, "-gamma", "x", p6)
}
