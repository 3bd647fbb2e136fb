package main

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/evsim/evsim/cmd/sleeplab/internal/labtest"
	"github.com/evsim/evsim/runner"
)

// TestTestinh: one line per snapshot, one entry per scale; each accuracy is what the
// runner's Evaluator gives the snapshot with its inhibition scaled; weaker inhibition lets
// more neurons fire per image; the result does not depend on -workers.
func TestTestinh(t *testing.T) {
	dir := t.TempDir()
	snaps := []*runner.Snapshot{labtest.Snapshot(t, dir, 6, 30, 1), labtest.Snapshot(t, dir, 6, 30, 2)}
	paths := []string{filepath.Join(dir, "awake1.snap"), filepath.Join(dir, "awake2.snap")}
	const nLabel, nVal = 30, 20
	args := []string{"-inh", "1,0.25", "-label", "30", "-val", "20", paths[0], paths[1]}
	stdout, _, err := labtest.Run(run, args...)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("got %d lines, want one per snapshot:\n%s", len(lines), stdout)
	}
	entry := `inh %s: (\d+\.\d\d)%% \((\d+\.\d) spikes, (\d+\.\d) neurons per image\)`
	set := labtest.Set(t, "train", 0)
	for i, sn := range snaps {
		re := regexp.MustCompile("^" + regexp.QuoteMeta(paths[i]) + " " + fmt.Sprintf(entry, "1") + "  " + fmt.Sprintf(entry, "0.25") + "$")
		v := labtest.Floats(t, re, lines[i])
		for s, f := range []float64{1, 0.25} {
			r := sn.Meta.Regime
			r.JIE *= f
			ev := runner.Evaluator{Engine: runner.EngineSpec{Kind: "event"}, Seed: sn.Meta.Seed, Workers: 1}
			labels, err := ev.Label(context.Background(), sn.Net, r, set, nLabel)
			if err != nil {
				t.Fatal(err)
			}
			sc, err := ev.Score(context.Background(), sn.Net, r, labels, set.Last(nVal), nVal)
			if err != nil {
				t.Fatal(err)
			}
			acc, spikes, neurons := v[3*s], v[3*s+1], v[3*s+2]
			if want := fmt.Sprintf("%.2f", 100*sc.Accuracy); fmt.Sprintf("%.2f", acc) != want {
				t.Errorf("seed %d, inh %v: %v%%, the Evaluator gives %s%%", sn.Meta.Seed, f, acc, want)
			}
			if neurons > 6 || spikes < neurons {
				t.Errorf("seed %d, inh %v: %v spikes from %v of 6 neurons per image", sn.Meta.Seed, f, spikes, neurons)
			}
		}
		if v[5] <= v[2] {
			t.Errorf("seed %d: %v neurons per image at inhibition ×0.25, %v at ×1: want more", sn.Meta.Seed, v[5], v[2])
		}
	}
	if again, _, err := labtest.Run(run, append([]string{"-workers", "3"}, args...)...); err != nil || again != stdout {
		t.Errorf("-workers 3: %v\n%s\nwant\n%s", err, again, stdout)
	}

	// Refusals.
	labtest.Refuses(t, run, `-inh "1,a"`, "-inh", "1,a", paths[0])
	labtest.Refuses(t, run, `-inh "-1"`, "-inh", "-1", paths[0])
	labtest.Refuses(t, run, `-inh "NaN"`, "-inh", "NaN", paths[0])
	labtest.Refuses(t, run, "-label 0", "-label", "0", paths[0])
	labtest.Refuses(t, run, "-val 70000", "-val", "70000", paths[0])
	labtest.Refuses(t, run, "flag provided but not defined: -n", "-n", "3", paths[0])
	if _, _, err := labtest.Run(run, "-label", "30", "-val", "20", filepath.Join(dir, "none.snap")); err == nil || !strings.Contains(err.Error(), "none.snap") {
		t.Errorf("missing snapshot: got %v, want an error naming it", err)
	}
}
