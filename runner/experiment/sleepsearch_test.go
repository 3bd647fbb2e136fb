package experiment

import (
	"context"
	"testing"

	"github.com/evsim/evsim/model"
	"github.com/evsim/evsim/runner"
	"github.com/evsim/evsim/runner/mnist"
)

// TestSearchSleep: every grid point is tried on every network, the rows come back sorted by
// mean validation gain, and a runaway point is reported as an error row, not a failure.
func TestSearchSleep(t *testing.T) {
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
	rows, err := SearchSleep(context.Background(), SearchConfig{
		Nets: nets, Base: base, Label: 100, Validation: 100, Set: set, Engine: runner.EngineSpec{Kind: "event"}, Seed: 1,
		Space: SearchSpace{Gain: []float64{1, 1e6}, Leak: []float64{2}, Exc: []float64{1}, Inh: []float64{0, 1}, DurationMS: []float64{500}},
	})
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
