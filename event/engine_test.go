package event_test

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/evsim/evsim/event"
	"github.com/evsim/evsim/event/enginetest"
	"github.com/evsim/evsim/event/internal/vec"
	"github.com/evsim/evsim/event/stepped"
	"github.com/evsim/evsim/model"
)

// TestConformance runs the shared engine suite. The event engine is exact: every spike
// time is a root of the closed-form membrane found to a few ulps, so 1e-9 ms.
func TestConformance(t *testing.T) {
	enginetest.Run(t, newEvent, enginetest.Tolerance{Spike: 1e-9})
}

func newEvent(net *model.Network, r model.Regime, rec *[]model.Spike) (enginetest.Presenter, error) {
	e, err := event.New(net, r)
	if err != nil {
		return nil, err
	}
	e.Record = rec
	return e, nil
}

// TestInhibitionMarksPredictionStale: neuron 0 (strong weight) fires first, and its
// inhibitory partner reaches neuron 1 (weaker weight) while neuron 1 has a queued crossing
// prediction. The suite checks that neuron 1 stays silent; here, that it is the version
// stamp that drops the queued crossing (a stale pop is counted), not a missed prediction.
func TestInhibitionMarksPredictionStale(t *testing.T) {
	net := model.NewNetwork(1, 2, rand.New(rand.NewPCG(1, 1)))
	copy(net.W, []float32{40, 21})
	net.WeightsChanged()
	net.U[0], net.U[1], net.UI[0], net.UI[1] = 0, 0, 0, 0
	e, err := event.New(net, model.Awake().Frozen())
	if err != nil {
		t.Fatal(err)
	}
	tr := model.Trial{Inputs: []model.InputSpike{{T: 1, Idx: 0}}, Duration: 30}
	counts := make([]int32, 2)
	if err := e.Present(&tr, counts); err != nil {
		t.Fatal(err)
	}
	if counts[0] != 1 || counts[1] != 0 {
		t.Fatalf("counts = %v, want [1 0]", counts)
	}
	if e.Stats.Stale == 0 || e.Stats.Predictions < 2 {
		t.Fatalf("stats %+v: want neuron 1's prediction made, then dropped as stale", e.Stats)
	}
}

// TestNegativeWeightKeepsScreening: an input of negative weight (outside every valid
// network, but W is an exported field) must not refill a screening budget. Nine identical
// neurons (the kernel's 8-lane body and its tail) are hot after a strong input; a negative
// input then arrives before their crossing. The stepped reference on a fine grid says they
// still fire; so must the event engine, on both kernel paths.
func TestNegativeWeightKeepsScreening(t *testing.T) {
	const n = 9
	build := func() *model.Network {
		net := model.NewNetwork(2, n, rand.New(rand.NewPCG(1, 1)))
		for j := range n {
			net.W[j], net.W[n+j] = -2, 50
			net.U[j], net.UI[j] = 0, 0
		}
		net.WeightsChanged()
		return net
	}
	tr := model.Trial{Inputs: []model.InputSpike{{T: 0, Idx: 1}, {T: 0.45, Idx: 0}}, Duration: 10}
	r := model.AwakeN(n).Frozen()
	var stSpikes []model.Spike
	st, err := stepped.New(build(), r, 0.001)
	if err != nil {
		t.Fatal(err)
	}
	st.Record = &stSpikes
	want := make([]int32, n)
	if err := st.Present(&tr, want); err != nil {
		t.Fatal(err)
	}
	if want[0] == 0 || want[n-1] == 0 {
		t.Fatalf("the reference does not fire (%v): the test exercises nothing", want)
	}
	for _, portable := range []bool{false, true} {
		vec.ForcePortable(portable)
		var evSpikes []model.Spike
		ev, err := event.New(build(), r)
		if err != nil {
			t.Fatal(err)
		}
		ev.Record = &evSpikes
		got := make([]int32, n)
		if err := ev.Present(&tr, got); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) || math.Abs(evSpikes[0].T-stSpikes[0].T) > 0.01 {
			t.Errorf("portable=%v: event counts %v, first spike %v; stepped (dt 0.001) %v, %v", portable, got, evSpikes, want, stSpikes[0])
		}
	}
	vec.ForcePortable(false)
}
