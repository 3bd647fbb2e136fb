package event_test

import (
	"math/rand/v2"
	"testing"

	"github.com/evsim/evsim/event"
	"github.com/evsim/evsim/event/enginetest"
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
	copy(net.W, []float64{40, 21})
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
