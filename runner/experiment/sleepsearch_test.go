package experiment

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/evsim/evsim/model"
	"github.com/evsim/evsim/runner"
	"github.com/evsim/evsim/runner/mnist"
)

// TestSearchSleep: every grid point is tried on every network, the rows come back sorted by
// mean validation gain, and a runaway point is reported as an error row, not a failure.
func TestSearchSleep(t *testing.T) {
	rows, err := SearchSleep(context.Background(), tinySearch(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 4 {
		t.Fatalf("%d rows, want 4", len(rows))
	}
	errs := 0
	for k, r := range rows {
		if r.Error != "" {
			errs++
			continue
		}
		if len(r.After) != 2 || len(r.Before) != 2 {
			t.Fatalf("row %d: %d/%d accuracies, want one per network", k, len(r.Before), len(r.After))
		}
		if k > 0 && rows[k-1].Error == "" && rows[k-1].MeanGain < r.MeanGain {
			t.Fatal("rows not sorted by mean gain")
		}
	}
	if errs != 2 || rows[3].Error == "" {
		t.Fatalf("%d error rows (want the 2 runaway-gain points, last): %+v", errs, rows)
	}
}

// tinySearch is a 2 x 2 grid on two 8-neuron networks; the gain 1e6 runs away on the first.
func tinySearch(t *testing.T) SearchConfig {
	set := trainSet(t, 300)
	var nets []*runner.Snapshot
	for seed := uint64(1); seed <= 2; seed++ {
		net := runner.NewNetwork(mnist.Pixels, 8, seed)
		if _, err := runner.Train(context.Background(), net, runner.TrainConfig{Set: set, Count: 30, Seed: seed, Engine: runner.EngineSpec{Kind: "event"}, Regime: model.AwakeN(8)}); err != nil {
			t.Fatal(err)
		}
		nets = append(nets, &runner.Snapshot{Meta: runner.Meta{NIn: mnist.Pixels, NExc: 8, Seed: seed, ImagesSeen: 30, Regime: model.AwakeN(8)}, Net: net})
	}
	base := runner.DefaultSleep()
	base.Changes.STDP = false
	return SearchConfig{
		Nets: nets, Base: base, Label: 100, Validation: 100, Set: set, Engine: runner.EngineSpec{Kind: "event"}, Seed: 1,
		Space: SearchSpace{Gain: []float64{1, 1e6}, Leak: []float64{2}, Exc: []float64{1}, Inh: []float64{0, 1}, DurationMS: []float64{500}},
	}
}

// TestSearchRunawayMarshals: a grid point that runs away on the first network has no gain
// (NaN); its row marshals with null and the reason (json.Marshal used to fail on it).
func TestSearchRunawayMarshals(t *testing.T) {
	cfg := tinySearch(t)
	cfg.Space.Gain, cfg.Space.Inh = []float64{1e6}, []float64{1}
	rows, err := SearchSleep(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(rows)
	if err != nil {
		t.Fatalf("rows do not marshal: %v", err)
	}
	if !strings.Contains(string(b), `"mean_gain":null,"mean_gain_reason":"no network finished this sleep (see error)"`) {
		t.Errorf("runaway row: %s", b)
	}
	var back []SearchRow
	if err := json.Unmarshal(b, &back); err != nil || len(back) != 1 || !math.IsNaN(back[0].MeanGain) || back[0].Error == "" {
		t.Errorf("reads back as %+v, %v", back, err)
	}
}

// TestSearchUntrained: a network that has seen no image has no sleep input (the mean of
// nothing is NaN); the search says so instead of panicking.
func TestSearchUntrained(t *testing.T) {
	cfg := tinySearch(t)
	cfg.Nets[1] = &runner.Snapshot{Meta: runner.Meta{NIn: mnist.Pixels, NExc: 8, Seed: 5, Regime: model.AwakeN(8)}, Net: runner.NewNetwork(mnist.Pixels, 8, 5)}
	_, err := SearchSleep(context.Background(), cfg)
	if err == nil || !strings.Contains(err.Error(), "SearchConfig.Nets[1]") {
		t.Fatalf("err = %v, want one naming SearchConfig.Nets[1]", err)
	}
}

// TestSearchHeldOut: a network that holds out the last images of the set (Meta.HeldOut)
// sleeps on the mean of the images it has trained on, as if it had seen only those; one
// that holds out the whole set is refused.
func TestSearchHeldOut(t *testing.T) {
	run := func(cfg SearchConfig) []SearchRow {
		t.Helper()
		cfg.Space.Gain, cfg.Space.Inh = []float64{1}, []float64{0}
		rows, err := SearchSleep(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		return rows
	}
	held, seen := tinySearch(t), tinySearch(t)
	for k := range held.Nets {
		held.Nets[k].Meta.HeldOut = 290 // trains on the first 10 of the 300 images
		seen.Nets[k].Meta.ImagesSeen = 10
	}
	a, b := run(held), run(seen)
	if len(a) != 1 || len(b) != 1 || !slices.Equal(a[0].After, b[0].After) {
		t.Errorf("held out: %+v\nseen only the first 10: %+v\nwant the same sleep", a, b)
	}
	held.Nets[1].Meta.HeldOut = 300
	if _, err := SearchSleep(context.Background(), held); err == nil || !strings.Contains(err.Error(), "SearchConfig.Nets[1]") {
		t.Fatalf("HeldOut 300 of 300 images: err = %v, want one naming SearchConfig.Nets[1]", err)
	}
}

// TestSearchResume: a search cancelled after some units, resumed with those units as
// Prior, computes only the rest and returns the same rows as an uninterrupted search;
// units from a search with other settings are not used.
func TestSearchResume(t *testing.T) {
	cfg := tinySearch(t)
	cfg.Label, cfg.Validation = 40, 40
	var all []SearchUnit
	cfg.OnUnit = func(u SearchUnit) { all = append(all, u) }
	want, err := SearchSleep(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 8 { // 2 before sleep, 2 good points x 2 nets, 2 runaway points x 1 net
		t.Fatalf("%d units, want 8", len(all))
	}
	wantJSON, _ := json.Marshal(want)
	for _, stop := range []int{1, 5} {
		ctx, cancel := context.WithCancel(context.Background())
		var done []SearchUnit
		cfg.Prior, cfg.OnUnit = nil, func(u SearchUnit) {
			b, err := json.Marshal(u) // as a checkpoint would store it
			if err != nil {
				t.Fatal(err)
			}
			var back SearchUnit
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatal(err)
			}
			done = append(done, back)
			if len(done) == stop {
				cancel()
			}
		}
		if _, err := SearchSleep(ctx, cfg); err == nil {
			t.Fatalf("stop after %d units: not interrupted", stop)
		}
		cancel()
		computed := 0
		cfg.Prior, cfg.OnUnit = done, func(SearchUnit) { computed++ }
		got, err := SearchSleep(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		if gotJSON, _ := json.Marshal(got); string(gotJSON) != string(wantJSON) {
			t.Errorf("stop after %d units: resumed rows\n%s\nwant\n%s", stop, gotJSON, wantJSON)
		}
		if computed+len(done) != len(all) {
			t.Errorf("stop after %d units: the resumed search computed %d units, want %d", stop, computed, len(all)-len(done))
		}
	}
	// Units of another search (other labelling images) are ignored.
	// The first unit is then computed, not taken from Prior (the search stops there).
	other := cfg
	other.Label, other.Prior = 30, all
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var first *SearchUnit
	other.OnUnit = func(u SearchUnit) {
		if first == nil {
			first = &u
		}
		cancel()
	}
	SearchSleep(ctx, other)
	if first == nil || first.Point != -1 || first.Net != 0 {
		t.Errorf("with Label changed, the first unit computed is %+v, want network 0 before sleep", first)
	}
}

func trainSet(t testing.TB, n int) *mnist.Set {
	t.Helper()
	dir, err := mnist.DefaultDir()
	if err != nil {
		t.Fatalf("MNIST data not found (it ships with the GoMNIST module): %v", err)
	}
	s, err := mnist.Load(dir, "train", n)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSearchTasks: the units of SearchPlan computed one at a time, in reverse order, then
// merged with PriorOnly give the rows of one SearchSleep, byte for byte; without one unit
// the merge refuses, naming it, and SearchMissing lists exactly that unit.
func TestSearchTasks(t *testing.T) {
	cfg := tinySearch(t)
	cfg.Label, cfg.Validation = 40, 40
	want, err := SearchSleep(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	wantJSON, _ := json.Marshal(want)
	plan, err := SearchPlan(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(plan) != len(cfg.Nets)*(1+cfg.Space.Size()) {
		t.Fatalf("plan of %d units, want %d", len(plan), len(cfg.Nets)*(1+cfg.Space.Size()))
	}
	var units []SearchUnit
	for k := len(plan) - 1; k >= 0; k-- {
		u, err := SearchUnitAt(context.Background(), cfg, plan[k])
		if err != nil {
			t.Fatal(err)
		}
		units = append(units, u)
	}
	merge := cfg
	merge.Prior, merge.PriorOnly = units, true
	merge.OnUnit = func(SearchUnit) { t.Error("the merge computed a unit") }
	got, err := SearchSleep(context.Background(), merge)
	if err != nil {
		t.Fatal(err)
	}
	if gotJSON, _ := json.Marshal(got); string(gotJSON) != string(wantJSON) {
		t.Fatalf("merged rows differ:\n%s\nwant\n%s", gotJSON, wantJSON)
	}
	gone := plan[0] // the before-sleep unit of network 0: every row needs it
	var rest []SearchUnit
	for _, u := range units {
		if (UnitRef{u.Point, u.Net}) != gone {
			rest = append(rest, u)
		}
	}
	merge.Prior = rest
	_, err = SearchSleep(context.Background(), merge)
	var me *MissingUnitsError
	if !errors.As(err, &me) || len(me.Units) != 1 || me.Units[0] != gone {
		t.Fatalf("merge without %v: %v", gone, err)
	}
	missing, err := SearchMissing(merge)
	if err != nil || len(missing) != 1 || missing[0] != gone {
		t.Fatalf("SearchMissing = %v, %v; want [%v]", missing, err, gone)
	}
	if _, err := SearchUnitAt(context.Background(), cfg, UnitRef{cfg.Space.Size(), 0}); err == nil {
		t.Error("a unit outside the grid was computed")
	}
}
