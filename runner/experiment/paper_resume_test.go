package experiment

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/evsim/evsim/runner"
	"github.com/evsim/evsim/runner/mnist"
)

var (
	tinyOnce  sync.Once
	tinyTrain *mnist.Set
	tinyTest  *mnist.Set
	tinyErr   error
)

// tinyPaper is a reproduction small enough for a test: 6 neurons, 2 seeds, 2 levels.
func tinyPaper(t *testing.T, dir string) PaperConfig {
	t.Helper()
	tinyOnce.Do(func() {
		var d string
		if d, tinyErr = mnist.DefaultDir(); tinyErr != nil {
			return
		}
		if tinyTrain, tinyErr = mnist.Load(d, "train", 60); tinyErr != nil {
			return
		}
		tinyTest, tinyErr = mnist.Load(d, "t10k", 30)
	})
	if tinyErr != nil {
		t.Fatal(tinyErr)
	}
	cfg := DefaultPaper()
	cfg.Dir = dir
	cfg.NExc, cfg.Seeds, cfg.Levels, cfg.Focus = 6, []uint64{1, 2}, []int{10, 20}, 10
	cfg.Label, cfg.Test, cfg.Distort = 40, 30, 15
	cfg.Noise, cfg.Blur = []float64{0, 0.5}, []float64{0, 2}
	cfg.Sleep.DurationMS = 500
	cfg.Train, cfg.TestSet = tinyTrain, tinyTest
	return cfg
}

// runPaper runs Paper and WriteReport and returns the files reused and recomputed (with
// why), by name relative to the folder.
func runPaper(t *testing.T, ctx context.Context, cfg PaperConfig) (reused []string, recomputed map[string]string, err error) {
	t.Helper()
	recomputed = map[string]string{}
	cfg.Reuse = func(file string, ok bool, why string) {
		rel, _ := filepath.Rel(cfg.Dir, file)
		if ok {
			reused = append(reused, rel)
		} else {
			recomputed[rel] = why
		}
	}
	cells, err := Paper(ctx, cfg)
	if err != nil {
		return reused, recomputed, err
	}
	_, err = WriteReport(cfg, cells)
	return reused, recomputed, err
}

// products are the files of a results folder that must not depend on how the run went:
// results.json, the cells and the awake snapshots.
func products(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, pat := range []string{"results.json", "seed*/cell-*.json", "seed*/awake-*.snap"} {
		m, _ := filepath.Glob(filepath.Join(dir, pat))
		for _, f := range m {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			rel, _ := filepath.Rel(dir, f)
			out[rel] = b
		}
	}
	return out
}

var (
	refOnce     sync.Once
	refProducts map[string][]byte
	refErr      error
)

// reference is the products of an uninterrupted tinyPaper run in a fresh folder.
func reference(t *testing.T) map[string][]byte {
	t.Helper()
	refOnce.Do(func() {
		dir, err := os.MkdirTemp("", "evsim-paper-ref")
		if err != nil {
			refErr = err
			return
		}
		defer os.RemoveAll(dir)
		if _, _, refErr = runPaper(t, context.Background(), tinyPaper(t, dir)); refErr == nil {
			refProducts = products(t, dir)
		}
	})
	if refErr != nil {
		t.Fatal(refErr)
	}
	return refProducts
}

func sameProducts(t *testing.T, what string, got, want map[string][]byte) {
	t.Helper()
	if len(got) != len(want) || len(want) < 9 {
		t.Errorf("%s: %d products, want %d (>= 9)", what, len(got), len(want))
	}
	for name, b := range want {
		if !bytes.Equal(got[name], b) {
			t.Errorf("%s: %s differs from an uninterrupted run's", what, name)
		}
	}
}

// TestPaperOneSeed: with one seed the paired test is undefined; results.json must still be
// complete and valid, with the p-value null and the reason beside it (it was 0 bytes).
func TestPaperOneSeed(t *testing.T) {
	cfg := tinyPaper(t, t.TempDir())
	cfg.Seeds = []uint64{3}
	if _, _, err := runPaper(t, context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(cfg.Dir, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	var raw struct {
		Levels []map[string]any `json:"levels"`
		Cells  []json.RawMessage
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatalf("results.json (%d bytes) does not parse: %v", len(b), err)
	}
	if len(raw.Levels) != 2 || len(raw.Cells) != 2 {
		t.Fatalf("results.json has %d levels and %d cells, want 2 and 2", len(raw.Levels), len(raw.Cells))
	}
	for _, l := range raw.Levels {
		if p, ok := l["p_paired"]; !ok || p != nil || l["p_paired_reason"] != "one seed: no test" {
			t.Errorf("level %v: p_paired %v (present %v), reason %q; want null and the reason", l["level"], p, ok, l["p_paired_reason"])
		}
	}
	var rep PaperReport
	if err := json.Unmarshal(b, &rep); err != nil || !math.IsNaN(rep.Levels[0].P) || rep.Levels[0].Seeds != 1 {
		t.Errorf("results.json reads back with P %v, seeds %d (%v), want NaN, 1", rep.Levels[0].P, rep.Levels[0].Seeds, err)
	}
	md, _ := os.ReadFile(filepath.Join(cfg.Dir, "report.md"))
	if !strings.Contains(string(md), "one seed: no test") || strings.Contains(string(md), "NaN") {
		t.Errorf("report.md does not say that one seed allows no test, or prints NaN:\n%s", md)
	}
}

// TestPaperReuseNeedsSameSettings: a results folder computed with other settings (here 4
// neurons, then the warm-up) is recomputed, not reported under the new settings; the
// report then equals a fresh run's and its header describes the cells it reports.
func TestPaperReuseNeedsSameSettings(t *testing.T) {
	dir := t.TempDir()
	small := tinyPaper(t, dir)
	small.NExc = 4
	if _, _, err := runPaper(t, context.Background(), small); err != nil {
		t.Fatal(err)
	}
	cfg := tinyPaper(t, dir)
	reused, recomputed, err := runPaper(t, context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(reused) != 0 || len(recomputed) != 8 {
		t.Fatalf("after changing NExc: reused %v, recomputed %v; want all 4 snapshots and 4 cells recomputed", reused, recomputed)
	}
	for f, why := range recomputed {
		if !strings.Contains(why, "n_exc 4, now 6") {
			t.Errorf("%s recomputed because %q, want the change of n_exc named", f, why)
		}
	}
	var rep PaperReport
	b, _ := os.ReadFile(filepath.Join(dir, "results.json"))
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.NExc != 6 || len(rep.Cells[0].ThetaChange) != 6 {
		t.Errorf("report says %d neurons over cells of %d", rep.NExc, len(rep.Cells[0].ThetaChange))
	}
	md, _ := os.ReadFile(filepath.Join(dir, "report.md"))
	if !strings.HasPrefix(strings.SplitN(string(md), "\n", 4)[2], "6 excitatory neurons, seeds [1 2], training levels [10 20]") {
		t.Errorf("report.md header: %q", strings.SplitN(string(md), "\n", 4)[2])
	}
	sameProducts(t, "rerun over a 4-neuron folder", products(t, dir), reference(t))

	// The warm-up is part of the awake regime: changing it retrains (the run is stopped
	// as soon as it has judged the first snapshot).
	cfg.WarmupImages = 0
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var whys []string
	cfg.Reuse = func(file string, ok bool, why string) {
		if ok {
			t.Errorf("%s reused after changing WarmupImages", file)
		}
		whys = append(whys, why)
		cancel()
	}
	if _, err := Paper(ctx, cfg); err == nil || len(whys) == 0 || !strings.Contains(whys[0], "regime") {
		t.Errorf("after changing WarmupImages: %v, reasons %q", err, whys)
	}
}

// TestPaperKeyCoversSettings: every setting a cell depends on changes its settings hash
// (the engine and its time step included), and the settings that do not (Workers, Dir,
// the callbacks) leave it alone.
func TestPaperKeyCoversSettings(t *testing.T) {
	base := tinyPaper(t, "x")
	hash := func(cfg PaperConfig, level int) string {
		p := &paperRun{cfg: &cfg, program: Program(), trainSum: setSum(cfg.Train), testSum: setSum(cfg.TestSet)}
		h, err := hashJSON(p.cellConfig(1, level, "awake"))
		if err != nil {
			t.Fatal(err)
		}
		k, err := hashJSON(p.key(1, level))
		if err != nil {
			t.Fatal(err)
		}
		return h + k
	}
	want := hash(base, 10)
	otherSet := func(s *mnist.Set) *mnist.Set {
		c := *s
		c.Pixels = append([]uint8(nil), s.Pixels...)
		c.Pixels[100]++
		return &c
	}
	for name, change := range map[string]func(*PaperConfig){
		"NExc":           func(c *PaperConfig) { c.NExc++ },
		"Engine":         func(c *PaperConfig) { c.Engine = runner.EngineSpec{Kind: "stepped", Dt: 0.5} },
		"WarmupImages":   func(c *PaperConfig) { c.WarmupImages++ },
		"WarmupInh":      func(c *PaperConfig) { c.WarmupInh += 0.1 },
		"Label":          func(c *PaperConfig) { c.Label++ },
		"Test":           func(c *PaperConfig) { c.Test-- },
		"Distort":        func(c *PaperConfig) { c.Distort-- },
		"Noise":          func(c *PaperConfig) { c.Noise = []float64{0, 0.6} },
		"Blur":           func(c *PaperConfig) { c.Blur = []float64{0} },
		"Focus":          func(c *PaperConfig) { c.Focus = 20 },
		"Sleep.Changes":  func(c *PaperConfig) { c.Sleep.Changes.LeakScale *= 2 },
		"Sleep.STDP":     func(c *PaperConfig) { c.Sleep.Changes.STDP = !c.Sleep.Changes.STDP },
		"Sleep.Gain":     func(c *PaperConfig) { c.Sleep.InputGain *= 2 },
		"Sleep.Duration": func(c *PaperConfig) { c.Sleep.DurationMS++ },
		"Train":          func(c *PaperConfig) { c.Train = otherSet(c.Train) },
		"TestSet":        func(c *PaperConfig) { c.TestSet = otherSet(c.TestSet) },
	} {
		cfg := base
		change(&cfg)
		if hash(cfg, 10) == want {
			t.Errorf("changing %s leaves the cell's key unchanged", name)
		}
	}
	if hash(base, 20) == want {
		t.Error("the level is not in the key")
	}
	cfg := base
	cfg.Workers, cfg.Dir, cfg.Log = 7, "y", t.Logf
	if hash(cfg, 10) != want {
		t.Error("Workers, Dir or Log change the key")
	}
}

// TestPaperDetectsEdits: a digit edited by hand in a cell, a damaged snapshot or a missing
// key file is recomputed (to the same bytes), not reported.
func TestPaperDetectsEdits(t *testing.T) {
	cfg := tinyPaper(t, t.TempDir())
	if _, _, err := runPaper(t, context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	want := products(t, cfg.Dir)
	sameProducts(t, "a second folder", want, reference(t))
	cellPath := filepath.Join(cfg.Dir, "seed2", "cell-20.json")
	b := want["seed2/cell-20.json"]
	i := bytes.Index(b, []byte(`"awake_accuracy":0.`)) + len(`"awake_accuracy":0.`)
	edited := append([]byte(nil), b...)
	edited[i] = '0' + (edited[i]-'0'+1)%10
	if err := os.WriteFile(cellPath, edited, 0o644); err != nil {
		t.Fatal(err)
	}
	snapPath := filepath.Join(cfg.Dir, "seed1", "awake-20.snap")
	s, err := runner.LoadSnapshot(snapPath)
	if err != nil {
		t.Fatal(err)
	}
	s.Net.Theta[0] += 1e-3 // a valid snapshot, but not the one the key file describes
	if err := s.Save(snapPath); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(cfg.Dir, "seed2", "awake-10.snap.json")); err != nil {
		t.Fatal(err)
	}
	_, recomputed, err := runPaper(t, context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	for f, why := range map[string]string{
		"seed2/cell-20.json":  "checksum",
		"seed1/awake-20.snap": "checksum",
		"seed2/awake-10.snap": "key file",
	} {
		if !strings.Contains(recomputed[f], why) {
			t.Errorf("%s: recomputed because %q, want a reason naming the %s", f, recomputed[f], why)
		}
	}
	if len(recomputed) != 3 {
		t.Errorf("recomputed %v, want only the three damaged files", recomputed)
	}
	sameProducts(t, "after repairing the edits", products(t, cfg.Dir), want)
}

// TestPaperInterruptResume: cancelled in the middle of a training level, or in the middle
// of a cell, Paper keeps what it finished (the level cut short as a checkpoint), and a rerun
// completes to the same cells, snapshots and results.json as an uninterrupted run.
func TestPaperInterruptResume(t *testing.T) {
	want := reference(t)
	for _, point := range []struct {
		name string
		arm  func(cfg *PaperConfig, cancel func())
		kept string // a product the interrupted run must leave behind
	}{
		{"training seed 1 at image 15 of level 20", func(cfg *PaperConfig, cancel func()) {
			cfg.TrainProgress = func(seed uint64, seen int) {
				if seed == 1 && seen == 15 {
					cancel()
				}
			}
		}, "seed1/awake-partial.snap"},
		{"focus cell of seed 1 after its accuracies", func(cfg *PaperConfig, cancel func()) {
			cfg.Log = func(format string, a ...any) {
				if strings.HasPrefix(format, "seed %d, %d images: awake") && a[0] == uint64(1) {
					cancel()
				}
			}
		}, "seed1/awake-10.snap"}, // what else is done by then depends on the schedule
	} {
		cfg := tinyPaper(t, t.TempDir())
		ctx, cancel := context.WithCancel(context.Background())
		point.arm(&cfg, cancel)
		if _, _, err := runPaper(t, ctx, cfg); err == nil {
			t.Fatalf("%s: the run was not interrupted", point.name)
		}
		cancel()
		if _, err := os.Stat(filepath.Join(cfg.Dir, point.kept)); err != nil {
			t.Errorf("%s: %s not kept: %v", point.name, point.kept, err)
		}
		var lines []string
		cfg.Log = func(format string, a ...any) { lines = append(lines, strings.TrimSpace(fmt.Sprintf(format, a...))) }
		cfg.TrainProgress = nil
		reused, _, err := runPaper(t, context.Background(), cfg)
		if err != nil {
			t.Fatalf("%s: resume: %v", point.name, err)
		}
		if len(reused) == 0 {
			t.Errorf("%s: the resumed run reused nothing", point.name)
		}
		if point.kept == "seed1/awake-partial.snap" && !strings.Contains(strings.Join(lines, "\n"), "seed 1: continuing from seed1/awake-partial.snap (15 images)") {
			t.Errorf("%s: the resumed run did not continue from the checkpoint:\n%s", point.name, strings.Join(lines, "\n"))
		}
		sameProducts(t, point.name, products(t, cfg.Dir), want)
		if m, _ := filepath.Glob(filepath.Join(cfg.Dir, "seed*", "awake-partial*")); len(m) != 0 {
			t.Errorf("%s: checkpoints left after the run completed: %v", point.name, m)
		}
	}
}
