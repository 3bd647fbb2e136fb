package experiment

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evsim/evsim/runner"

	"github.com/evsim/evsim/analysis"
	"github.com/evsim/evsim/runner/mnist"
)

// TestPaperPipeline runs the whole reproduction on a tiny configuration (8 neurons, 2 seeds,
// 2 levels) and checks that every figure and table exists and agrees with results.json; a
// second run must reuse every stage (resume).
func TestPaperPipeline(t *testing.T) {
	dir, err := mnist.DefaultDir()
	if err != nil {
		t.Fatal(err)
	}
	train, err := mnist.Load(dir, "train", 200)
	if err != nil {
		t.Fatal(err)
	}
	test, err := mnist.Load(dir, "t10k", 60)
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultPaper()
	cfg.Dir = t.TempDir()
	cfg.NExc, cfg.Seeds, cfg.Levels, cfg.Focus = 8, []uint64{1, 2}, []int{20, 40}, 20
	cfg.Label, cfg.Test, cfg.Distort = 100, 60, 30
	cfg.Noise, cfg.Blur = []float64{0, 0.5}, []float64{0, 2}
	cfg.Sleep.DurationMS = 1000
	cfg.Train, cfg.TestSet = train, test
	cells, err := Paper(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(cells) != 4 {
		t.Fatalf("%d cells, want 2 seeds x 2 levels", len(cells))
	}
	rep, err := WriteReport(cfg, cells)
	if err != nil {
		t.Fatal(err)
	}
	var fromDisk PaperReport
	b, err := os.ReadFile(filepath.Join(cfg.Dir, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &fromDisk); err != nil {
		t.Fatal(err)
	}
	if len(fromDisk.Claims) != len(rep.Claims) || len(fromDisk.Claims) < 8 {
		t.Fatalf("results.json has %d claims, report %d (want >= 8)", len(fromDisk.Claims), len(rep.Claims))
	}
	md, _ := os.ReadFile(filepath.Join(cfg.Dir, "report.md"))
	for _, c := range fromDisk.Claims {
		if !strings.Contains(string(md), c.Measured) {
			t.Errorf("report.md lacks the measured value %q", c.Measured)
		}
		for _, f := range c.Files {
			if fi, err := os.Stat(filepath.Join(cfg.Dir, f)); err != nil || fi.Size() < 100 {
				t.Errorf("claim %s: file %s missing or empty", c.Figure, f)
			}
		}
	}
	for _, f := range []string{"fig2bc_receptive_fields_20.png", "fig2bc_receptive_fields_40.png", "ablation.png"} {
		if _, err := os.Stat(filepath.Join(cfg.Dir, f)); err != nil {
			t.Errorf("%s missing", f)
		}
	}
	// The CSV agrees with the JSON.
	fcsv, _ := os.Open(filepath.Join(cfg.Dir, "fig3_sleep_by_level.csv"))
	rows, err := csv.NewReader(fcsv).ReadAll()
	fcsv.Close()
	if err != nil || len(rows) != 1+len(cfg.Levels) {
		t.Fatalf("fig3 csv: %d rows, %v", len(rows), err)
	}
	for k, l := range fromDisk.Levels {
		if rows[k+1][1] != f4(l.AwakeMean) || rows[k+1][3] != f4(l.SleptMean) {
			t.Errorf("csv row %d %v disagrees with json %+v", k, rows[k+1], l)
		}
	}
	// Resume: a second run loads every stage instead of recomputing.
	var recomputed []string
	cfg.Reuse = func(file string, reused bool, why string) {
		if !reused {
			recomputed = append(recomputed, file)
		}
	}
	again, err := Paper(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(recomputed) > 0 {
		t.Fatalf("the second run recomputed %v", recomputed)
	}
	for k := range cells {
		if again[k].Awake != cells[k].Awake || again[k].Checksum != cells[k].Checksum {
			t.Fatal("the second run returned other cells")
		}
	}
}

// TestAblationClaimsSayWhenTrivial: with STDP off in sleep the 2x2 ablation cannot test
// the paper's claims (its arms equal the full sleep and the awake network by
// construction), and the claims and report say so; with STDP on they do not.
func TestAblationClaimsSayWhenTrivial(t *testing.T) {
	before := []float64{0.28, 0.29, 0.30}
	full := []float64{0.55, 0.57, 0.54}
	abl := [][]float64{before, full, before, full, []float64{0.2, 0.21, 0.19}} // before, thresholds only, weights only, full, STDP only
	for _, stdp := range []bool{false, true} {
		sleep := runner.ValidatedSleep()
		sleep.Changes.STDP = stdp
		rep := &PaperReport{Focus: 1000, Sleep: SleepSettings{Changes: sleep.Changes}}
		got := 0
		for _, c := range claims(rep, nil, abl, analysis.Series{}, analysis.Series{}, analysis.Series{}, analysis.Series{}) {
			if c.Figure != "ablation" {
				continue
			}
			if c.Trivial != "" {
				got++
			}
		}
		if want := map[bool]int{false: 2, true: 0}[stdp]; got != want {
			t.Errorf("sleep STDP %v: %d ablation claims marked trivial, want %d", stdp, got, want)
		}
		rep.Claims = claims(rep, nil, abl, analysis.Series{}, analysis.Series{}, analysis.Series{}, analysis.Series{})
		if md := markdown(rep); strings.Contains(md, "trivially") == stdp {
			t.Errorf("sleep STDP %v: report mentions triviality: %v", stdp, !stdp)
		}
	}
}
