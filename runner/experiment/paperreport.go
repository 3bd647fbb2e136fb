package experiment

import (
	"cmp"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/evsim/evsim/runner"

	"github.com/evsim/evsim/analysis"
	"github.com/evsim/evsim/runner/mnist"
)

// Claim is one statement of the paper and whether this run reproduces it.
type Claim struct {
	Figure     string `json:"figure"`
	Paper      string `json:"paper"`
	Measured   string `json:"measured"`
	Reproduced bool   `json:"reproduced"`
	// Trivial, when set, says why this run's comparison cannot test the claim (for
	// example an ablation arm that equals another one by construction).
	Trivial string   `json:"trivial,omitempty"`
	Files   []string `json:"files,omitempty"`
}

// LevelSummary is Fig. 3's row for one training level. A number that is undefined (the
// paired test of a single seed) is NaN in Go and null in JSON, with "<key>_reason" beside it.
type LevelSummary struct {
	Level     int     `json:"level"`
	Seeds     int     `json:"seeds"` // cells at this level
	AwakeMean float64 `json:"awake_mean"`
	AwakeSD   float64 `json:"awake_sd"`
	SleptMean float64 `json:"slept_mean"`
	SleptSD   float64 `json:"slept_sd"`
	P         float64 `json:"p_paired"`
	Rose      float64 `json:"thresholds_rose_mean"`
	Fell      float64 `json:"thresholds_fell_mean"`
}

type levelSummaryJSON LevelSummary

// MarshalJSON writes NaN as null with the reason beside it.
func (l LevelSummary) MarshalJSON() ([]byte, error) {
	return finiteJSON(levelSummaryJSON(l), func(key string) string {
		switch {
		case l.Seeds == 0:
			return "no cells at this level"
		case key == "p_paired" && l.Seeds == 1:
			return "one seed: no test"
		}
		return ""
	})
}

// UnmarshalJSON reads null as NaN.
func (l *LevelSummary) UnmarshalJSON(b []byte) error {
	return unmarshalFinite(b, (*levelSummaryJSON)(l))
}

// PaperReport is everything the report says, as data. Its settings are those of the cells
// it reports, not of the configuration that asked for them.
type PaperReport struct {
	Program      string                `json:"program"`
	Command      []string              `json:"command,omitempty"`
	NExc         int                   `json:"n_exc"`
	Seeds        []uint64              `json:"seeds"`
	Engine       runner.EngineSpec     `json:"engine"`
	WarmupImages int                   `json:"warmup_images"`
	WarmupInh    float64               `json:"warmup_inh"`
	Label        int                   `json:"label_images"`
	Test         int                   `json:"test_images"`
	Sleep        SleepSettings         `json:"sleep"`
	Focus        int                   `json:"focus_level,omitempty"` // 0: no focus level among the cells
	Distort      int                   `json:"distort_images,omitempty"`
	Noise        []float64             `json:"noise,omitempty"`
	Blur         []float64             `json:"blur,omitempty"`
	Levels       []LevelSummary        `json:"levels"`
	Claims       []Claim               `json:"claims"`
	Cells        []Cell                `json:"cells"`
	Pearson      *analysis.Correlation `json:"rf_variance_vs_theta_change,omitempty"`
	// The extra sleeps of the focus cells (PaperConfig.Replay, Theta), and the correlation
	// of the receptive-field variance with the replay sleep's change of total input weight
	// and with the theta sleep's threshold change.
	Replay        *SleepSettings        `json:"replay_sleep,omitempty"`
	Theta         *SleepSettings        `json:"theta_sleep,omitempty"`
	ReplayPearson *analysis.Correlation `json:"rf_variance_vs_replay_weight_change,omitempty"`
	ThetaPearson  *analysis.Correlation `json:"rf_variance_vs_theta_sleep_change,omitempty"`
	// ReplayQuarters is the mean relative change of total input weight in the replay sleep
	// of the quarter of neurons with the cleanest receptive fields (lowest variance) and
	// of the quarter with the noisiest, pooled over seeds.
	ReplayQuarters *[2]float64 `json:"replay_weight_change_clean_noisy_quarter,omitempty"`
}

// describe fills rep's settings from the cells, which must be one complete grid of seeds x
// levels computed with the same settings (as Paper returns them).
func (rep *PaperReport) describe(cells []Cell) error {
	if len(cells) == 0 {
		return fmt.Errorf("experiment: no cells to report")
	}
	var levels []int
	common := func(c CellConfig) CellConfig {
		c.Seed, c.Level, c.Awake, c.Focus, c.Distort, c.Noise, c.Blur = 0, 0, "", false, 0, nil, nil
		c.Replay, c.Theta = nil, nil
		return c
	}
	first, err := hashJSON(common(cells[0].Config))
	if err != nil {
		return err
	}
	seen := map[[2]uint64]bool{}
	for _, c := range cells {
		if c.Config.Seed != c.Seed || c.Config.Level != c.Level {
			return fmt.Errorf("experiment: cell seed %d level %d records seed %d level %d in its settings", c.Seed, c.Level, c.Config.Seed, c.Config.Level)
		}
		if h, err := hashJSON(common(c.Config)); err != nil || h != first {
			return fmt.Errorf("experiment: cell seed %d level %d was computed with other settings than cell seed %d level %d (%s)", c.Seed, c.Level, cells[0].Seed, cells[0].Level, diffKeys(common(cells[0].Config), common(c.Config)))
		}
		k := [2]uint64{c.Seed, uint64(c.Level)}
		if seen[k] {
			return fmt.Errorf("experiment: two cells for seed %d level %d", c.Seed, c.Level)
		}
		seen[k] = true
		if !slices.Contains(rep.Seeds, c.Seed) {
			rep.Seeds = append(rep.Seeds, c.Seed)
		}
		if !slices.Contains(levels, c.Level) {
			levels = append(levels, c.Level)
		}
		if c.Config.Focus {
			if rep.Focus != 0 && rep.Focus != c.Level {
				return fmt.Errorf("experiment: cells have two focus levels, %d and %d", rep.Focus, c.Level)
			}
			rep.Focus, rep.Distort, rep.Noise, rep.Blur = c.Level, c.Config.Distort, c.Config.Noise, c.Config.Blur
			rep.Replay, rep.Theta = c.Config.Replay, c.Config.Theta
		}
	}
	if len(cells) != len(rep.Seeds)*len(levels) {
		return fmt.Errorf("experiment: %d cells do not cover %d seeds x %d levels", len(cells), len(rep.Seeds), len(levels))
	}
	slices.Sort(levels)
	for _, l := range levels {
		rep.Levels = append(rep.Levels, LevelSummary{Level: l})
	}
	c := cells[0].Config
	rep.Program, rep.NExc, rep.Engine = c.Program, c.NExc, c.Engine
	rep.WarmupImages, rep.WarmupInh = c.Regime.WarmupImages, c.Regime.WarmupInh
	rep.Label, rep.Test, rep.Sleep = c.Label, c.Test, c.Sleep
	return nil
}

// WriteReport turns the cells into figures (PNG), tables (CSV), results.json and report.md
// in cfg.Dir, and returns the report. Every statement in report.md is computed here, from
// the cells and the awake snapshots they were computed from; of cfg only Dir and TestSet
// (for the example digits of Fig. 4A) are used.
func WriteReport(cfg PaperConfig, cells []Cell) (*PaperReport, error) {
	rep := &PaperReport{Cells: cells, Command: cfg.Command}
	if err := rep.describe(cells); err != nil {
		return nil, err
	}
	file := func(name string) string { return filepath.Join(cfg.Dir, name) }
	// The awake snapshot a cell was computed from, checked against the cell's record.
	snapshot := func(c Cell) (*runner.Snapshot, error) {
		path := cfg.path(c.Seed, awakeName(c.Level))
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("experiment: %w", err)
		}
		if sum(data) != c.Config.Awake {
			return nil, fmt.Errorf("experiment: %s is not the snapshot cell seed %d level %d was computed from", path, c.Seed, c.Level)
		}
		return runner.DecodeSnapshot(data)
	}
	byLevel := func(level int) []Cell {
		var out []Cell
		for _, c := range cells {
			if c.Level == level {
				out = append(out, c)
			}
		}
		return out
	}
	pick := func(cs []Cell, f func(Cell) float64) []float64 {
		out := make([]float64, len(cs))
		for k, c := range cs {
			out[k] = f(c)
		}
		return out
	}
	// Fig. 2A and 3.
	var rows [][]string
	rows = append(rows, []string{"level", "awake_mean", "awake_sd", "slept_mean", "slept_sd", "p_paired", "thresholds_rose", "thresholds_fell"})
	awakeS := analysis.Series{Name: "before sleep"}
	sleptS := analysis.Series{Name: "after sleep"}
	rose := analysis.Series{Name: "thresholds rose"}
	fell := analysis.Series{Name: "thresholds fell"}
	var levelNames []string
	for k := range rep.Levels {
		level := rep.Levels[k].Level
		cs := byLevel(level)
		a, s := pick(cs, func(c Cell) float64 { return c.Awake }), pick(cs, func(c Cell) float64 { return c.Slept })
		ls := LevelSummary{Level: level, Seeds: len(cs), P: math.NaN()}
		ls.AwakeMean, ls.AwakeSD = analysis.MeanSD(a)
		ls.SleptMean, ls.SleptSD = analysis.MeanSD(s)
		if tt, err := analysis.PairedTTest(a, s); err == nil {
			ls.P = tt.P
		}
		ls.Rose, _ = analysis.MeanSD(pick(cs, func(c Cell) float64 { return float64(c.Sleep.ThetaRose) }))
		ls.Fell, _ = analysis.MeanSD(pick(cs, func(c Cell) float64 { return float64(c.Sleep.ThetaFell) }))
		rep.Levels[k] = ls
		rows = append(rows, []string{strconv.Itoa(level), f4(ls.AwakeMean), f4(ls.AwakeSD), f4(ls.SleptMean), f4(ls.SleptSD), f4(ls.P), f4(ls.Rose), f4(ls.Fell)})
		x := float64(level)
		awakeS.X, awakeS.Mean, awakeS.SD = append(awakeS.X, x), append(awakeS.Mean, ls.AwakeMean), append(awakeS.SD, ls.AwakeSD)
		sleptS.X, sleptS.Mean, sleptS.SD = append(sleptS.X, x), append(sleptS.Mean, ls.SleptMean), append(sleptS.SD, ls.SleptSD)
		rose.Mean, fell.Mean = append(rose.Mean, ls.Rose), append(fell.Mean, ls.Fell)
		levelNames = append(levelNames, strconv.Itoa(level))
	}
	if err := writeCSV(file("fig3_sleep_by_level.csv"), rows); err != nil {
		return nil, err
	}
	if err := analysis.LinePlot(file("fig2a_learning_curve.png"), "Fig. 2A: test accuracy vs training images", "training images", "test accuracy", []analysis.Series{awakeS}); err != nil {
		return nil, err
	}
	if err := analysis.LinePlot(file("fig3_sleep_by_level.png"), "Fig. 3: accuracy before and after sleep", "training images", "test accuracy", []analysis.Series{awakeS, sleptS}); err != nil {
		return nil, err
	}
	if err := analysis.BarPlot(file("fig5a_thresholds.png"), "Fig. 5A: neurons whose threshold rose or fell in sleep", "neurons", levelNames, []analysis.Series{rose, fell}); err != nil {
		return nil, err
	}
	// Fig. 2B/C: receptive fields of the first seed at each level.
	for _, l := range rep.Levels {
		level := l.Level
		k := slices.IndexFunc(cells, func(c Cell) bool { return c.Seed == rep.Seeds[0] && c.Level == level })
		c := cells[k] // describe checked that the grid is complete
		s, err := snapshot(c)
		if err != nil {
			return nil, err
		}
		cols := int(math.Ceil(math.Sqrt(float64(s.Net.NExc))))
		img := analysis.RFGrid(s.Net.W, s.Net.NIn, s.Net.NExc, mnist.Width, mnist.Height, cols)
		if err := analysis.SaveImage(file(fmt.Sprintf("fig2bc_receptive_fields_%d.png", level)), img, 2); err != nil {
			return nil, err
		}
	}
	focus := byLevel(rep.Focus)
	// Fig. 4.
	var noiseA, noiseS, blurA, blurS analysis.Series
	noiseA.Name, noiseS.Name, blurA.Name, blurS.Name = "before sleep", "after sleep", "before sleep", "after sleep"
	for li, v := range rep.Noise {
		add(&noiseA, v, pick(focus, func(c Cell) float64 { return at(c.NoiseAwake, li) }))
		add(&noiseS, v, pick(focus, func(c Cell) float64 { return at(c.NoiseSlept, li) }))
	}
	for li, v := range rep.Blur {
		add(&blurA, v, pick(focus, func(c Cell) float64 { return at(c.BlurAwake, li) }))
		add(&blurS, v, pick(focus, func(c Cell) float64 { return at(c.BlurSlept, li) }))
	}
	if err := analysis.LinePlot(file("fig4_noise.png"), fmt.Sprintf("Fig. 4B: Gaussian noise, %d training images", rep.Focus), "noise variance", "test accuracy", []analysis.Series{noiseA, noiseS}); err != nil {
		return nil, err
	}
	if err := analysis.LinePlot(file("fig4_blur.png"), fmt.Sprintf("Fig. 4B: Gaussian blur, %d training images", rep.Focus), "blur sigma", "test accuracy", []analysis.Series{blurA, blurS}); err != nil {
		return nil, err
	}
	if err := distortionExamples(cfg.TestSet, rep.Noise, rep.Blur, file("fig4a_examples.png")); err != nil {
		return nil, err
	}
	// Fig. 5B: receptive-field neighbourhood variance vs threshold change (pooled over seeds).
	var rfv, dth []float64
	for _, c := range focus {
		rfv = append(rfv, c.RFVariance...)
		dth = append(dth, c.ThetaChange...)
	}
	if len(rfv) > 2 {
		if err := analysis.ScatterPlot(file("fig5b_rf_variance_vs_theta_change.png"), "Fig. 5B: receptive-field variance vs threshold change", "mean 3x3 neighbourhood variance", "threshold change in sleep (mV)", rfv, dth); err != nil {
			return nil, err
		}
		if pc, err := analysis.Pearson(rfv, dth); err == nil {
			rep.Pearson = &pc
		}
		if err := thresholdExamples(snapshot, focus, file("fig5cd_examples.png")); err != nil {
			return nil, err
		}
	}
	// The extra sleeps: receptive-field variance against the replay sleep's change of total
	// input weight, and against the theta sleep's threshold change (pooled over seeds).
	for _, x := range []struct {
		arm         func(Cell) *Arm
		val         func(*Arm) []float64
		out         **analysis.Correlation
		file, title string
		ylabel      string
	}{
		{func(c Cell) *Arm { return c.Replay }, func(a *Arm) []float64 { return a.WeightChange }, &rep.ReplayPearson,
			"replay_rf_variance_vs_weight_change.png", "STDP-only sleep with the replay rule: receptive-field variance vs change of input weight", "change of total input weight in sleep"},
		{func(c Cell) *Arm { return c.Theta }, func(a *Arm) []float64 { return a.ThetaChange }, &rep.ThetaPearson,
			"fig5b_theta_sleep.png", "Fig. 5B, theta sleep: receptive-field variance vs threshold change", "threshold change in sleep (mV)"},
	} {
		var xs, ys []float64
		for _, c := range focus {
			if a := x.arm(c); a != nil && len(x.val(a)) == len(c.RFVariance) {
				xs = append(xs, c.RFVariance...)
				ys = append(ys, x.val(a)...)
			}
		}
		if len(xs) <= 2 {
			continue
		}
		if err := analysis.ScatterPlot(file(x.file), x.title, "mean 3x3 neighbourhood variance", x.ylabel, xs, ys); err != nil {
			return nil, err
		}
		if pc, err := analysis.Pearson(xs, ys); err == nil {
			*x.out = &pc
		}
	}
	if err := replayQuarters(rep, focus, snapshot); err != nil {
		return nil, err
	}
	// Ablations (the replay sleep, when every focus cell has it, as a sixth arm).
	var abl [][]float64 // per condition, per seed
	names := []string{"W before, θ before", "W before, θ after", "W after, θ before", "W after, θ after (sleep)", "STDP only, low inhibition"}
	withReplay := len(focus) > 0 && !slices.ContainsFunc(focus, func(c Cell) bool { return c.Replay == nil })
	if withReplay {
		names = append(names, "STDP only, replay rule")
	}
	for _, c := range focus {
		if c.Ablation == nil {
			continue
		}
		a := c.Ablation
		v := []float64{a.WBeforeThBefore, a.WBeforeThAfter, a.WAfterThBefore, a.WAfterThAfter, a.STDPOnly}
		if withReplay {
			v = append(v, c.Replay.Accuracy)
		}
		for k := range v {
			if len(abl) <= k {
				abl = append(abl, nil)
			}
			abl[k] = append(abl[k], v[k])
		}
	}
	var ablS analysis.Series
	ablS.Name = "test accuracy"
	for k := range abl {
		m, sd := analysis.MeanSD(abl[k])
		ablS.Mean, ablS.SD = append(ablS.Mean, m), append(ablS.SD, sd)
	}
	if len(abl) == len(names) {
		if err := analysis.BarPlot(file("ablation.png"), fmt.Sprintf("Ablations, %d training images", rep.Focus), "test accuracy", names, []analysis.Series{ablS}); err != nil {
			return nil, err
		}
	}
	rep.Claims = claims(rep, focus, abl, noiseA, noiseS, blurA, blurS)
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("experiment: results.json: %w", err)
	}
	if err := analysis.WriteFileAtomic(file("results.json"), b); err != nil {
		return nil, err
	}
	if err := analysis.WriteFileAtomic(file("report.md"), []byte(markdown(rep))); err != nil {
		return nil, err
	}
	return rep, nil
}

func add(s *analysis.Series, x float64, ys []float64) {
	m, sd := analysis.MeanSD(ys)
	s.X, s.Mean, s.SD = append(s.X, x), append(s.Mean, m), append(s.SD, sd)
}

func at(s []float64, i int) float64 {
	if i < len(s) {
		return s[i]
	}
	return math.NaN()
}

func f4(v float64) string { return strconv.FormatFloat(v, 'f', 4, 64) }

// ptext is a p-value for the report; NaN (fewer than two seeds) says so.
func ptext(p float64) string {
	if math.IsNaN(p) {
		return "none (one seed: no test)"
	}
	return fmt.Sprintf("%.2g", p)
}

// pvalue is "p = x" for the report; a p-value that underflows to 0 is given as a bound.
func pvalue(p float64) string {
	if p == 0 {
		return "p < 1e-300"
	}
	return fmt.Sprintf("p = %.2g", p)
}

// replayQuarters sets rep.ReplayQuarters from the focus cells that have a replay sleep:
// each neuron's change of total input weight relative to its awake total, averaged over
// the quarter of neurons (pooled over seeds) with the lowest receptive-field variance and
// over the quarter with the highest.
func replayQuarters(rep *PaperReport, focus []Cell, snapshot func(Cell) (*runner.Snapshot, error)) error {
	type nv struct{ v, rel float64 }
	var all []nv
	for _, c := range focus {
		if c.Replay == nil || len(c.Replay.WeightChange) != len(c.RFVariance) {
			continue
		}
		s, err := snapshot(c)
		if err != nil {
			return err
		}
		n := s.Net
		if len(c.RFVariance) != n.NExc {
			return fmt.Errorf("experiment: cell seed %d level %d has %d receptive-field variances for %d neurons", c.Seed, c.Level, len(c.RFVariance), n.NExc)
		}
		total := make([]float64, n.NExc)
		for k, w := range n.W {
			total[k%n.NExc] += float64(w)
		}
		for j := range n.NExc {
			if total[j] > 0 {
				all = append(all, nv{c.RFVariance[j], c.Replay.WeightChange[j] / total[j]})
			}
		}
	}
	q := len(all) / 4
	if q == 0 {
		return nil
	}
	slices.SortStableFunc(all, func(a, b nv) int { return cmp.Compare(a.v, b.v) })
	var out [2]float64
	for k := range q {
		out[0] += all[k].rel / float64(q)
		out[1] += all[len(all)-1-k].rel / float64(q)
	}
	rep.ReplayQuarters = &out
	return nil
}

func pct(v float64) string { return fmt.Sprintf("%.1f %%", 100*v) }

func writeCSV(path string, rows [][]string) error {
	var b strings.Builder
	w := csv.NewWriter(&b)
	if err := w.WriteAll(rows); err != nil {
		return fmt.Errorf("experiment: %s: %w", path, err)
	}
	return analysis.WriteFileAtomic(path, []byte(b.String()))
}

// claims compares each of the paper's statements with this run.
func claims(rep *PaperReport, focus []Cell, abl [][]float64, noiseA, noiseS, blurA, blurS analysis.Series) []Claim {
	var out []Claim
	lv := rep.Levels
	if len(lv) >= 2 {
		first, last := lv[0], lv[len(lv)-1]
		out = append(out, Claim{Figure: "2A", Paper: "accuracy rises with the number of training images",
			Measured:   fmt.Sprintf("%s after %d images, %s after %d", pct(first.AwakeMean), first.Level, pct(last.AwakeMean), last.Level),
			Reproduced: last.AwakeMean > first.AwakeMean, Files: []string{"fig2a_learning_curve.png"}})
	}
	for _, l := range lv {
		if l.Level != rep.Focus {
			continue
		}
		every := true
		for _, c := range focus {
			every = every && c.Slept > c.Awake
		}
		out = append(out, Claim{Figure: "3", Paper: fmt.Sprintf("after %d training images about 20 %% before sleep, about 60 %% after", rep.Focus),
			Measured:   fmt.Sprintf("%s ± %s before, %s ± %s after (n = %d seeds, paired t-test p = %s; after > before in every seed: %v)", pct(l.AwakeMean), pct(l.AwakeSD), pct(l.SleptMean), pct(l.SleptSD), len(focus), ptext(l.P), every),
			Reproduced: l.SleptMean >= 0.6 && every && l.P < 0.01, Files: []string{"fig3_sleep_by_level.png", "fig3_sleep_by_level.csv"}})
	}
	var higher []string
	better := true
	for _, l := range lv {
		if l.Level > rep.Focus {
			higher = append(higher, fmt.Sprintf("%d: %+.1f", l.Level, 100*(l.SleptMean-l.AwakeMean)))
			better = better && l.SleptMean > l.AwakeMean
		}
	}
	if len(higher) > 0 {
		out = append(out, Claim{Figure: "3", Paper: "sleep also improves accuracy at higher training levels",
			Measured: "gain in points by level: " + strings.Join(higher, ", "), Reproduced: better, Files: []string{"fig3_sleep_by_level.png"}})
	}
	for _, d := range []struct {
		name string
		a, s analysis.Series
		file string
	}{{"Gaussian noise", noiseA, noiseS, "fig4_noise.png"}, {"Gaussian blur", blurA, blurS, "fig4_blur.png"}} {
		ok := len(d.a.Mean) > 0
		var parts []string
		for k := range d.a.Mean {
			ok = ok && d.s.Mean[k] > d.a.Mean[k]
			parts = append(parts, fmt.Sprintf("%g: %s -> %s", d.a.X[k], pct(d.a.Mean[k]), pct(d.s.Mean[k])))
		}
		out = append(out, Claim{Figure: "4", Paper: "after sleep the network classifies more " + d.name + " images correctly at every level",
			Measured: strings.Join(parts, "; "), Reproduced: ok, Files: []string{d.file, "fig4a_examples.png"}})
	}
	most := len(lv) > 0
	var counts []string
	for _, l := range lv {
		most = most && l.Rose > l.Fell
		counts = append(counts, fmt.Sprintf("%d: %.0f rose / %.0f fell", l.Level, l.Rose, l.Fell))
	}
	out = append(out, Claim{Figure: "5A", Paper: "most neurons' thresholds increase during sleep",
		Measured: strings.Join(counts, "; "), Reproduced: most, Files: []string{"fig5a_thresholds.png"}})
	if pc := rep.Pearson; pc != nil {
		out = append(out, Claim{Figure: "5B", Paper: "significant correlation between receptive-field neighbourhood variance and threshold change (noisy fields gain threshold)",
			Measured: fmt.Sprintf("Pearson r = %.3f, p = %.2g, n = %d neurons", pc.R, pc.P, pc.N), Reproduced: pc.P < 0.05 && pc.R > 0,
			Files: []string{"fig5b_rf_variance_vs_theta_change.png", "fig5cd_examples.png"}})
	}
	if len(abl) >= 5 {
		full, thOnly, wOnly, before, stdp := abl[3], abl[1], abl[2], abl[0], abl[4]
		p := func(a, b []float64) float64 {
			tt, err := analysis.PairedTTest(a, b)
			if err != nil {
				return math.NaN()
			}
			return tt.P
		}
		mean := func(x []float64) float64 { m, _ := analysis.MeanSD(x); return m }
		// A sleep without STDP changes thresholds only: its thresholds-only arm is the full
		// sleep and its weights-only arm is the awake network, whatever the data.
		trivial := ""
		if !rep.Sleep.Changes.STDP {
			trivial = "this sleep has STDP off, so it changes thresholds only: thresholds-only equals full sleep and weights-only equals the awake network by construction"
		}
		pThr := p(full, thOnly)
		out = append(out, Claim{Figure: "ablation", Paper: "after-sleep thresholds alone give the sleep gain (vs full sleep p = 0.22)",
			Measured:   fmt.Sprintf("full sleep %s, thresholds only %s, p = %s", pct(mean(full)), pct(mean(thOnly)), ptext(pThr)),
			Reproduced: pThr > 0.05 && mean(thOnly) > mean(before), Trivial: trivial, Files: []string{"ablation.png"}})
		pW := p(before, wOnly)
		out = append(out, Claim{Figure: "ablation", Paper: "after-sleep weights with before-sleep thresholds do not improve significantly",
			Measured:   fmt.Sprintf("before %s, weights only %s, p = %s", pct(mean(before)), pct(mean(wOnly)), ptext(pW)),
			Reproduced: !math.IsNaN(pW) && !(pW < 0.05 && mean(wOnly) > mean(before)), Trivial: trivial, Files: []string{"ablation.png"}})
		pS := p(full, stdp)
		out = append(out, Claim{Figure: "ablation", Paper: "sleep with reduced inhibition and frozen thresholds (STDP only) gives the same gain (vs normal sleep p = 0.85)",
			Measured:   fmt.Sprintf("normal sleep %s, STDP only %s, p = %s", pct(mean(full)), pct(mean(stdp)), ptext(pS)),
			Reproduced: pS > 0.05 && mean(stdp) > mean(before), Files: []string{"ablation.png"}})
		if len(abl) == 6 {
			replay := abl[5]
			pR := p(full, replay)
			out = append(out, Claim{Figure: "ablation (replay rule)", Paper: "sleep with reduced inhibition and frozen thresholds (STDP only) gives the same gain (vs normal sleep p = 0.85); here with the sleep replay rule in place of the awake STDP rule",
				Measured:   fmt.Sprintf("normal sleep %s, STDP only with the replay rule %s, before sleep %s, p (vs normal) = %s, p (vs before) = %s", pct(mean(full)), pct(mean(replay)), pct(mean(before)), ptext(pR), ptext(p(before, replay))),
				Reproduced: pR > 0.05 && mean(replay) > mean(before), Files: []string{"ablation.png"}})
		}
	}
	if pc := rep.ReplayPearson; pc != nil {
		out = append(out, Claim{Figure: "two principles (replay rule)", Paper: "sleep downscales the synapses of noisy (task-irrelevant) neurons more",
			Measured:   fmt.Sprintf("receptive-field variance vs change of total input weight in the replay sleep: Pearson r = %.3f, %s, n = %d neurons", pc.R, pvalue(pc.P), pc.N),
			Reproduced: pc.P < 0.05 && pc.R < 0, Files: []string{"replay_rf_variance_vs_weight_change.png"}})
	}
	if q := rep.ReplayQuarters; q != nil {
		out = append(out, Claim{Figure: "two principles (replay rule)", Paper: "well-formed receptive fields change little in sleep (here: the cleanest quarter's total input weight changes by less than 10 %)",
			Measured:   fmt.Sprintf("mean change of total input weight in the replay sleep: %+.1f %% in the quarter of neurons with the cleanest fields, %+.1f %% in the noisiest quarter", 100*q[0], 100*q[1]),
			Reproduced: math.Abs(q[0]) < 0.1, Files: []string{"replay_rf_variance_vs_weight_change.png"}})
	}
	if pc := rep.ThetaPearson; pc != nil {
		fell, rose := 0, 0
		for _, c := range focus {
			if c.Theta != nil {
				fell += c.Theta.Sleep.ThetaFell
				rose += c.Theta.Sleep.ThetaRose
			}
		}
		out = append(out, Claim{Figure: "5B-D (theta sleep)", Paper: "clean receptive fields get lower thresholds, noisy ones higher: variance correlates significantly with the threshold change",
			Measured:   fmt.Sprintf("theta sleep: %d thresholds fell, %d rose (all seeds); Pearson r = %.3f, %s, n = %d neurons", fell, rose, pc.R, pvalue(pc.P), pc.N),
			Reproduced: pc.P < 0.05 && pc.R > 0 && fell > 0 && rose > 0, Files: []string{"fig5b_theta_sleep.png"}})
	}
	return out
}

func markdown(rep *PaperReport) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# evsim reproduction of Tadros, Krishnan & Bazhenov (2019)\n\n")
	var levels []int
	for _, l := range rep.Levels {
		levels = append(levels, l.Level)
	}
	fmt.Fprintf(&b, "%d excitatory neurons, seeds %v, training levels %v (inhibition warm-up: %d images at ×%g), engine %v, labels from %d training images, %d test images (%d per distortion level at %d images). Sleep: %+v, input gain %g, %g ms. Program %s. Command: %s.\n\n",
		rep.NExc, rep.Seeds, levels, rep.WarmupImages, rep.WarmupInh, rep.Engine, rep.Label, rep.Test, rep.Distort, rep.Focus, rep.Sleep.Changes, rep.Sleep.InputGain, rep.Sleep.DurationMS, rep.Program, strings.Join(rep.Command, " "))
	for _, x := range []struct {
		name string
		s    *SleepSettings
	}{{"Replay sleep (STDP-only ablation with the sleep replay rule)", rep.Replay}, {"Theta sleep (Fig. 5B-D)", rep.Theta}} {
		if x.s != nil {
			fmt.Fprintf(&b, "%s: %+v, input gain %g, %g ms.\n\n", x.name, x.s.Changes, x.s.InputGain, x.s.DurationMS)
		}
	}
	fmt.Fprintf(&b, "Every line below is computed from `results.json` by evsim; nothing is written by hand.\n\n")
	fmt.Fprintf(&b, "| figure | the paper | this run | reproduced | files |\n| --- | --- | --- | --- | --- |\n")
	for _, c := range rep.Claims {
		yes := "no"
		if c.Reproduced {
			yes = "yes"
		}
		if c.Trivial != "" {
			yes += ", but trivially: " + c.Trivial
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", c.Figure, c.Paper, c.Measured, yes, strings.Join(c.Files, ", "))
	}
	fmt.Fprintf(&b, "\n## Accuracy before and after sleep (Fig. 3)\n\n| training images | before | after | paired p |\n| --- | --- | --- | --- |\n")
	for _, l := range rep.Levels {
		fmt.Fprintf(&b, "| %d | %s ± %s | %s ± %s | %s |\n", l.Level, pct(l.AwakeMean), pct(l.AwakeSD), pct(l.SleptMean), pct(l.SleptSD), ptext(l.P))
	}
	if rep.Replay != nil || rep.Theta != nil {
		fmt.Fprintf(&b, "\n## Extra sleeps at %d training images, per seed\n\n| seed | before | sleep | replay sleep | theta sleep | theta sleep: fell / rose |\n| --- | --- | --- | --- | --- | --- |\n", rep.Focus)
		for _, c := range rep.Cells {
			if c.Level != rep.Focus {
				continue
			}
			arm := func(a *Arm) string {
				if a == nil {
					return "-"
				}
				return pct(a.Accuracy)
			}
			fr := "-"
			if c.Theta != nil {
				fr = fmt.Sprintf("%d / %d", c.Theta.Sleep.ThetaFell, c.Theta.Sleep.ThetaRose)
			}
			fmt.Fprintf(&b, "| %d | %s | %s | %s | %s | %s |\n", c.Seed, pct(c.Awake), pct(c.Slept), arm(c.Replay), arm(c.Theta), fr)
		}
	}
	return b.String()
}

// distortionExamples draws the first test digit under each noise and blur level.
func distortionExamples(testSet *mnist.Set, noise, blur []float64, path string) error {
	levels := len(noise) + len(blur)
	W := make([]float64, mnist.Pixels*levels)
	img := make([]uint8, mnist.Pixels)
	src := testSet.Image(0)
	rng := rand.New(rand.NewPCG(1, 1))
	col := 0
	put := func() {
		for i, p := range img {
			W[i*levels+col] = float64(p) + 1e-9
		}
		col++
	}
	for _, v := range noise {
		analysis.GaussianNoise(img, src, v, rng)
		put()
	}
	for _, v := range blur {
		analysis.GaussianBlur(img, src, mnist.Width, mnist.Height, v)
		put()
	}
	return analysis.SaveImage(path, analysis.RFGrid(W, mnist.Pixels, levels, mnist.Width, mnist.Height, max(len(noise), len(blur))), 3)
}

// thresholdExamples shows the receptive fields of the first seed's 8 neurons whose
// threshold fell most (top row) and rose most (bottom row) during sleep.
func thresholdExamples(snapshot func(Cell) (*runner.Snapshot, error), focus []Cell, path string) error {
	if len(focus) == 0 {
		return nil
	}
	c := focus[0]
	s, err := snapshot(c)
	if err != nil {
		return err
	}
	idx := make([]int, len(c.ThetaChange))
	for k := range idx {
		idx[k] = k
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		switch {
		case c.ThetaChange[a] < c.ThetaChange[b]:
			return -1
		case c.ThetaChange[a] > c.ThetaChange[b]:
			return 1
		}
		return 0
	})
	k := min(8, len(idx)/2)
	pickN := append(append([]int(nil), idx[:k]...), idx[len(idx)-k:]...)
	n := s.Net
	W := make([]float64, n.NIn*len(pickN))
	for col, j := range pickN {
		for i := range n.NIn {
			W[i*len(pickN)+col] = float64(n.W[i*n.NExc+j])
		}
	}
	return analysis.SaveImage(path, analysis.RFGrid(W, n.NIn, len(pickN), mnist.Width, mnist.Height, max(k, 1)), 3)
}
