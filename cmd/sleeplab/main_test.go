package main

import (
	"context"
	"encoding/gob"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/evsim/evsim/cmd/sleeplab/internal/lab"
	"github.com/evsim/evsim/cmd/sleeplab/internal/labtest"
	"github.com/evsim/evsim/runner"
)

// accuracy scores sn the way sleeplab says it does, through the runner's Evaluator: labels
// from the first nLabel training images, accuracy on the last nVal.
func accuracy(t *testing.T, sn *runner.Snapshot, nLabel, nVal int) float64 {
	t.Helper()
	set := labtest.Set(t, "train", 0)
	ev := runner.Evaluator{Engine: runner.EngineSpec{Kind: "event"}, Seed: sn.Meta.Seed, Workers: 1}
	labels, err := ev.Label(context.Background(), sn.Net, sn.Meta.Regime, set, nLabel)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ev.Score(context.Background(), sn.Net, sn.Meta.Regime, labels, set.Last(nVal), nVal)
	if err != nil {
		t.Fatal(err)
	}
	return s.Accuracy
}

// list parses "[0.25 0.5]".
func list(t *testing.T, s string) []float64 {
	t.Helper()
	var out []float64
	for _, f := range strings.Fields(strings.Trim(s, "[]")) {
		v, err := strconv.ParseFloat(f, 64)
		if err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		out = append(out, v)
	}
	return out
}

// TestSleeplab runs two configurations (one stage; two stages, the second with STDP on the
// mean of all images) on two tiny networks. The accuracies it prints before and after
// sleep are those the runner's Evaluator gives the awake and the saved slept networks; the
// mean is their mean; stderr has one line per seed and configuration with one rate per
// stage; -dump writes the counts of every scored network (creating its folder, as -save).
func TestSleeplab(t *testing.T) {
	dir := t.TempDir()
	snaps, dump, save := filepath.Join(dir, "snaps"), filepath.Join(dir, "dump"), filepath.Join(dir, "save")
	if err := os.Mkdir(snaps, 0o755); err != nil {
		t.Fatal(err)
	}
	awake := []*runner.Snapshot{labtest.Snapshot(t, snaps, 6, 30, 1), labtest.Snapshot(t, snaps, 6, 30, 2)}
	const nLabel, nVal = 30, 20
	cfgs := []string{"exc=1,ms=500", "ms=300;ms=200,stdp=1,input=all"}
	stdout, stderr, err := labtest.Run(run, "-snaps", snaps, "-seeds", "1,2", "-label", "30", "-val", "20",
		"-cfg", cfgs[0], "-cfg", cfgs[1], "-dump", dump, "-save", save)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	if len(lines) != 1+len(cfgs) {
		t.Fatalf("got %d lines, want before and one per configuration:\n%s", len(lines), stdout)
	}
	m := regexp.MustCompile(`^before (\[.*\])$`).FindStringSubmatch(lines[0])
	if m == nil {
		t.Fatalf("first line %q, want before [accuracies]", lines[0])
	}
	before := list(t, m[1])
	if len(before) != 2 {
		t.Fatalf("before: %v, want one accuracy per seed", before)
	}
	for k, sn := range awake {
		if want := accuracy(t, sn, nLabel, nVal); before[k] != want {
			t.Errorf("seed %d: before %v, the Evaluator gives %v", sn.Meta.Seed, before[k], want)
		}
	}
	for ci, cs := range cfgs {
		re := regexp.MustCompile(`^` + regexp.QuoteMeta(cs) + ` +after (\[.*\]) mean (\d\.\d{4}) \(\d+s\)$`)
		m := re.FindStringSubmatch(lines[1+ci])
		if m == nil {
			t.Fatalf("line %q does not match %v", lines[1+ci], re)
		}
		after := list(t, m[1])
		if len(after) != 2 || m[2] != fmt.Sprintf("%.4f", (after[0]+after[1])/2) {
			t.Errorf("%s: after %v, mean %s", cs, after, m[2])
		}
		for k, sn := range awake {
			slept, err := runner.LoadSnapshot(filepath.Join(save, fmt.Sprintf("s%d_c%d.snap", sn.Meta.Seed, ci)))
			if err != nil {
				t.Fatal(err)
			}
			if slices.Equal(slept.Net.Theta, sn.Net.Theta) {
				t.Errorf("%s, seed %d: the saved network has the awake thresholds", cs, sn.Meta.Seed)
			}
			if want := accuracy(t, slept, nLabel, nVal); after[k] != want {
				t.Errorf("%s, seed %d: after %v, the Evaluator gives the saved network %v", cs, sn.Meta.Seed, after[k], want)
			}
		}
	}
	// stderr: per configuration, one line per seed with one rate per stage.
	errLines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
	if len(errLines) != 4 {
		t.Fatalf("stderr has %d lines, want 4:\n%s", len(errLines), stderr)
	}
	rate := `\d+\.\dHz dθ-?\d+\.\d dW\d+`
	for i, l := range errLines {
		ci, k := i/2, i%2
		stages := rate
		if ci == 1 {
			stages += " \\| " + rate
		}
		re := regexp.MustCompile(fmt.Sprintf(`^  seed %d: %.4f -> \d\.\d{4}  %s$`, k+1, before[k], stages))
		if !re.MatchString(l) {
			t.Errorf("stderr line %q does not match %v", l, re)
		}
	}
	// -dump: labelling and validation counts of every scored network.
	for _, name := range []string{"s1_awake", "s2_awake", "s1_c0", "s2_c0", "s1_c1", "s2_c1"} {
		f, err := os.Open(filepath.Join(dump, name+".gob"))
		if err != nil {
			t.Fatal(err)
		}
		var c lab.Counts
		err = gob.NewDecoder(f).Decode(&c)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(c.Label) != nLabel || len(c.Val) != nVal || len(c.Label[0]) != 6 || len(c.Val[0]) != 6 {
			t.Errorf("%s: %d x %d labelling and %d x %d validation counts, want %d x 6 and %d x 6",
				name, len(c.Label), len(c.Label[0]), len(c.Val), len(c.Val[0]), nLabel, nVal)
		}
	}

	// Refusals: a bad configuration or count before any work, a missing snapshot with its name.
	args := func(extra ...string) []string {
		return append([]string{"-snaps", snaps, "-seeds", "1", "-label", "30", "-val", "20"}, extra...)
	}
	labtest.Refuses(t, run, `unknown key "speed"`, args("-cfg", "exc=1;speed=2")...)
	labtest.Refuses(t, run, `input "some"`, args("-cfg", "input=some")...)
	labtest.Refuses(t, run, `bad "exc"`, args("-cfg", "exc")...)
	labtest.Refuses(t, run, "-label 0", args("-label", "0")...)
	labtest.Refuses(t, run, "-val 70000", args("-val", "70000")...)
	labtest.Refuses(t, run, "flag provided but not defined: -nope", args("-nope")...)
	if _, _, err := labtest.Run(run, "-snaps", snaps, "-seeds", "3", "-label", "30", "-val", "20"); err == nil || !strings.Contains(err.Error(), "awake3.snap") {
		t.Errorf("missing snapshot: got %v, want an error naming awake3.snap", err)
	}
}
