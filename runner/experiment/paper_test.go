package experiment

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"math"
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

// TestPaperExtraSleeps: with PaperConfig.Replay and Theta set, each focus cell reports both
// extra sleeps from the awake network (accuracy, per-neuron threshold and weight changes),
// the report adds their claims, figures and per-seed table, and the other cells keep the
// settings (and so the hashes) of a run without them. The theta sleep (fast θ decay, no
// increment) makes thresholds fall, which the awake rules cannot in a sleep this short.
func TestPaperExtraSleeps(t *testing.T) {
	dir, err := mnist.DefaultDir()
	if err != nil {
		t.Fatal(err)
	}
	train, err := mnist.Load(dir, "train", 100)
	if err != nil {
		t.Fatal(err)
	}
	test, err := mnist.Load(dir, "t10k", 40)
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultPaper()
	cfg.Dir = t.TempDir()
	cfg.NExc, cfg.Seeds, cfg.Levels, cfg.Focus = 8, []uint64{1, 2}, []int{20, 40}, 20
	cfg.Label, cfg.Test, cfg.Distort = 60, 40, 10
	cfg.Noise, cfg.Blur = []float64{0}, []float64{0}
	cfg.Sleep.DurationMS = 500
	replay := runner.ReplaySleep()
	replay.DurationMS = 500
	theta := runner.ValidatedSleep()
	theta.DurationMS, theta.Changes.ThetaPlusScale, theta.Changes.TauTheta = 500, 0, 1000
	cfg.Replay, cfg.Theta = &replay, &theta
	cfg.Train, cfg.TestSet = train, test
	cells, err := Paper(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cells {
		focus := c.Level == cfg.Focus
		if (c.Replay != nil) != focus || (c.Theta != nil) != focus || (c.Config.Replay != nil) != focus {
			t.Fatalf("cell seed %d level %d: replay %v, theta %v: want both exactly at the focus level", c.Seed, c.Level, c.Replay != nil, c.Theta != nil)
		}
		if !focus {
			if b, _ := json.Marshal(c.Config); strings.Contains(string(b), "replay") || strings.Contains(string(b), "theta_sleep") {
				t.Errorf("a non-focus cell's settings name the extra sleeps: %s", b)
			}
			continue
		}
		if len(c.Replay.WeightChange) != cfg.NExc || len(c.Theta.ThetaChange) != cfg.NExc {
			t.Fatalf("per-neuron changes: %d and %d values, want %d", len(c.Replay.WeightChange), len(c.Theta.ThetaChange), cfg.NExc)
		}
		if c.Replay.Sleep.ThetaRose+c.Replay.Sleep.ThetaFell != 0 || c.Replay.Sleep.WeightChange == 0 {
			t.Errorf("replay sleep: θ rose %d fell %d, |Δw| %v: want θ frozen and weights changed", c.Replay.Sleep.ThetaRose, c.Replay.Sleep.ThetaFell, c.Replay.Sleep.WeightChange)
		}
		// With no increment, every threshold above 0 falls; one at 0 (a neuron that never
		// won in training) stays.
		if st := c.Theta.Sleep; st.ThetaFell == 0 || st.ThetaRose != 0 || st.WeightChange != 0 {
			t.Errorf("theta sleep: θ fell %d rose %d, |Δw| %v: want falls only and no weight change", st.ThetaFell, st.ThetaRose, st.WeightChange)
		}
		sum := 0.0
		for _, d := range c.Replay.WeightChange {
			sum += d
		}
		if d := c.Replay.Sleep.WeightSum[1] - c.Replay.Sleep.WeightSum[0]; math.Abs(sum-d) > 1e-9*(1+math.Abs(d)) {
			t.Errorf("per-neuron weight changes sum to %v, the sleep's statistics say %v", sum, d)
		}
	}
	rep, err := WriteReport(cfg, cells)
	if err != nil {
		t.Fatal(err)
	}
	md, _ := os.ReadFile(filepath.Join(cfg.Dir, "report.md"))
	want := map[string]bool{"ablation (replay rule)": false, "two principles (replay rule)": false, "5B-D (theta sleep)": false}
	for _, c := range rep.Claims {
		if _, ok := want[c.Figure]; !ok {
			continue
		}
		want[c.Figure] = true
		if !strings.Contains(string(md), c.Measured) {
			t.Errorf("report.md lacks %q", c.Measured)
		}
		for _, f := range c.Files {
			if fi, err := os.Stat(filepath.Join(cfg.Dir, f)); err != nil || fi.Size() < 100 {
				t.Errorf("claim %s: file %s missing or empty", c.Figure, f)
			}
		}
	}
	for f, ok := range want {
		if !ok {
			t.Errorf("no claim %q", f)
		}
	}
	if rep.ReplayPearson == nil || rep.ThetaPearson == nil || rep.ReplayPearson.N != 2*cfg.NExc {
		t.Errorf("correlations: replay %+v, theta %+v", rep.ReplayPearson, rep.ThetaPearson)
	}
	// On these networks the replay sleep lowers the total weight of both quarters
	// (depression outweighs potentiation), as on the 400-neuron ones.
	if q := rep.ReplayQuarters; q == nil || !(q[0] < 0 && q[1] < 0) {
		t.Errorf("replay quarters %v: want both negative", q)
	}
	if !strings.Contains(string(md), "Extra sleeps") {
		t.Error("report.md has no per-seed table of the extra sleeps")
	}
}
