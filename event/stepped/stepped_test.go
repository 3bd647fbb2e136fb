package stepped_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/evsim/evsim/event/enginetest"
	"github.com/evsim/evsim/event/stepped"
	"github.com/evsim/evsim/model"
)

// TestConformance runs the shared engine suite at dt = 0.1 ms. With every input on the
// grid the propagation between grid points is exact, and a crossing in ((k-1)·dt, k·dt] is
// reported at k·dt: a spike is late by less than dt.
func TestConformance(t *testing.T) {
	const dt = 0.1
	enginetest.Run(t, func(net *model.Network, r model.Regime, rec *[]model.Spike) (enginetest.Presenter, error) {
		s, err := stepped.New(net, r, dt)
		if err != nil {
			return nil, err
		}
		s.Record = rec
		return s, nil
	}, enginetest.Tolerance{Dt: dt, Spike: dt})
}

func one(w float64) *model.Network {
	net := model.NewNetwork(1, 1, rand.New(rand.NewPCG(1, 1)))
	net.W[0] = float32(w)
	net.WeightsChanged()
	net.U[0], net.UI[0] = 0, 0
	return net
}

// TestGridSpikeTime: the reference's spike is the first grid point at or after the exact
// crossing (the input is delivered at the grid point nearest its time), for several dt.
func TestGridSpikeTime(t *testing.T) {
	r := model.Awake().Frozen()
	k := model.NewKernel(r.Exc, r.TauS, math.Inf(1))
	exact, ok := k.Crossing(0, r.JIn*30, 0, 0, 50)
	if !ok {
		t.Fatal("no crossing: fix the test")
	}
	for _, dt := range []float64{0.5, 0.1, 0.01} {
		s, err := stepped.New(one(30), r, dt)
		if err != nil {
			t.Fatal(err)
		}
		var rec []model.Spike
		s.Record = &rec
		tr := model.Trial{Inputs: []model.InputSpike{{T: 10, Idx: 0}}, Duration: 50}
		counts := make([]int32, 1)
		if err := s.Present(&tr, counts); err != nil {
			t.Fatal(err)
		}
		if counts[0] != 1 || len(rec) < 1 {
			t.Fatalf("dt %v: counts %v, spikes %v", dt, counts, rec)
		}
		want := 10 + math.Ceil(exact/dt-1e-9)*dt
		if math.Abs(rec[0].T-want) > dt*1e-6 {
			t.Fatalf("dt %v: spike at %v, want the grid point %v after the exact %v", dt, rec[0].T, want, 10+exact)
		}
	}
}

func TestStepErrors(t *testing.T) {
	r := model.Awake()
	if _, err := stepped.New(one(1), r, 0); err == nil {
		t.Error("dt = 0 accepted")
	}
	s, _ := stepped.New(one(1), r, 0.3)
	tr := model.Trial{Duration: 350, Rest: 150}
	if err := s.Present(&tr, make([]int32, 1)); err == nil {
		t.Error("350 ms with dt = 0.3 ms accepted")
	}
}
