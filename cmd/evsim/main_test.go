package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"codeberg.org/sbinet/npyio/npz"

	"github.com/evsim/evsim/model"
	"github.com/evsim/evsim/runner"
	"github.com/evsim/evsim/runner/mnist"
)

func runArgs(t *testing.T, ctx context.Context, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(ctx, args, &out, &errb)
	code := exitCode(err, &errb)
	return out.String(), errb.String(), code
}

// mustRun runs evsim and fails the test unless it exits 0.
func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	out, e, code := runArgs(t, context.Background(), args...)
	if code != 0 {
		t.Fatalf("evsim %v: exit %d: %s", args, code, e)
	}
	return out
}

// interruptAt returns a context that is cancelled once phase reaches done.
func interruptAt(t *testing.T, phase string, at float64) context.Context {
	ctx, cancel := context.WithCancelCause(context.Background())
	testHook = func(p string, done float64) {
		if p == phase && done >= at {
			cancel(signalError{syscall.SIGINT})
		}
	}
	t.Cleanup(func() { testHook = nil; cancel(nil) })
	return ctx
}

// comparable drops what may differ between two runs of the same command: timings, the
// rates computed from them, and the number of workers (a resume may give its own).
func comparable(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	delete(m, "seconds")
	delete(m, "workers")
	if tr, ok := m["train"].(map[string]any); ok {
		delete(tr, "images_per_s")
	}
	out, _ := json.MarshalIndent(m, "", " ")
	return string(out)
}

// resumeArgs resumes checkpoint ckpt quietly, with -workers 3 if workers (a resume may
// set its own).
func resumeArgs(ckpt string, workers bool) []string {
	if workers {
		return []string{"-resume", ckpt, "-quiet", "-workers", "3"}
	}
	return []string{"-resume", ckpt, "-quiet"}
}

// interruptCase is one point at which a run is interrupted.
type interruptCase struct {
	stage string
	at    float64
}

// checkInterrupts runs args uninterrupted, then once per case interrupted at that point
// and resumed from its checkpoint (twice interrupted for the first case), and requires
// the same output snapshot bytes (if any) and the same JSON results, timings aside.
// Folders in clean are removed before each run.
func checkInterrupts(t *testing.T, args []string, out string, cases []interruptCase, clean ...string) {
	t.Helper()
	dir := t.TempDir()
	t.Chdir(dir) // checkpoints without -out are named after a run id in the current folder
	results := filepath.Join(dir, "results.json")
	full := append(slices.Clone(args), "-results", results, "-quiet")
	for _, d := range clean {
		os.RemoveAll(d)
	}
	mustRun(t, full...)
	wantJSON := comparable(t, results)
	var wantSnap []byte
	if out != "" {
		wantSnap, _ = os.ReadFile(out)
		if len(wantSnap) == 0 {
			t.Fatal("the uninterrupted run wrote no snapshot")
		}
	}
	for k, c := range cases {
		os.Remove(results)
		for _, d := range clean {
			os.RemoveAll(d)
		}
		if out != "" {
			os.Remove(out)
		}
		_, stderr, code := runArgs(t, interruptAt(t, c.stage, c.at), full...)
		if code != 130 {
			t.Fatalf("%s@%v: exit %d, want 130; stderr %q", c.stage, c.at, code, stderr)
		}
		_, ckpt, ok := strings.Cut(stderr, "continue with: evsim -resume ")
		ckpt = strings.TrimSpace(ckpt)
		if !ok || ckpt == "" {
			t.Fatalf("%s@%v: no checkpoint named in %q", c.stage, c.at, stderr)
		}
		if out != "" {
			if _, err := os.Stat(out); err == nil {
				t.Fatalf("%s@%v: the interrupted run wrote its final snapshot", c.stage, c.at)
			}
		}
		if k == 0 {
			// A resumed run interrupted again keeps its progress too.
			testHook = nil
			_, stderr, code = runArgs(t, interruptAt(t, c.stage, c.at+1), "-resume", ckpt)
			if code != 130 && code != 0 {
				t.Fatalf("%s@%v: second interrupt: exit %d: %s", c.stage, c.at, code, stderr)
			}
			if code == 0 {
				t.Logf("%s@%v: the second interrupt came after the stage", c.stage, c.at)
				goto compare
			}
		}
		testHook = nil
		if _, e, code := runArgs(t, context.Background(), resumeArgs(ckpt, k == len(cases)-1)...); code != 0 {
			t.Fatalf("%s@%v: resume: exit %d: %s", c.stage, c.at, code, e)
		}
		if k == len(cases)-1 {
			var r struct{ Workers int }
			if b, err := os.ReadFile(results); err != nil || json.Unmarshal(b, &r) != nil || r.Workers != 3 {
				t.Errorf("%s@%v: resumed with -workers 3, the results say workers %d", c.stage, c.at, r.Workers)
			}
		}
	compare:
		if _, err := os.Stat(ckpt); err == nil {
			t.Errorf("%s@%v: the checkpoint of a completed run is still there", c.stage, c.at)
		}
		if got := comparable(t, results); got != wantJSON {
			t.Errorf("%s@%v: resumed results differ:\n%s\nwant\n%s", c.stage, c.at, got, wantJSON)
		}
		if out != "" {
			got, _ := os.ReadFile(out)
			if !bytes.Equal(got, wantSnap) {
				t.Errorf("%s@%v: resumed snapshot differs from the uninterrupted run", c.stage, c.at)
			}
		}
	}
}

// TestInterruptRunEveryStage: the default experiment interrupted at two points of each
// of its stages (train, label, test before, awake rate, sleep, relabel, test after)
// completes, once resumed, to the same snapshot bytes and the same JSON results.
func TestInterruptRunEveryStage(t *testing.T) {
	out := filepath.Join(t.TempDir(), "net.snap")
	args := []string{"run", "-n", "8", "-train", "12", "-label", "30", "-test", "30", "-sleep-ms", "2000", "-out", out}
	checkInterrupts(t, args, out, []interruptCase{
		{"train", 3}, {"train", 9}, {"label", 5}, {"label", 25}, {"before", 5}, {"before", 25},
		{"awake-rate", 20}, {"awake-rate", 150}, {"sleep", 500}, {"sleep", 1500},
		{"relabel", 5}, {"relabel", 25}, {"after", 5}, {"after", 25},
	})
}

// TestInterruptStepped: training and sleep on the stepped engine resume bit-identically.
func TestInterruptStepped(t *testing.T) {
	out := filepath.Join(t.TempDir(), "net.snap")
	args := []string{"run", "-engine", "stepped", "-n", "6", "-train", "8", "-label", "20", "-test", "0", "-sleep-ms", "1000", "-out", out}
	checkInterrupts(t, args, out, []interruptCase{{"train", 2}, {"train", 6}, {"sleep", 500}})
}

// TestInterruptOtherPhases: train, test, sleep, sleepsearch and paper, two points each.
func TestInterruptOtherPhases(t *testing.T) {
	dir := t.TempDir()
	snap := filepath.Join(dir, "a.snap")
	mustRun(t, "train", "-n", "6", "-train", "20", "-label", "30", "-out", snap, "-quiet")
	snap2 := filepath.Join(dir, "b.snap")
	mustRun(t, "train", "-n", "6", "-seed", "2", "-train", "20", "-label", "30", "-out", snap2, "-quiet")
	t.Run("train", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "t.snap")
		checkInterrupts(t, []string{"train", "-n", "6", "-train", "10", "-label", "30", "-out", out}, out,
			[]interruptCase{{"train", 4}, {"label", 10}})
	})
	t.Run("test", func(t *testing.T) {
		checkInterrupts(t, []string{"test", "-in", snap, "-label", "30", "-test", "40"}, "",
			[]interruptCase{{"label", 10}, {"test", 20}})
	})
	t.Run("sleep", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "s.snap")
		checkInterrupts(t, []string{"sleep", "-in", snap, "-out", out, "-label", "30", "-test", "30", "-sleep-ms", "1500"}, out,
			[]interruptCase{{"sleep", 500}, {"before", 10}})
	})
	t.Run("sleepsearch", func(t *testing.T) {
		checkInterrupts(t, []string{"sleepsearch", "-in", snap + "," + snap2, "-label", "20", "-validation", "20",
			"-grid-gain", "1", "-grid-leak", "2", "-grid-exc", "1,2,4", "-grid-inh", "0", "-grid-ms", "500"}, "",
			[]interruptCase{{"search", 1}, {"search", 2}})
	})
	t.Run("paper", func(t *testing.T) {
		pdir := filepath.Join(t.TempDir(), "paper")
		checkInterrupts(t, []string{"paper", "-dir", pdir, "-n", "5", "-seeds", "2", "-levels", "20,40", "-label", "30", "-test", "30", "-distort", "10", "-sleep-ms", "500"}, "",
			[]interruptCase{{"paper", 2}, {"paper", 5}}, pdir)
	})
}

// TestSigtermExit143: a run cancelled by SIGTERM writes its checkpoint and exits 143.
func TestSigtermExit143(t *testing.T) {
	out := filepath.Join(t.TempDir(), "n.snap")
	ctx, cancel := context.WithCancelCause(context.Background())
	testHook = func(p string, done float64) {
		if p == "train" && done >= 2 {
			cancel(signalError{syscall.SIGTERM})
		}
	}
	defer func() { testHook = nil; cancel(nil) }()
	_, stderr, code := runArgs(t, ctx, "train", "-n", "5", "-train", "6", "-label", "0", "-out", out, "-quiet")
	if code != 143 {
		t.Fatalf("exit %d, want 143: %s", code, stderr)
	}
	if _, err := os.Stat(out + ".resume"); err != nil {
		t.Fatalf("no checkpoint: %v", err)
	}
}

// TestPhaseFormIsSameCommand: `evsim -phase NAME ...` and `evsim NAME ...` are the same
// command: the same snapshot bytes and the same results.
func TestPhaseFormIsSameCommand(t *testing.T) {
	dir := t.TempDir()
	awake := filepath.Join(dir, "awake.snap")
	mustRun(t, "-phase", "train", "-n", "6", "-train", "15", "-label", "30", "-out", awake, "-quiet")
	var snaps [2][]byte
	var res [2]string
	for k, form := range [][]string{{"-phase", "sleep"}, {"sleep"}} {
		out := filepath.Join(dir, "slept.snap")
		args := append(slices.Clone(form), "-in", awake, "-out", out, "-label", "30", "-test", "30", "-sleep-ms", "1000", "-quiet", "-json")
		stdout := mustRun(t, args...)
		snaps[k], _ = os.ReadFile(out)
		os.Remove(out)
		var m map[string]any
		if err := json.Unmarshal([]byte(stdout), &m); err != nil {
			t.Fatalf("%v: stdout is not JSON: %v", form, err)
		}
		delete(m, "seconds")
		b, _ := json.Marshal(m)
		res[k] = string(b)
	}
	if len(snaps[0]) == 0 || !bytes.Equal(snaps[0], snaps[1]) {
		t.Error("-phase sleep and the sleep subcommand wrote different snapshots")
	}
	if res[0] != res[1] {
		t.Errorf("-phase sleep and sleep report differently:\n%s\n%s", res[0], res[1])
	}
	// -phase may stand anywhere among the flags, as old scripts put it.
	out := filepath.Join(dir, "slept.snap")
	mustRun(t, "-in", awake, "-phase", "sleep", "-out", out, "-label", "30", "-test", "30", "-sleep-ms", "1000", "-quiet")
	if b, _ := os.ReadFile(out); !bytes.Equal(b, snaps[1]) {
		t.Error("-phase after other flags gives another result")
	}
}

// TestSleepPresets: the default sleep is the validated preset, -sleep-preset paper-text
// is the paper's literal sleep, and a flag given overrides the preset's value; the
// results name the preset and the overrides.
func TestSleepPresets(t *testing.T) {
	dir := t.TempDir()
	awake := filepath.Join(dir, "awake.snap")
	mustRun(t, "train", "-n", "5", "-train", "10", "-label", "20", "-out", awake, "-quiet")
	sleep := func(extra ...string) SleepResult {
		args := append([]string{"sleep", "-in", awake, "-out", filepath.Join(dir, "s.snap"), "-label", "20", "-test", "0", "-quiet", "-json"}, extra...)
		var r Results
		if err := json.Unmarshal([]byte(mustRun(t, args...)), &r); err != nil || r.Sleep == nil {
			t.Fatalf("%v: %v", extra, err)
		}
		return *r.Sleep
	}
	v, pt := runner.ValidatedSleep(), runner.DefaultSleep()
	if s := sleep(); s.Preset != "validated" || s.Params.InhScale != v.Changes.InhScale || s.Params.STDP != v.Changes.STDP || s.Params.ThetaPlusScale != v.Changes.ThetaPlusScale || s.Params.DurationMS != v.DurationMS {
		t.Errorf("default sleep %+v, want the validated preset", s)
	}
	if s := sleep("-sleep-preset", "replay", "-sleep-ms", "600"); s.Preset != "replay" || s.Params.Rule != "replay" || s.Params.Replay == nil || !s.Params.STDP || s.Params.InhScale != 0 {
		t.Errorf("the replay preset: %+v", s.Params)
	}
	if s := sleep(); s.Params.Rule != "awake" || s.Params.Replay != nil {
		t.Errorf("the validated sleep records rule %q, replay %v", s.Params.Rule, s.Params.Replay)
	}
	if s := sleep("-sleep-preset", "paper-text", "-sleep-ms", "700"); s.Preset != "paper-text" || s.Params.ExcGain != pt.Changes.ExcGain || !s.Params.STDP || s.Params.DurationMS != 700 || !slices.Equal(s.Overrides, []string{"sleep-ms"}) {
		t.Errorf("paper-text with -sleep-ms 700: %+v", s)
	}
}

// TestSummaryAndJSON: stdout is a human summary by default and JSON with -json; -results
// writes the same JSON to a file.
func TestSummaryAndJSON(t *testing.T) {
	dir := t.TempDir()
	snap := filepath.Join(dir, "n.snap")
	res := filepath.Join(dir, "r.json")
	human := mustRun(t, "train", "-n", "5", "-train", "6", "-label", "20", "-out", snap, "-results", res, "-quiet")
	if json.Valid([]byte(human)) || !strings.Contains(human, "evsim train: 5 neurons") || !strings.Contains(human, "trained") || !strings.Contains(human, snap) {
		t.Errorf("summary:\n%s", human)
	}
	js := mustRun(t, "test", "-in", snap, "-test", "20", "-json", "-quiet")
	var r Results
	if err := json.Unmarshal([]byte(js), &r); err != nil || r.Test == nil || r.Test.N != 20 {
		t.Fatalf("-json stdout: %v %+v", err, r.Test)
	}
	if !slices.Contains(r.Provenance.Command, "test") || r.Provenance.Module == "" {
		t.Errorf("provenance %+v does not name the command", r.Provenance)
	}
	var f Results
	b, _ := os.ReadFile(res)
	if err := json.Unmarshal(b, &f); err != nil || f.Train == nil || f.Train.Images != 6 {
		t.Fatalf("-results file: %v", err)
	}
	s, err := runner.LoadSnapshot(snap)
	if err != nil || s.Meta.Provenance == nil || !slices.Contains(s.Meta.Provenance.Command, "train") {
		t.Fatalf("the snapshot records no provenance: %v", err)
	}
}

// TestContinueUsesSnapshotSeed: continuing a seed-3 snapshot with -in and no -seed gives
// the same network as one run of -seed 3; an explicit -seed 4 gives another.
func TestContinueUsesSnapshotSeed(t *testing.T) {
	dir := t.TempDir()
	state := func(out string, args ...string) []float64 {
		t.Helper()
		mustRun(t, append(append([]string{"train", "-label", "0", "-quiet"}, args...), "-out", out)...)
		s, err := runner.LoadSnapshot(out)
		if err != nil {
			t.Fatal(err)
		}
		v := slices.Clone(s.Net.Theta)
		for _, w := range s.Net.W {
			v = append(v, float64(w))
		}
		return v
	}
	whole := state(filepath.Join(dir, "whole.snap"), "-n", "10", "-seed", "3", "-train", "12")
	first := filepath.Join(dir, "first.snap")
	state(first, "-n", "10", "-seed", "3", "-train", "5")
	cont := state(filepath.Join(dir, "cont.snap"), "-in", first, "-train", "7")
	other := state(filepath.Join(dir, "other.snap"), "-in", first, "-train", "7", "-seed", "4")
	if !slices.Equal(whole, cont) {
		t.Error("continuing a seed-3 snapshot without -seed differs from one seed-3 run")
	}
	if slices.Equal(whole, other) {
		t.Error("continuing with -seed 4 gives the seed-3 run: -seed was ignored")
	}
}

func TestExportRoundTrip(t *testing.T) {
	dir := t.TempDir()
	snap := filepath.Join(dir, "n.snap")
	mustRun(t, "train", "-n", "6", "-train", "5", "-label", "40", "-out", snap, "-quiet")
	out := filepath.Join(dir, "n.npz")
	mustRun(t, "export", "-in", snap, "-out", out)
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
	same := len(w) == len(s.Net.W)
	for k := range min(len(w), len(s.Net.W)) {
		same = same && w[k] == float64(s.Net.W[k])
	}
	if !same || !slices.Equal(th, s.Net.Theta) || len(lab) != 6 || int(lab[0]) != s.Meta.Labels[0] {
		t.Fatal("exported arrays differ from the snapshot")
	}
	if m, _ := filepath.Glob(filepath.Join(dir, ".*")); len(m) != 0 {
		t.Errorf("temporary files left behind: %v", m)
	}
}

// TestHelp: evsim -h lists every command with an example; a command's -h lists its own
// flags and no other command's.
func TestHelp(t *testing.T) {
	_, stderr, code := runArgs(t, context.Background(), "-h")
	if code != 0 {
		t.Fatalf("-h: exit %d", code)
	}
	for _, c := range subcommands {
		if !strings.Contains(stderr, "  "+c.name+" ") || !strings.Contains(stderr, c.example) {
			t.Errorf("-h does not list %s with its example", c.name)
		}
	}
	for _, c := range subcommands {
		_, usage, code := runArgs(t, context.Background(), c.name, "-h")
		if code != 0 {
			t.Fatalf("%s -h: exit %d", c.name, code)
		}
		for _, d := range flagDefs {
			listed := strings.Contains(usage, "\n  -"+d.name+" ") || strings.Contains(usage, "\n  -"+d.name+"\n")
			if listed != d.takes(c.name) {
				t.Errorf("%s -h: flag -%s listed %v, want %v", c.name, d.name, listed, d.takes(c.name))
			}
		}
	}
}

// TestNoCommandIsRun: flags alone run the default experiment, as before subcommands.
func TestNoCommandIsRun(t *testing.T) {
	var r Results
	js := mustRun(t, "-n", "4", "-train", "3", "-label", "10", "-test", "10", "-sleep-ms", "500", "-json", "-quiet")
	if err := json.Unmarshal([]byte(js), &r); err != nil || r.Phase != "run" || r.Sleep == nil || r.Sleep.Preset != "validated" {
		t.Fatalf("no command: %v, %+v", err, r)
	}
}

// TestCheckpointSelfContained: a checkpoint resumes from another folder after its -in
// is gone, and writes -out where the interrupted run would have (a relative -out is
// recorded as an absolute path); its statistics cover the whole run.
func TestCheckpointSelfContained(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	t.Chdir(a)
	mustRun(t, "train", "-n", "5", "-train", "10", "-label", "20", "-out", "in.snap", "-quiet")
	args := []string{"sleep", "-in", "in.snap", "-out", "slept.snap", "-label", "20", "-test", "20", "-sleep-ms", "1500", "-quiet", "-json"}
	want := mustRun(t, args...)
	wantSnap, _ := os.ReadFile("slept.snap")
	os.Remove("slept.snap")
	if _, e, code := runArgs(t, interruptAt(t, "sleep", 1000), args...); code != 130 {
		t.Fatalf("exit %d: %s", code, e)
	}
	testHook = nil
	os.Remove("in.snap")
	ckpt := filepath.Join(a, "slept.snap.resume")
	t.Chdir(b)
	got := mustRun(t, "-resume", ckpt, "-quiet", "-json")
	gotSnap, err := os.ReadFile(filepath.Join(a, "slept.snap"))
	if err != nil || !bytes.Equal(gotSnap, wantSnap) {
		t.Fatalf("resumed from another folder: %v, snapshot equal %v", err, bytes.Equal(gotSnap, wantSnap))
	}
	var rw, rg Results
	json.Unmarshal([]byte(want), &rw)
	json.Unmarshal([]byte(got), &rg)
	if rw.Sleep == nil || rg.Sleep == nil || rw.Sleep.Stats != rg.Sleep.Stats || rw.Sleep.AwakeRateHz != rg.Sleep.AwakeRateHz || rg.Sleep.TestBefore == nil {
		t.Fatalf("resumed sleep statistics differ: %+v\nwant %+v", rg.Sleep, rw.Sleep)
	}
}

// TestCraftedCheckpoints: checkpoints whose run record is incomplete or inconsistent are
// refused with exit 2 and one line, never a panic.
func TestCraftedCheckpoints(t *testing.T) {
	dir := t.TempDir()
	base := filepath.Join(dir, "base.snap")
	mustRun(t, "train", "-n", "4", "-train", "3", "-label", "10", "-out", base, "-quiet")
	for _, rec := range []string{
		`{"args":["-resume"]}`,
		`{"args":[]}`,
		`{"args":["run","-n=0"]}`,
		`{"args":["run"],"done":["dreaming"]}`,
		`{"args":["run"],"start":-7}`,
		`{"args":["run"],"start":999}`,
		`{"args":["paper"]}`,
		`{"args":["run"],"results":{"seconds":"many"}}`,
	} {
		s, err := runner.LoadSnapshot(base)
		if err != nil {
			t.Fatal(err)
		}
		s.Meta.Pending = json.RawMessage(rec)
		p := filepath.Join(dir, "c.resume")
		if err := s.Save(p); err != nil {
			t.Fatal(err)
		}
		_, stderr, code := runArgs(t, context.Background(), "-resume", p)
		if code != 2 || strings.Count(strings.TrimSpace(stderr), "\n") != 0 || strings.Contains(stderr, "panic") {
			t.Errorf("record %s: exit %d, %q", rec, code, stderr)
		}
	}
}

// TestStaleTempFilesRemoved: temporary files a killed run left in an output folder are
// removed by the next run once an hour old, and named on stderr; younger ones stay.
func TestStaleTempFilesRemoved(t *testing.T) {
	dir := t.TempDir()
	old := filepath.Join(dir, ".n.snap.evsim-tmp-0123456789abcdef")
	young := filepath.Join(dir, ".n.snap.evsim-tmp-fedcba9876543210")
	for _, p := range []string{old, young} {
		os.WriteFile(p, []byte("partial"), 0o644)
	}
	past := time.Now().Add(-2 * time.Hour)
	os.Chtimes(old, past, past)
	_, stderr, code := runArgs(t, context.Background(), "train", "-n", "3", "-train", "1", "-label", "0", "-out", filepath.Join(dir, "n.snap"))
	if code != 0 || !strings.Contains(stderr, "removed 1 stale temporary file") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	if _, err := os.Stat(old); err == nil {
		t.Error("the stale temporary file is still there")
	}
	if _, err := os.Stat(young); err != nil {
		t.Error("a young temporary file (maybe a running writer's) was removed")
	}
}

// TestLearningCurve: -curve measures the validation accuracy at the points asked for,
// writes them as CSV and PNG beside -out, keeps the points of an interrupted run, and
// does not change the network.
func TestLearningCurve(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "c.snap")
	args := []string{"train", "-n", "6", "-train", "40", "-label", "20", "-curve", "10,25,40", "-curve-label", "50", "-curve-validation", "50", "-out", out}
	// Also at a curve point itself: the stretch that ends there completes, the point is
	// not yet measured, and the resumed run must measure it.
	checkInterrupts(t, args, out, []interruptCase{{"train", 15}, {"train", 30}, {"train", 25}})
	var r Results
	b, _ := os.ReadFile(filepath.Join(dir, "c.snap.curve.csv"))
	if lines := strings.Split(strings.TrimSpace(string(b)), "\n"); len(lines) != 4 || lines[0] != "images_seen,pass,validation_accuracy,held_out" || !strings.HasPrefix(lines[3], "40,1,") || !strings.HasSuffix(lines[3], ",true") {
		t.Errorf("curve CSV:\n%s", b)
	}
	if _, err := os.Stat(filepath.Join(dir, "c.snap.curve.png")); err != nil {
		t.Error(err)
	}
	js := mustRun(t, append(args[:len(args)-1], filepath.Join(dir, "d.snap"), "-json", "-quiet")...)
	if err := json.Unmarshal([]byte(js), &r); err != nil || len(r.Curve) != 3 || r.Curve[1].Images != 25 {
		t.Fatalf("curve in the results: %v %+v", err, r.Curve)
	}
	plain := filepath.Join(dir, "p.snap")
	mustRun(t, "train", "-n", "6", "-train", "40", "-label", "20", "-out", plain, "-quiet")
	a, _ := runner.LoadSnapshot(filepath.Join(dir, "d.snap"))
	p, _ := runner.LoadSnapshot(plain)
	if !slices.Equal(a.Net.W, p.Net.W) || !slices.Equal(a.Net.Theta, p.Net.Theta) {
		t.Error("measuring the curve changed the network")
	}
}

// TestHeldOut: the validation images (the last v of n) are held out until the training
// sequence reaches them, and never again.
func TestHeldOut(t *testing.T) {
	for _, c := range []struct {
		seen, v int
		want    bool
	}{{1, 2000, true}, {58000, 2000, true}, {58001, 2000, false}, {60000, 2000, false}, {120000, 2000, false}, {59999, 1, true}, {60000, 1, false}} {
		if got := heldOut(c.seen, 60000, c.v); got != c.want {
			t.Errorf("heldOut(%d, 60000, %d) = %v, want %v", c.seen, c.v, got, c.want)
		}
	}
}

// TestPeriodicCheckpoint: with -checkpoint-every, a run killed with SIGKILL (no chance
// to write anything) continues from its last periodic checkpoint to the same bytes as a
// run never killed; a completed run leaves no checkpoint.
func TestPeriodicCheckpoint(t *testing.T) {
	bin := buildEvsim(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "k.snap")
	args := []string{"train", "-n", "10", "-train", "600", "-label", "0", "-checkpoint-every", "40", "-out", out, "-quiet"}
	if _, e, code := runBin(t, bin, nil, args...); code != 0 {
		t.Fatal(e)
	}
	if _, err := os.Stat(out + ".resume"); err == nil {
		t.Error("a completed run left its periodic checkpoint")
	}
	want, _ := os.ReadFile(out)
	os.Remove(out)
	cmd := exec.Command(bin, args...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute)
	for {
		if _, err := os.Stat(out + ".resume"); err == nil {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("no periodic checkpoint within a minute")
		}
		time.Sleep(5 * time.Millisecond)
	}
	cmd.Process.Kill()
	cmd.Wait()
	if _, err := os.Stat(out); err == nil {
		t.Skip("the run finished before the kill")
	}
	if _, e, code := runBin(t, bin, nil, "-resume", out+".resume", "-quiet"); code != 0 {
		t.Fatalf("resume after SIGKILL: exit %d: %s", code, e)
	}
	if got, _ := os.ReadFile(out); !bytes.Equal(got, want) {
		t.Error("the run resumed from its periodic checkpoint differs from the run never killed")
	}
}

// TestEpochs: -epochs E trains E passes over the training set; it excludes -train.
func TestEpochs(t *testing.T) {
	o, err := parse([]string{"train", "-epochs", "3", "-out", "x.snap"}, io.Discard)
	if err != nil || o.train != 180000 {
		t.Fatalf("-epochs 3: %v, train %d", err, o.train)
	}
	for _, bad := range [][]string{{"train", "-epochs", "0", "-out", "x"}, {"train", "-epochs", "2", "-train", "5", "-out", "x"}, {"test", "-in", "x", "-epochs", "2"}} {
		if _, err := parse(bad, io.Discard); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}

// TestWorkersSameBytes: training, labelling, sleeping and testing a network large enough
// for the parallel fan-out (2,048 neurons: two blocks) write the same snapshots and the
// same results with one worker and with three (the output paths, which differ, aside),
// and the command recorded leaves -workers out.
func TestWorkersSameBytes(t *testing.T) {
	dir := t.TempDir()
	var snaps [2][]byte
	var res [2]string
	for k, w := range []string{"1", "3"} {
		awake := filepath.Join(dir, "awake"+w+".snap")
		slept := filepath.Join(dir, "slept"+w+".snap")
		js := filepath.Join(dir, "r"+w+".json")
		mustRun(t, "train", "-n", "2048", "-train", "3", "-label", "4", "-workers", w, "-out", awake, "-quiet")
		mustRun(t, "sleep", "-in", awake, "-out", slept, "-sleep-ms", "300", "-label", "4", "-test", "4", "-workers", w, "-results", js, "-quiet")
		for _, p := range []string{awake, slept} {
			s, err := runner.LoadSnapshot(p)
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range s.Meta.Provenance.Command {
				if strings.HasPrefix(a, "-workers") {
					t.Errorf("%s: the recorded command names %s", p, a)
				}
			}
			s.Meta.Provenance = nil
			var b bytes.Buffer
			if err := s.Encode(&b); err != nil {
				t.Fatal(err)
			}
			snaps[k] = append(snaps[k], b.Bytes()...)
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(comparable(t, js)), &m); err != nil {
			t.Fatal(err)
		}
		delete(m, "workers")
		delete(m, "provenance")
		delete(m, "output")
		out, _ := json.Marshal(m)
		res[k] = string(out)
	}
	if len(snaps[0]) == 0 || !bytes.Equal(snaps[0], snaps[1]) {
		t.Error("-workers 1 and -workers 3 wrote different snapshots")
	}
	if res[0] != res[1] {
		t.Errorf("-workers 1 and -workers 3 report differently:\n%s\n%s", res[0], res[1])
	}
}

// TestLateralInh: -lateral-inh sets the peak drop of one inhibitory spike in a new network,
// the snapshot keeps it (so -in continues with it), the results print it, and it changes
// what the network learns.
func TestLateralInh(t *testing.T) {
	dir := t.TempDir()
	var weights [][]float32
	for _, c := range []struct {
		args []string
		want float64
	}{{[]string{"-lateral-inh", "15"}, 15}, {nil, 60}} {
		out := filepath.Join(dir, "li.snap")
		stdout := mustRun(t, append([]string{"train", "-n", "20", "-train", "30", "-warmup-images", "0", "-label", "0", "-out", out, "-quiet", "-json"}, c.args...)...)
		var m struct {
			Train struct {
				LateralInh float64 `json:"lateral_inh_mv"`
			} `json:"train"`
		}
		if err := json.Unmarshal([]byte(stdout), &m); err != nil {
			t.Fatal(err)
		}
		s, err := runner.LoadSnapshot(out)
		if err != nil {
			t.Fatal(err)
		}
		r := s.Meta.Regime
		got := r.JIE * model.PSPPeak(r.Exc.TauM, r.TauS)
		if math.Abs(got-c.want) > 1e-9 || math.Abs(m.Train.LateralInh-c.want) > 1e-9 {
			t.Errorf("%v: snapshot %v mV, results %v mV, want %v", c.args, got, m.Train.LateralInh, c.want)
		}
		weights = append(weights, s.Net.W)
		os.Remove(out)
	}
	if slices.Equal(weights[0], weights[1]) {
		t.Error("-lateral-inh 15 learned the same weights as the default 60 mV")
	}
}

// TestThetaPlus: -theta-plus and -tau-theta set θ+ and θ's decay time constant of a new
// network, which its snapshot keeps (so -in continues with them) and the results print;
// without them θ+ is model.AwakeN's for the size and the time constant is 10^7 ms. A
// different time constant changes the θ the network ends with.
func TestThetaPlus(t *testing.T) {
	dir := t.TempDir()
	var thetas [][]float64
	for _, c := range []struct {
		args          []string
		wantTP, wantT float64
	}{{[]string{"-theta-plus", "0.3"}, 0.3, 1e7}, {nil, 0.05 * 4, 1e7}, {[]string{"-tau-theta", "2000"}, 0.05 * 4, 2000}} {
		out := filepath.Join(dir, "tp.snap")
		stdout := mustRun(t, append([]string{"train", "-n", "400", "-train", "2", "-label", "0", "-out", out, "-quiet", "-json"}, c.args...)...)
		var m struct {
			Train struct {
				ThetaPlus float64 `json:"theta_plus_mv"`
				TauTheta  float64 `json:"tau_theta_ms"`
			} `json:"train"`
		}
		if err := json.Unmarshal([]byte(stdout), &m); err != nil {
			t.Fatal(err)
		}
		s, err := runner.LoadSnapshot(out)
		if err != nil {
			t.Fatal(err)
		}
		r := s.Meta.Regime
		if r.ThetaPlus != c.wantTP || m.Train.ThetaPlus != c.wantTP || r.TauTheta != c.wantT || m.Train.TauTheta != c.wantT {
			t.Errorf("%v: snapshot θ+ %v τθ %v, results θ+ %v τθ %v, want θ+ %v τθ %v", c.args, r.ThetaPlus, r.TauTheta, m.Train.ThetaPlus, m.Train.TauTheta, c.wantTP, c.wantT)
		}
		thetas = append(thetas, s.Net.Theta)
		os.Remove(out)
	}
	if slices.Equal(thetas[1], thetas[2]) {
		t.Error("-tau-theta 2000 ended with the same θ as the default 10^7 ms")
	}
}

// TestPassLabel: the pass shown is that of the next image, counted from the images the
// network had seen when the bar started (it showed pass 2 at image 43,737 of a run
// checkpointed every 20,000, adding the images seen so far twice).
func TestPassLabel(t *testing.T) {
	for _, c := range []struct {
		seen0, done int
		want        string
	}{
		{0, 0, "train (pass 1/15)"},
		{0, 43737, "train (pass 1/15)"},
		{0, 60000, "train (pass 2/15)"},
		{40000, 19999, "train (pass 1/15)"},
		{40000, 20000, "train (pass 2/15)"},
		{0, 900000, "train (pass 15/15)"},
	} {
		if got := passLabel(c.seen0, 60000, 15)(c.done); got != c.want {
			t.Errorf("seen %d, done %d: %q, want %q", c.seen0, c.done, got, c.want)
		}
	}
}

// writeIDX writes the first n images of set as the uncompressed IDX files of split in
// dir (mnist.Load reads them when the .gz files are absent).
func writeIDX(t *testing.T, dir, split string, set *mnist.Set, n int) {
	t.Helper()
	be := func(vs ...uint32) []byte {
		b := make([]byte, 0, 4*len(vs))
		for _, v := range vs {
			b = binary.BigEndian.AppendUint32(b, v)
		}
		return b
	}
	img := append(be(0x803, uint32(n), 28, 28), set.Pixels[:n*mnist.Pixels]...)
	lab := append(be(0x801, uint32(n)), set.Labels[:n]...)
	for name, b := range map[string][]byte{split + "-images-idx3-ubyte": img, split + "-labels-idx1-ubyte": lab} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestHoldOut: -hold-out H keeps the last H training images out of training. Three passes
// with -hold-out 59990 learn the same weights and thresholds as three passes over a data
// set of only the first 10 images, and so does a continuation with -in (the snapshot
// keeps H); every learning-curve point is held out; the default labels come from the
// images trained on, and so does the sleep's mean input; a -curve-validation above H is
// refused.
func TestHoldOut(t *testing.T) {
	dir := t.TempDir()
	src, err := mnist.DefaultDir()
	if err != nil {
		t.Fatal(err)
	}
	small := filepath.Join(dir, "small")
	if err := os.Mkdir(small, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, split := range []string{"train", "t10k"} {
		set, err := mnist.Load(src, split, 10)
		if err != nil {
			t.Fatal(err)
		}
		writeIDX(t, small, split, set, 10)
	}
	a, b := filepath.Join(dir, "a.snap"), filepath.Join(dir, "b.snap")
	stdout := mustRun(t, "train", "-n", "10", "-epochs", "3", "-hold-out", "59990", "-label", "0", "-warmup-images", "5",
		"-curve", "10,30", "-curve-label", "5", "-curve-validation", "5", "-out", a, "-quiet", "-json")
	var m struct {
		Train struct {
			Images  int `json:"images"`
			HeldOut int `json:"held_out"`
		} `json:"train"`
		Curve []CurvePoint `json:"learning_curve"`
	}
	if err := json.Unmarshal([]byte(stdout), &m); err != nil {
		t.Fatal(err)
	}
	if m.Train.Images != 30 || m.Train.HeldOut != 59990 {
		t.Errorf("-epochs 3 -hold-out 59990: trained %d images, held out %d; want 30 and 59990", m.Train.Images, m.Train.HeldOut)
	}
	if len(m.Curve) != 2 || !m.Curve[0].HeldOut || !m.Curve[1].HeldOut || m.Curve[1].Pass != 3 {
		t.Errorf("curve %+v: want 2 points, both held out, the second in pass 3", m.Curve)
	}
	mustRun(t, "train", "-data", small, "-n", "10", "-epochs", "3", "-label", "0", "-warmup-images", "5", "-out", b, "-quiet")
	same := func(what, p, q string) {
		t.Helper()
		sp, err := runner.LoadSnapshot(p)
		if err != nil {
			t.Fatal(err)
		}
		sq, err := runner.LoadSnapshot(q)
		if err != nil {
			t.Fatal(err)
		}
		if sp.Meta.HeldOut != 59990 || sq.Meta.HeldOut != 0 {
			t.Errorf("%s: snapshots hold out %d and %d, want 59990 and 0", what, sp.Meta.HeldOut, sq.Meta.HeldOut)
		}
		if !slices.Equal(sp.Net.W, sq.Net.W) || !slices.Equal(sp.Net.Theta, sq.Net.Theta) {
			t.Errorf("%s: -hold-out 59990 learned other weights or thresholds than the first 10 images alone", what)
		}
	}
	same("3 passes", a, b)
	a2, b2 := filepath.Join(dir, "a2.snap"), filepath.Join(dir, "b2.snap")
	mustRun(t, "train", "-in", a, "-train", "15", "-label", "0", "-out", a2, "-quiet")
	mustRun(t, "train", "-data", small, "-in", b, "-train", "15", "-label", "0", "-out", b2, "-quiet")
	same("continued with -in", a2, b2)

	// The sleep's input with -sleep-input all is the mean of the images it may train on.
	stdout = mustRun(t, "sleep", "-in", a, "-sleep-input", "all", "-test", "0", "-out", filepath.Join(dir, "s.snap"), "-quiet", "-json")
	var ms struct {
		Sleep struct {
			Params struct {
				MeanOf int `json:"mean_of_images"`
			} `json:"params"`
		} `json:"sleep"`
		Label struct {
			Images int `json:"images"`
		} `json:"label"`
	}
	if err := json.Unmarshal([]byte(stdout), &ms); err != nil {
		t.Fatal(err)
	}
	if ms.Sleep.Params.MeanOf != 10 || ms.Label.Images != 10 {
		t.Errorf("sleep -sleep-input all on -hold-out 59990: the mean of %d images, labels from %d; want the 10 it trains on", ms.Sleep.Params.MeanOf, ms.Label.Images)
	}
	// -train 0 writes the network as it is (it used to dereference a training set it had not loaded).
	mustRun(t, "train", "-in", a, "-train", "0", "-label", "0", "-out", filepath.Join(dir, "z.snap"), "-quiet")

	// Labels by default come from the images trained on, never from the held-out ones.
	stdout = mustRun(t, "train", "-n", "10", "-train", "20", "-hold-out", "59990", "-out", filepath.Join(dir, "e.snap"), "-quiet", "-json")
	var ml struct {
		Label struct {
			Images int `json:"images"`
		} `json:"label"`
	}
	if err := json.Unmarshal([]byte(stdout), &ml); err != nil {
		t.Fatal(err)
	}
	if ml.Label.Images != 10 {
		t.Errorf("-hold-out 59990 without -label: labels from %d images, want the 10 trained on", ml.Label.Images)
	}

	_, errOut, code := runArgs(t, context.Background(), "train", "-n", "10", "-train", "10", "-hold-out", "4", "-curve", "10", "-curve-validation", "5", "-out", filepath.Join(dir, "c.snap"), "-quiet")
	if code != 2 || !strings.Contains(errOut, "-curve-validation 5") {
		t.Errorf("-hold-out 4 -curve-validation 5: exit %d, %q; want a usage error naming -curve-validation 5", code, errOut)
	}
	_, errOut, code = runArgs(t, context.Background(), "train", "-data", small, "-n", "10", "-train", "10", "-label", "0", "-hold-out", "10", "-out", filepath.Join(dir, "d.snap"), "-quiet")
	if code != 2 || !strings.Contains(errOut, "-hold-out 10") {
		t.Errorf("-hold-out 10 of 10 images: exit %d, %q; want a usage error naming -hold-out 10", code, errOut)
	}
}
