package experiment

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/evsim/evsim/runner"

	"github.com/evsim/evsim/analysis"
	"github.com/evsim/evsim/model"
	"github.com/evsim/evsim/runner/mnist"
)

// SearchSpace lists the values to try for each sleep parameter (grid, or random samples
// from the grid).
type SearchSpace struct {
	Gain, Leak, Exc, Inh, DurationMS []float64
}

// Size is the number of grid points.
func (s SearchSpace) Size() int {
	return len(s.Gain) * len(s.Leak) * len(s.Exc) * len(s.Inh) * len(s.DurationMS)
}

// point returns grid point k.
func (s SearchSpace) point(k int, base runner.SleepConfig) runner.SleepConfig {
	c := base
	pick := func(v []float64) float64 { x := v[k%len(v)]; k /= len(v); return x }
	c.InputGain = pick(s.Gain)
	c.Changes.LeakScale = pick(s.Leak)
	c.Changes.ExcGain = pick(s.Exc)
	c.Changes.InhScale = pick(s.Inh)
	c.DurationMS = pick(s.DurationMS)
	return c
}

// SearchConfig is a sleep-parameter search on a validation split of the training images:
// labels come from the first Label training images, accuracy from the Validation images
// at the end of the training set. The test set is never used.
//
// The search is made of units (a network's accuracy before sleep, or after one grid
// point's sleep). OnUnit receives each unit as it finishes; handing the units of an
// interrupted search back as Prior skips them, so the resumed search returns the same rows
// as an uninterrupted one.
type SearchConfig struct {
	Nets       []*runner.Snapshot // one trained network per seed
	Space      SearchSpace
	Base       runner.SleepConfig // everything the space does not set (STDP, threshold rule, ...)
	Samples    int                // 0: the whole grid; otherwise that many random grid points
	Label      int
	Validation int
	Set        *mnist.Set // the training set
	Engine     runner.EngineSpec
	Workers    int
	Seed       uint64
	Progress   func(done, total int)
	// Prior are units finished by an earlier run; those whose Key matches this search's
	// settings are used instead of being recomputed, the others are ignored.
	Prior []SearchUnit
	// OnUnit, if not nil, is called with each unit this run computes, as it finishes.
	OnUnit func(SearchUnit)
	// PriorOnly makes SearchSleep compute nothing: every unit must be in Prior (the merge
	// step of a search whose units ran as separate tasks).
	PriorOnly bool
}

// SearchUnit is one finished piece of a search: network Net's validation accuracy before
// sleep (Point -1), or after the sleep of grid point Point.
type SearchUnit struct {
	Point int `json:"point"`
	Net   int `json:"net"`
	// Key is the SHA-256 of everything the unit depends on: the network, the sleep, the
	// labelling and validation images, the engine and the program.
	Key      string  `json:"key"`
	Accuracy float64 `json:"validation_accuracy"`
	RateHz   float64 `json:"mean_sleep_rate_hz,omitempty"`
	Error    string  `json:"error,omitempty"` // the sleep failed (e.g. a runaway regime)
}

// SearchRow is one parameter set's outcome over the seeds. MeanGain and SDGain are NaN
// (null in JSON, with the reason beside them) when no network finished the sleep.
type SearchRow struct {
	Gain       float64 `json:"input_gain"`
	Leak       float64 `json:"leak_scale"`
	Exc        float64 `json:"exc_gain"`
	Inh        float64 `json:"inh_scale"`
	DurationMS float64 `json:"duration_ms"`
	// The base configuration's rules and step-size scales (the same in every row).
	STDP           bool      `json:"stdp"`
	Threshold      bool      `json:"threshold_rule"`
	PotScale       float64   `json:"stdp_potentiation_scale"`
	DepScale       float64   `json:"stdp_depression_scale"`
	ThetaPlusScale float64   `json:"theta_plus_scale"`
	Before         []float64 `json:"validation_before"`
	After          []float64 `json:"validation_after"`
	MeanGain       float64   `json:"mean_gain"`
	SDGain         float64   `json:"sd_gain"`
	RateHz         float64   `json:"mean_sleep_rate_hz"`
	Error          string    `json:"error,omitempty"` // e.g. a runaway regime
}

type searchRowJSON SearchRow

// MarshalJSON writes NaN as null with the reason beside it.
func (r SearchRow) MarshalJSON() ([]byte, error) {
	return finiteJSON(searchRowJSON(r), func(string) string {
		if len(r.After) == 0 {
			return "no network finished this sleep (see error)"
		}
		return ""
	})
}

// UnmarshalJSON reads null as NaN.
func (r *SearchRow) UnmarshalJSON(b []byte) error {
	return unmarshalFinite(b, (*searchRowJSON)(r))
}

// unitKey is what a search unit depends on.
type unitKey struct {
	Program    string            `json:"program"`
	Net        string            `json:"net_sha256"`
	Sleep      *SleepSettings    `json:"sleep,omitempty"` // nil: before sleep
	Label      int               `json:"label"`
	Validation int               `json:"validation"`
	Set        string            `json:"set_sha256"`
	Engine     runner.EngineSpec `json:"engine"`
}

// validate reports the first setting that cannot run, naming its field.
func (cfg *SearchConfig) validate() error {
	bad := func(format string, a ...any) error { return fmt.Errorf("experiment: SearchConfig."+format, a...) }
	switch {
	case len(cfg.Nets) == 0:
		return bad("Nets is empty")
	case cfg.Set == nil || cfg.Set.Len() == 0:
		return bad("Set holds no images")
	case cfg.Label <= 0 || cfg.Validation <= 0:
		return bad("Label = %d and Validation = %d, want both > 0", cfg.Label, cfg.Validation)
	case cfg.Label+cfg.Validation > cfg.Set.Len():
		return bad("Label + Validation = %d + %d images exceed the %d images of Set", cfg.Label, cfg.Validation, cfg.Set.Len())
	case cfg.Space.Size() == 0:
		return bad("Space has an empty list: no grid point to try")
	}
	for k, s := range cfg.Nets {
		if s == nil || s.Net == nil {
			return bad("Nets[%d] is nil", k)
		}
		if s.Meta.ImagesSeen <= 0 {
			// Sleep's input is the mean of the images the network has seen.
			return bad("Nets[%d] (seed %d) has seen no training images, so it has no sleep input (the mean image of those seen)", k, s.Meta.Seed)
		}
		if s.Meta.HeldOut >= cfg.Set.Len() {
			return bad("Nets[%d] (seed %d) never trains on the last %d images, but Set holds only %d", k, s.Meta.Seed, s.Meta.HeldOut, cfg.Set.Len())
		}
	}
	return nil
}

// UnitRef names a unit of a search: network Net before sleep (Point -1), or after the
// sleep of grid point Point.
type UnitRef struct{ Point, Net int }

// MissingUnitsError is the error of a search told to compute nothing (PriorOnly) that
// lacks units.
type MissingUnitsError struct{ Units []UnitRef }

func (e *MissingUnitsError) Error() string {
	return fmt.Sprintf("experiment: %d units of the search are missing (first: point %d, network %d)", len(e.Units), e.Units[0].Point, e.Units[0].Net)
}

// search is one search's settings, derived once: the validation split, the keys of its
// units and the prior units that match them.
type search struct {
	ctx             context.Context
	cfg             SearchConfig
	val             *mnist.Set
	program, setSHA string
	netSHA          []string
	prior           map[string]SearchUnit
	missing         []UnitRef // PriorOnly: units asked for and not in Prior
}

func newSearch(ctx context.Context, cfg SearchConfig) (*search, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	sr := &search{ctx: ctx, cfg: cfg, val: cfg.Set.Last(cfg.Validation), program: Program(), setSHA: setSum(cfg.Set),
		netSHA: make([]string, len(cfg.Nets)), prior: map[string]SearchUnit{}}
	for k, s := range cfg.Nets {
		var b bytes.Buffer
		if err := s.Encode(&b); err != nil {
			return nil, fmt.Errorf("experiment: SearchConfig.Nets[%d]: %w", k, err)
		}
		sr.netSHA[k] = sum(b.Bytes())
	}
	for _, u := range cfg.Prior {
		sr.prior[u.Key] = u
	}
	return sr, nil
}

// points are the grid points the search tries, in increasing order.
func (sr *search) points() []int {
	cfg := sr.cfg
	points := make([]int, cfg.Space.Size())
	for k := range points {
		points[k] = k
	}
	if cfg.Samples > 0 && cfg.Samples < len(points) {
		rng := rand.New(rand.NewPCG(cfg.Seed, 0x51ee9))
		rng.Shuffle(len(points), func(a, b int) { points[a], points[b] = points[b], points[a] })
		points = points[:cfg.Samples]
		slices.Sort(points)
	}
	return points
}

// sleepOf is the sleep of grid point p (nil for point -1: before sleep).
func (sr *search) sleepOf(p int) *runner.SleepConfig {
	if p < 0 {
		return nil
	}
	sc := sr.cfg.Space.point(p, sr.cfg.Base)
	return &sc
}

func (sr *search) key(net int, sc *runner.SleepConfig) (string, error) {
	k := unitKey{Program: sr.program, Net: sr.netSHA[net], Label: sr.cfg.Label, Validation: sr.cfg.Validation, Set: sr.setSHA, Engine: sr.cfg.Engine}
	if sc != nil {
		k.Sleep = &SleepSettings{Changes: sc.Changes, InputGain: sc.InputGain, DurationMS: sc.DurationMS}
	}
	return hashJSON(k)
}

func (sr *search) accuracy(net *model.Network, r model.Regime, seed uint64) (float64, error) {
	cfg := sr.cfg
	ev := runner.Evaluator{Engine: cfg.Engine, Seed: seed, Workers: cfg.Workers}
	labels, err := ev.Label(sr.ctx, net, r, cfg.Set, cfg.Label)
	if err != nil {
		return 0, err
	}
	sc, err := ev.Score(sr.ctx, net, r, labels, sr.val, sr.val.Len())
	return sc.Accuracy, err
}

// unit returns the unit of network k (before sleep if sc is nil), from Prior or computed
// (with PriorOnly, a missing unit is recorded and returned empty).
func (sr *search) unit(point, k int, sc *runner.SleepConfig) (SearchUnit, error) {
	cfg := sr.cfg
	h, err := sr.key(k, sc)
	if err != nil {
		return SearchUnit{}, err
	}
	if u, ok := sr.prior[h]; ok {
		u.Point, u.Net = point, k
		return u, nil
	}
	u := SearchUnit{Point: point, Net: k, Key: h}
	if cfg.PriorOnly {
		sr.missing = append(sr.missing, UnitRef{point, k})
		return u, nil
	}
	s := cfg.Nets[k]
	net := s.Net
	if sc != nil {
		net = s.Net.Clone()
		c := *sc
		// The images the network has seen: never those it holds out (Meta.HeldOut).
		c.Mean = runner.MeanImage(cfg.Set, min(s.Meta.ImagesSeen, cfg.Set.Len()-s.Meta.HeldOut))
		c.Seed, c.Engine, c.Awake = s.Meta.Seed, cfg.Engine, s.Meta.Regime
		st, err := runner.Sleep(sr.ctx, net, c)
		if err != nil {
			if sr.ctx.Err() != nil {
				return u, err
			}
			u.Error = err.Error()
		}
		u.RateHz = st.MeanRateHz
	}
	if u.Error == "" {
		if u.Accuracy, err = sr.accuracy(net, s.Meta.Regime, s.Meta.Seed); err != nil {
			return u, err
		}
	}
	if cfg.OnUnit != nil {
		cfg.OnUnit(u)
	}
	return u, nil
}

// plan lists every unit the search needs: each network before sleep, then each grid
// point tried with each network.
func (sr *search) plan() []UnitRef {
	var refs []UnitRef
	for k := range sr.cfg.Nets {
		refs = append(refs, UnitRef{-1, k})
	}
	for _, p := range sr.points() {
		for k := range sr.cfg.Nets {
			refs = append(refs, UnitRef{p, k})
		}
	}
	return refs
}

// SearchPlan lists every unit the search needs: each network before sleep, then each
// grid point tried with each network. A unit is an independent task: SearchUnitAt
// computes one, and SearchSleep given them all as Prior computes nothing more.
func SearchPlan(cfg SearchConfig) ([]UnitRef, error) {
	sr, err := newSearch(context.Background(), cfg)
	if err != nil {
		return nil, err
	}
	return sr.plan(), nil
}

// SearchMissing lists the units of SearchPlan that cfg.Prior does not hold (with the
// settings of cfg).
func SearchMissing(cfg SearchConfig) ([]UnitRef, error) {
	sr, err := newSearch(context.Background(), cfg)
	if err != nil {
		return nil, err
	}
	var out []UnitRef
	for _, r := range sr.plan() {
		h, err := sr.key(r.Net, sr.sleepOf(r.Point))
		if err != nil {
			return nil, err
		}
		if _, ok := sr.prior[h]; !ok {
			out = append(out, r)
		}
	}
	return out, nil
}

// SearchUnitAt computes one unit of the search (from Prior if it is there).
func SearchUnitAt(ctx context.Context, cfg SearchConfig, ref UnitRef) (SearchUnit, error) {
	sr, err := newSearch(ctx, cfg)
	if err != nil {
		return SearchUnit{}, err
	}
	if ref.Net < 0 || ref.Net >= len(cfg.Nets) || ref.Point < -1 || ref.Point >= cfg.Space.Size() {
		return SearchUnit{}, fmt.Errorf("experiment: unit (point %d, network %d) is not in the search (%d grid points, %d networks)", ref.Point, ref.Net, cfg.Space.Size(), len(cfg.Nets))
	}
	return sr.unit(ref.Point, ref.Net, sr.sleepOf(ref.Point))
}

// SearchSleep evaluates sleep parameter sets on the validation split and returns them
// sorted by mean validation gain (best first). With PriorOnly it computes nothing and
// returns a *MissingUnitsError when Prior lacks units.
func SearchSleep(ctx context.Context, cfg SearchConfig) ([]SearchRow, error) {
	sr, err := newSearch(ctx, cfg)
	if err != nil {
		return nil, err
	}
	unit := sr.unit
	before := make([]float64, len(cfg.Nets))
	for k := range cfg.Nets {
		u, err := unit(-1, k, nil)
		if err != nil {
			return nil, err
		}
		before[k] = u.Accuracy
	}
	points := sr.points()
	var rows []SearchRow
	for done, p := range points {
		sc := cfg.Space.point(p, cfg.Base)
		row := SearchRow{Gain: sc.InputGain, Leak: sc.Changes.LeakScale, Exc: sc.Changes.ExcGain, Inh: sc.Changes.InhScale, DurationMS: sc.DurationMS, Before: before,
			STDP: sc.Changes.STDP, Threshold: sc.Changes.Threshold, PotScale: sc.Changes.PotScale, DepScale: sc.Changes.DepScale, ThetaPlusScale: sc.Changes.ThetaPlusScale}
		var gains []float64
		for k := range cfg.Nets {
			u, err := unit(p, k, &sc)
			if err != nil {
				return nil, err
			}
			if u.Error != "" {
				row.Error = u.Error
				break
			}
			row.RateHz += u.RateHz / float64(len(cfg.Nets))
			row.After = append(row.After, u.Accuracy)
			gains = append(gains, u.Accuracy-before[k])
		}
		row.MeanGain, row.SDGain = analysis.MeanSD(gains)
		if len(gains) == 0 {
			row.SDGain = math.NaN()
		}
		rows = append(rows, row)
		if cfg.Progress != nil {
			cfg.Progress(done+1, len(points))
		}
	}
	if len(sr.missing) > 0 {
		return nil, &MissingUnitsError{Units: sr.missing}
	}
	slices.SortStableFunc(rows, func(a, b SearchRow) int {
		switch {
		case a.Error != "" && b.Error == "":
			return 1
		case a.Error == "" && b.Error != "":
			return -1
		case a.MeanGain > b.MeanGain:
			return -1
		case a.MeanGain < b.MeanGain:
			return 1
		}
		return 0
	})
	return rows, nil
}
