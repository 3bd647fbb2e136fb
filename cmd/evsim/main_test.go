package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"codeberg.org/sbinet/npyio/npz"

	"github.com/evsim/evsim/runner"
)

func runArgs(t *testing.T, ctx context.Context, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(ctx, args, &out, &errb)
	code := exitCode(err, &errb)
	return out.String(), errb.String(), code
}

// TestBadInvocations: every bad flag or parameter is refused before any work with one
// line naming the flag and the value, and exit status 2.
func TestBadInvocations(t *testing.T) {
	dir := t.TempDir()
	snap := filepath.Join(dir, "ok.snap")
	if _, e, code := runArgs(t, context.Background(), "-n", "5", "-train", "3", "-label", "20", "-test", "0", "-out", snap, "-quiet"); code != 0 {
		t.Fatalf("making a snapshot failed: %s", e)
	}
	notDir := filepath.Join(dir, "file")
	os.WriteFile(notDir, []byte("x"), 0o644)
	cases := []struct {
		args []string
		want string // must appear in the message
	}{
		{[]string{"-phase", "dream"}, `-phase "dream"`},
		{[]string{"-phase", ""}, `-phase ""`},
		{[]string{"-engine", "gpu"}, `-engine "gpu"`},
		{[]string{"-n", "0"}, "-n 0"},
		{[]string{"-n", "-5"}, "-n -5"},
		{[]string{"-n", "1000000"}, "-n 1000000"},
		{[]string{"-n", "abc"}, "-n"},
		{[]string{"-n", "1.5"}, "-n"},
		{[]string{"-train", "-1"}, "-train -1"},
		{[]string{"-test", "-3"}, "-test -3"},
		{[]string{"-test", "20000"}, "-test 20000"},
		{[]string{"-label", "-2"}, "-label -2"},
		{[]string{"-label", "70000"}, "-label 70000"},
		{[]string{"-engine", "stepped", "-dt", "0"}, "-dt 0"},
		{[]string{"-engine", "stepped", "-dt", "-0.5"}, "-dt -0.5"},
		{[]string{"-engine", "stepped", "-dt", "NaN"}, "-dt NaN"},
		{[]string{"-engine", "stepped", "-dt", "+Inf"}, "-dt +Inf"},
		{[]string{"-engine", "stepped", "-dt", "0.3"}, "-dt 0.3"},
		{[]string{"-engine", "stepped", "-dt", "50"}, "-dt 50"},
		{[]string{"-workers", "-1"}, "-workers -1"},
		{[]string{"-profile", "trace"}, `-profile "trace"`},
		{[]string{"-seed", "-1"}, "-seed"},
		{[]string{"-quiet=maybe"}, "-quiet"},
		{[]string{"extra"}, `"extra"`},
		{[]string{"-phase", "test"}, "-in"},
		{[]string{"-phase", "sleep", "-out", filepath.Join(dir, "s.snap")}, "-in"},
		{[]string{"-phase", "sleep", "-in", snap}, "-out"},
		{[]string{"-phase", "export", "-in", snap}, "-out"},
		{[]string{"-phase", "test", "-in", filepath.Join(dir, "missing.snap")}, "missing.snap"},
		{[]string{"-out", filepath.Join(dir, "no", "such", "dir", "x.snap")}, "does not exist"},
		{[]string{"-out", dir}, "is a folder"},
		{[]string{"-out", filepath.Join(notDir, "x.snap")}, "not a folder"},
		{[]string{"-json", filepath.Join(dir, "nope", "r.json")}, "-json"},
		{[]string{"-warmup-images", "-1"}, "-warmup-images -1"},
		{[]string{"-warmup-inh", "-0.5"}, "-warmup-inh -0.5"},
		{[]string{"-warmup-inh", "NaN"}, "-warmup-inh NaN"},
		{[]string{"-phase", "train", "-in", snap, "-warmup-images", "500"}, "carries its own training regime"},
		{[]string{"-phase", "test", "-in", snap, "-warmup-inh", "0.5"}, "only -phase run, train and paper"},
		{[]string{"-sleep-ms", "0"}, "-sleep-ms 0"},
		{[]string{"-sleep-ms", "NaN"}, "-sleep-ms NaN"},
		{[]string{"-sleep-gain", "-1"}, "-sleep-gain -1"},
		{[]string{"-sleep-gain", "Inf"}, "-sleep-gain +Inf"},
		{[]string{"-sleep-leak", "0"}, "-sleep-leak 0"},
		{[]string{"-sleep-exc", "-2"}, "-sleep-exc -2"},
		{[]string{"-sleep-inh", "11"}, "-sleep-inh 11"},
		{[]string{"-sleep-input", "dreams"}, `-sleep-input "dreams"`},
		{[]string{"-sleep-pot", "-1"}, "-sleep-pot -1"},
		{[]string{"-sleep-dep", "1001"}, "-sleep-dep 1001"},
		{[]string{"-sleep-theta-plus", "NaN"}, "-sleep-theta-plus NaN"},
		{[]string{"-resume", snap, "-n", "4"}, "-resume"},
		{[]string{"-resume", snap}, "no interrupted run"},
	}
	if len(cases) < 30 {
		t.Fatalf("only %d cases", len(cases))
	}
	for _, c := range cases {
		_, stderr, code := runArgs(t, context.Background(), c.args...)
		if code != 2 {
			t.Errorf("evsim %v: exit %d, want 2 (stderr %q)", c.args, code, stderr)
			continue
		}
		line := strings.TrimSpace(stderr)
		if strings.Count(line, "\n") != 0 || !strings.HasPrefix(line, "evsim: ") || !strings.Contains(line, c.want) {
			t.Errorf("evsim %v: message %q, want one line containing %q", c.args, line, c.want)
		}
	}
}

// interruptAt returns a context that is cancelled once phase reaches done.
func interruptAt(t *testing.T, phase string, at float64) context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	testHook = func(p string, done float64) {
		if p == phase && done >= at {
			cancel()
		}
	}
	t.Cleanup(func() { testHook = nil; cancel() })
	return ctx
}

// TestResumeIsByteIdentical: a training run interrupted after 7 images and resumed gives
// the same final snapshot, byte for byte, as the run left alone; the same for sleep. On
// both engines.
func TestResumeIsByteIdentical(t *testing.T) {
	for _, engine := range []string{"event", "stepped"} {
		t.Run(engine, func(t *testing.T) {
			dir := t.TempDir()
			common := []string{"-engine", engine, "-n", "10", "-train", "16", "-label", "30", "-test", "0", "-quiet"}
			full := filepath.Join(dir, "full.snap")
			if _, e, code := runArgs(t, context.Background(), append(common, "-out", full)...); code != 0 {
				t.Fatal(e)
			}
			part := filepath.Join(dir, "part.snap")
			_, stderr, code := runArgs(t, interruptAt(t, "train", 7), append(common, "-out", part)...)
			if code != 130 || !strings.Contains(stderr, "-resume "+part+".resume") {
				t.Fatalf("interrupted run: exit %d, stderr %q", code, stderr)
			}
			if _, err := os.Stat(part); err == nil {
				t.Fatal("the interrupted run wrote its final snapshot")
			}
			if _, e, code := runArgs(t, context.Background(), "-resume", part+".resume"); code != 0 {
				t.Fatal(e)
			}
			a, _ := os.ReadFile(full)
			b, _ := os.ReadFile(part)
			if len(a) == 0 || !bytes.Equal(a, b) {
				t.Fatal("resumed training differs from the uninterrupted run")
			}

			sleepArgs := []string{"-phase", "sleep", "-engine", engine, "-in", full, "-sleep-ms", "2000", "-label", "30", "-test", "0", "-quiet"}
			s1 := filepath.Join(dir, "s1.snap")
			if _, e, code := runArgs(t, context.Background(), append(sleepArgs, "-out", s1)...); code != 0 {
				t.Fatal(e)
			}
			s2 := filepath.Join(dir, "s2.snap")
			if _, e, code := runArgs(t, interruptAt(t, "sleep", 1000), append(sleepArgs, "-out", s2)...); code != 130 {
				t.Fatalf("interrupted sleep: exit %d, %s", code, e)
			}
			if _, e, code := runArgs(t, context.Background(), "-resume", s2+".resume"); code != 0 {
				t.Fatal(e)
			}
			a, _ = os.ReadFile(s1)
			b, _ = os.ReadFile(s2)
			if len(a) == 0 || !bytes.Equal(a, b) {
				t.Fatal("resumed sleep differs from the uninterrupted sleep")
			}
		})
	}
}

// TestContinueUsesSnapshotSeed: continuing a seed-3 snapshot with -in and no -seed gives
// the same snapshot, byte for byte, as one run of -seed 3; an explicit -seed 4 gives another.
func TestContinueUsesSnapshotSeed(t *testing.T) {
	dir := t.TempDir()
	common := []string{"-phase", "train", "-label", "0", "-test", "0", "-quiet"}
	run := func(out string, args ...string) []byte {
		t.Helper()
		if _, e, code := runArgs(t, context.Background(), append(append(common, args...), "-out", out)...); code != 0 {
			t.Fatal(e)
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	whole := run(filepath.Join(dir, "whole.snap"), "-n", "10", "-seed", "3", "-train", "12")
	first := filepath.Join(dir, "first.snap")
	run(first, "-n", "10", "-seed", "3", "-train", "5")
	cont := run(filepath.Join(dir, "cont.snap"), "-in", first, "-train", "7")
	other := run(filepath.Join(dir, "other.snap"), "-in", first, "-train", "7", "-seed", "4")
	if !bytes.Equal(whole, cont) {
		t.Error("continuing a seed-3 snapshot without -seed differs from one seed-3 run")
	}
	if bytes.Equal(whole, other) {
		t.Error("continuing with -seed 4 gives the seed-3 run: -seed was ignored")
	}
}

func TestExportRoundTrip(t *testing.T) {
	dir := t.TempDir()
	snap := filepath.Join(dir, "n.snap")
	if _, e, code := runArgs(t, context.Background(), "-n", "6", "-train", "5", "-label", "40", "-test", "0", "-out", snap, "-quiet"); code != 0 {
		t.Fatal(e)
	}
	out := filepath.Join(dir, "n.npz")
	if _, e, code := runArgs(t, context.Background(), "-phase", "export", "-in", snap, "-out", out); code != 0 {
		t.Fatal(e)
	}
	s, err := runner.LoadSnapshot(snap)
	if err != nil {
		t.Fatal(err)
	}
	f, err := npz.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if h := f.Header("weights.npy"); h == nil || !slices.Equal(h.Descr.Shape, []int{784, 6}) {
		t.Fatalf("weights header %v (keys %v), want shape [784 6]", h, f.Keys())
	}
	var w, th []float64
	var lab []int64
	if err := f.Read("weights.npy", &w); err != nil {
		t.Fatal(err)
	}
	f.Read("thresholds.npy", &th)
	f.Read("labels.npy", &lab)
	if !slices.Equal(w, s.Net.W) || !slices.Equal(th, s.Net.Theta) || len(lab) != 6 || int(lab[0]) != s.Meta.Labels[0] {
		t.Fatal("exported arrays differ from the snapshot")
	}
}

func TestHelpListsEveryPhase(t *testing.T) {
	_, stderr, code := runArgs(t, context.Background(), "-h")
	if code != 0 {
		t.Fatalf("-h: exit %d", code)
	}
	for _, p := range []string{"run", "train", "test", "sleep", "export"} {
		if !strings.Contains(stderr, "evsim -phase "+p) && p != "run" {
			t.Errorf("-h has no example for phase %s", p)
		}
		if !strings.Contains(stderr, "  "+p+" ") {
			t.Errorf("-h does not list phase %s", p)
		}
	}
}
