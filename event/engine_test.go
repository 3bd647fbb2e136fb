package event_test

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/evsim/evsim/event"
	"github.com/evsim/evsim/event/enginetest"
	"github.com/evsim/evsim/model"
)

// tiny returns a network of nExc neurons, 1 input, weights w, at rest, θ = 0.
func tiny(nExc int, w ...float64) *model.Network {
	net := model.NewNetwork(1, nExc, rand.New(rand.NewPCG(1, 1)))
	copy(net.W, w)
	net.WeightsChanged()
	for j := range nExc {
		net.U[j], net.UI[j] = 0, 0
	}
	return net
}

// bisect finds the first crossing of u(s) = JIn·w·κ(e^{-s/τm} - e^{-s/τs}) over D on a
// fine scan, independently of the engine's predictor.
func analyticCrossing(r model.Regime, w float64) float64 {
	k := model.NewKernel(r.Exc, r.TauS, math.Inf(1))
	u := func(s float64) float64 {
		return r.JIn * w * k.Kappa * (math.Exp(-s/k.TauM) - math.Exp(-s/k.TauS))
	}
	lo := 0.0
	for s := 0.0; s < 50; s += 1e-3 {
		if u(s) >= k.D {
			hi := s
			for range 100 {
				m := 0.5 * (lo + hi)
				if u(m) >= k.D {
					hi = m
				} else {
					lo = m
				}
			}
			return hi
		}
		lo = s
	}
	return math.Inf(1)
}

// TestSingleSpikeTime: one input spike of weight 30 drives a neuron at rest over threshold;
// the engine's spike time is the closed-form crossing, to 1e-9 ms; the inhibitory partner
// fires once, after it.
func TestSingleSpikeTime(t *testing.T) {
	r := model.Awake().Frozen()
	net := tiny(1, 30)
	e, err := event.New(net, r)
	if err != nil {
		t.Fatal(err)
	}
	var rec []model.Spike
	e.Record = &rec
	tr := model.Trial{Inputs: []model.InputSpike{{T: 10, Idx: 0}}, Duration: 50, Rest: 0}
	counts := make([]int32, 1)
	if err := e.Present(&tr, counts); err != nil {
		t.Fatal(err)
	}
	want := 10 + analyticCrossing(r, 30)
	if len(rec) != 2 || rec[0].Inh || !rec[1].Inh {
		t.Fatalf("spikes = %v, want one excitatory then one inhibitory", rec)
	}
	if math.Abs(rec[0].T-want) > 1e-9 {
		t.Fatalf("excitatory spike at %.12f, closed form %.12f", rec[0].T, want)
	}
	if counts[0] != 1 {
		t.Fatalf("counts = %v, want [1]", counts)
	}
	if rec[1].T <= rec[0].T || rec[1].T > rec[0].T+2 {
		t.Fatalf("inhibitory relay at %v, excitatory spike at %v: want a delay in (0, 2] ms", rec[1].T, rec[0].T)
	}
}

// TestInhibitionInvalidatesPrediction: neuron 0 (strong weight) fires first; its inhibitory
// partner fires before neuron 1 (weaker weight) reaches its predicted crossing, so that
// prediction must be dropped and neuron 1 must stay silent.
func TestInhibitionInvalidatesPrediction(t *testing.T) {
	r := model.Awake().Frozen()
	// Alone, each neuron fires: measure neuron 1's solo spike time first.
	solo := analyticCrossing(r, 21)
	if math.IsInf(solo, 1) {
		t.Fatal("weight 21 does not reach threshold: fix the test")
	}
	net := tiny(2, 40, 21)
	e, _ := event.New(net, r)
	var rec []model.Spike
	e.Record = &rec
	tr := model.Trial{Inputs: []model.InputSpike{{T: 1, Idx: 0}}, Duration: 30}
	counts := make([]int32, 2)
	if err := e.Present(&tr, counts); err != nil {
		t.Fatal(err)
	}
	if counts[0] != 1 || counts[1] != 0 {
		t.Fatalf("counts = %v, want [1 0] (rec %v, neuron 1 alone would fire at %v)", counts, rec, 1+solo)
	}
	if e.Stats.Stale == 0 {
		t.Fatalf("no stale prediction was dropped: stats %+v", e.Stats)
	}
}

// TestDeterministic: the same network and trials give bit-identical spikes and state.
func TestDeterministic(t *testing.T) {
	trials := enginetest.Trials(21, 3, 350, 150)
	run := func() ([]model.Spike, *model.Network) {
		net := convergenceNet(50)
		r := model.Awake()
		e, _ := event.New(net, r)
		var rec []model.Spike
		e.Record = &rec
		counts := make([]int32, 50)
		for k := range trials {
			net.NormalizeColumns(r.ColumnSum, nil)
			if err := e.Present(&trials[k], counts); err != nil {
				t.Fatal(err)
			}
		}
		return rec, net
	}
	a, na := run()
	b, nb := run()
	if !slices.Equal(a, b) || !slices.Equal(na.W, nb.W) || !slices.Equal(na.Theta, nb.Theta) {
		t.Fatal("two identical runs differ")
	}
	if len(a) == 0 {
		t.Fatal("no spikes: the test exercises nothing")
	}
}

func TestPresentRejectsBadInput(t *testing.T) {
	e, _ := event.New(tiny(2, 1, 1), model.Awake())
	good := model.Trial{Inputs: []model.InputSpike{{T: 1, Idx: 0}}, Duration: 10}
	if err := e.Present(&good, make([]int32, 3)); err == nil {
		t.Error("wrong counts length accepted")
	}
	bad := []model.Trial{
		{Inputs: []model.InputSpike{{T: 2, Idx: 0}, {T: 1, Idx: 0}}, Duration: 10},
		{Inputs: []model.InputSpike{{T: 1, Idx: 1}}, Duration: 10},
		{Inputs: []model.InputSpike{{T: 11, Idx: 0}}, Duration: 10},
		{Duration: math.NaN()},
		{Duration: 10, Rest: -1},
	}
	for k := range bad {
		if err := e.Present(&bad[k], make([]int32, 2)); err == nil {
			t.Errorf("bad trial %d accepted", k)
		}
	}
	r := model.Awake()
	r.TauS = r.Exc.TauM
	if _, err := event.New(tiny(1, 1), r); err == nil {
		t.Error("TauS = TauM accepted")
	}
}

// TestRunawayGuard: a regime with a tiny refractory period and an enormous drive is stopped
// with ErrRunaway instead of running on.
func TestRunawayGuard(t *testing.T) {
	r := model.Awake().Frozen()
	r.Exc.TRef = 0.01
	r.JIE = 0
	r.JIn *= 1000
	e, err := event.New(tiny(3, 1, 1, 1), r)
	if err != nil {
		t.Fatal(err)
	}
	ins := make([]model.InputSpike, 200)
	for k := range ins {
		ins[k] = model.InputSpike{T: float64(k) * 0.5, Idx: 0}
	}
	tr := model.Trial{Inputs: ins, Duration: 100}
	if err := e.Present(&tr, make([]int32, 3)); !errors.Is(err, event.ErrRunaway) {
		t.Fatalf("error %v, want ErrRunaway", err)
	}
}
