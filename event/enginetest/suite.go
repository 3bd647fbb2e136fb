package enginetest

import (
	"cmp"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/evsim/evsim/event"
	"github.com/evsim/evsim/model"
)

// Factory builds the engine under test over net with regime r, or returns the regime's
// validation error. If rec is not nil, the engine appends every spike to it (excitatory
// and inhibitory, in time order, in trial-local time).
type Factory func(net *model.Network, r model.Regime, rec *[]model.Spike) (Presenter, error)

// Tolerance states how exactly an engine follows the closed-form model.
type Tolerance struct {
	// Dt is the engine's time grid (ms), 0 for continuous time. It must divide 0.5 ms: the
	// suite puts every input spike on multiples of 0.5 ms, so that a grid engine receives
	// each input at its exact time and the only error left is its own.
	Dt float64

	// Spike bounds |t - t*| for a spike whose closed-form time is t*, inputs on the grid.
	// Along a chain of interactions (an excitatory spike drives its inhibitory partner,
	// which inhibits a third neuron) the errors add: k links allow k·Spike.
	Spike float64
}

// contTol is the relative agreement of a trial cut into several with the same trial run at
// once: both engines promise continuity up to the rounding of re-expressed times.
const contTol = 1e-9

// stateTol is the largest |x - x*|/(1+|x*|) of u, I and θ against the closed form after a
// long quiet trial: exact propagation loses a few ulps per input or step, 1e-9 is ~1e6 ulps.
const stateTol = 1e-9

// Run checks an engine against the model's closed form and the contract both engines
// share: closed-form spike times, membrane accuracy over long trials, the drop of a
// crossing that inhibition preempts, refusal of bad input, the runaway guard, determinism,
// and continuity across trials. Each case is a subtest.
func Run(t *testing.T, newEngine Factory, tol Tolerance) {
	if tol.Dt < 0 || (tol.Dt > 0 && math.Abs(0.5/tol.Dt-math.Round(0.5/tol.Dt)) > 1e-9) {
		t.Fatalf("enginetest: Dt = %v ms does not divide 0.5 ms", tol.Dt)
	}
	if !(tol.Spike > 0) {
		t.Fatalf("enginetest: Spike tolerance %v, want > 0", tol.Spike)
	}
	s := suite{newEngine, tol}
	t.Run("ClosedFormSpikeTimes", s.closedForm)
	t.Run("LongTrialPSP", s.longTrial)
	t.Run("StalePrediction", s.stalePrediction)
	t.Run("BadInput", s.badInput)
	t.Run("RunawayGuard", s.runaway)
	t.Run("Determinism", s.determinism)
	t.Run("Continuity", s.continuity)
	t.Run("ReplayRule", s.replay)
}

type suite struct {
	newEngine Factory
	tol       Tolerance
}

func (s suite) build(t *testing.T, net *model.Network, r model.Regime, rec *[]model.Spike) Presenter {
	t.Helper()
	e, err := s.newEngine(net, r, rec)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// quiet returns a network of nIn inputs and nExc neurons with weights w (input-major, as
// model.Network.W, rounded to its float32), every membrane and current at 0, θ = 0.
func quiet(nIn, nExc int, w ...float64) *model.Network {
	if len(w) != nIn*nExc {
		panic("enginetest: quiet needs nIn·nExc weights")
	}
	net := model.NewNetwork(nIn, nExc, rand.New(rand.NewPCG(1, 1)))
	for k, x := range w {
		net.W[k] = float32(x)
	}
	net.WeightsChanged()
	for j := range nExc {
		net.U[j], net.UI[j] = 0, 0
	}
	return net
}

// jump is a current jump of J mV into one neuron at time T.
type jump struct{ T, J float64 }

// lif is the closed-form solution of model's documented equations for one neuron in free
// evolution (no spike, no refractory clamp), written out here independently of
// model.Kernel: from u0, i0 at time 0,
//
//	u(t) = u0·e^{-t/τm} + i0·κ(e^{-t/τm} - e^{-t/τs}) + Σ_{tk <= t} Jk·κ(e^{-(t-tk)/τm} - e^{-(t-tk)/τs}),
//	I(t) = i0·e^{-t/τs} + Σ_{tk <= t} Jk·e^{-(t-tk)/τs},   κ = τs/(τm-τs).
type lif struct {
	tauM, tauS float64
	u0, i0     float64
	in         []jump
}

func (n lif) at(t float64) (u, i float64) {
	k := n.tauS / (n.tauM - n.tauS)
	em, es := math.Exp(-t/n.tauM), math.Exp(-t/n.tauS)
	u, i = n.u0*em+n.i0*k*(em-es), n.i0*es
	for _, x := range n.in {
		if x.T <= t {
			em, es := math.Exp(-(t-x.T)/n.tauM), math.Exp(-(t-x.T)/n.tauS)
			u += x.J * k * (em - es)
			i += x.J * es
		}
	}
	return u, i
}

// firstAbove returns the first t in [lo, hi] at which f(t) >= 0: a scan in steps of 1 µs,
// then bisection to 1e-13 ms. +Inf if there is none on the scan.
func firstAbove(f func(float64) float64, lo, hi float64) float64 {
	const step = 1e-3
	a := lo
	for b := lo; b <= hi; b += step {
		if f(b) >= 0 {
			if b == lo {
				return lo
			}
			for b-a > 1e-13 {
				m := 0.5 * (a + b)
				if f(m) >= 0 {
					b = m
				} else {
					a = m
				}
			}
			return b
		}
		a = b
	}
	return math.Inf(1)
}

// crossing is the first time neuron n reaches the constant threshold d in [lo, hi].
func (n lif) crossing(d, lo, hi float64) float64 {
	return firstAbove(func(t float64) float64 { u, _ := n.at(t); return u - d }, lo, hi)
}

// exc returns the excitatory spikes of rec.
func exc(rec []model.Spike) []model.Spike {
	var out []model.Spike
	for _, x := range rec {
		if !x.Inh {
			out = append(out, x)
		}
	}
	return out
}

// closedForm: a neuron with an initial membrane, current and (constant) threshold receives
// three input spikes; no two of them reach threshold, the third does. Its spike time is
// the first root of the closed-form membrane minus threshold, its inhibitory partner's
// relay spike the first root of the partner's (driven by JEI at that spike), within
// Spike and 2·Spike.
func (s suite) closedForm(t *testing.T) {
	r := model.Awake().Frozen()
	const w, u0, i0, theta = 9.0, 2.0, 1.0, 1.5
	net := quiet(1, 1, w)
	net.U[0], net.I[0], net.Theta[0] = u0, i0, theta
	var rec []model.Spike
	e := s.build(t, net, r, &rec)
	tr := model.Trial{Inputs: []model.InputSpike{{T: 10}, {T: 12}, {T: 13.5}}, Duration: 50}
	counts := make([]int32, 1)
	if err := e.Present(&tr, counts); err != nil {
		t.Fatal(err)
	}

	n := lif{tauM: r.Exc.TauM, tauS: r.TauS, u0: u0, i0: i0}
	for _, in := range tr.Inputs {
		n.in = append(n.in, jump{in.T, r.JIn * w})
	}
	d := r.Exc.VThresh - r.Exc.VRest + theta
	want := n.crossing(d, 0, tr.Duration)
	if !(want > 13.5) {
		t.Fatalf("closed form crosses at %v, not after the third input: fix the test", want)
	}
	relay := lif{tauM: r.Inh.TauM, tauS: r.TauS, in: []jump{{0, r.JEI}}}
	wantInh := want + relay.crossing(r.Inh.VThresh-r.Inh.VRest, 0, 10)

	if len(rec) != 2 || rec[0].Inh || !rec[1].Inh || counts[0] != 1 {
		t.Fatalf("spikes %v, counts %v: want one excitatory spike, then its partner's", rec, counts)
	}
	if d := math.Abs(rec[0].T - want); d > s.tol.Spike {
		t.Errorf("excitatory spike at %.12f ms, closed form %.12f ms: off by %.3g ms, tolerance %g", rec[0].T, want, d, s.tol.Spike)
	}
	if d := math.Abs(rec[1].T - wantInh); d > 2*s.tol.Spike {
		t.Errorf("inhibitory relay at %.12f ms, closed form %.12f ms: off by %.3g ms, tolerance %g", rec[1].T, wantInh, d, 2*s.tol.Spike)
	}
}

// longTrial: three neurons receive sparse input from two inputs (every 37 and 53 ms) for
// 20 s, never reaching threshold; θ decays with τθ. The event engine moves its frame every
// 18·τs = 18 ms, so its scaled basis is rescaled about a thousand times; a grid engine takes
// 20 s/dt steps. At the end, u, I and θ of every neuron equal the closed form to stateTol.
func (s suite) longTrial(t *testing.T) {
	r := model.Awake().Frozen()
	r.AdaptTheta = true
	w := []float64{0.5, 1, 2, 1.5, 0.7, 0.2} // W[i·3+j]
	net := quiet(2, 3, w...)
	for k := range w {
		w[k] = float64(net.W[k]) // the closed form takes the stored (float32) weights
	}
	theta0 := []float64{3, 0, 7}
	copy(net.Theta, theta0)
	net.U[1], net.I[2] = -5, 4

	const dur = 20000.0
	var ins []model.InputSpike
	for k := 0; ; k++ {
		a, b := 3+37*float64(k), 20+53*float64(k)
		if a >= dur && b >= dur {
			break
		}
		if a < dur {
			ins = append(ins, model.InputSpike{T: a, Idx: 0})
		}
		if b < dur {
			ins = append(ins, model.InputSpike{T: b, Idx: 1})
		}
	}
	ins = append(ins, model.InputSpike{T: dur - 0.5, Idx: 0}) // a current still large at the end
	slices.SortFunc(ins, func(a, b model.InputSpike) int {
		if a.T != b.T {
			return cmp.Compare(a.T, b.T)
		}
		return int(a.Idx - b.Idx)
	})
	tr := model.Trial{Inputs: ins, Duration: dur}

	lifs := make([]lif, 3)
	for j := range lifs {
		lifs[j] = lif{tauM: r.Exc.TauM, tauS: r.TauS, u0: net.U[j], i0: net.I[j]}
		for _, in := range ins {
			lifs[j].in = append(lifs[j].in, jump{in.T, r.JIn * w[int(in.Idx)*3+j]})
		}
	}

	var rec []model.Spike
	e := s.build(t, net, r, &rec)
	counts := make([]int32, 3)
	if err := e.Present(&tr, counts); err != nil {
		t.Fatal(err)
	}
	if len(rec) != 0 {
		t.Fatalf("%d spikes (first %v): the inputs must stay below threshold", len(rec), rec[0])
	}
	close := func(got, want float64) bool { return math.Abs(got-want) <= stateTol*(1+math.Abs(want)) }
	for j, n := range lifs {
		u, i := n.at(dur)
		th := theta0[j] * math.Exp(-dur/r.TauTheta)
		if !close(net.U[j], u) || !close(net.I[j], i) || !close(net.Theta[j], th) {
			t.Errorf("neuron %d after %v ms: u, I, θ = %.15g, %.15g, %.15g; closed form %.15g, %.15g, %.15g",
				j, dur, net.U[j], net.I[j], net.Theta[j], u, i, th)
		}
		if math.Abs(i) < 0.1 {
			t.Fatalf("neuron %d: I = %v at the end: the case should end with a live current", j, i)
		}
	}
}

// stalePrediction: input 0 drives neuron 0 (weight 40) and neuron 1 (weight 21) at 1 ms.
// Alone, neuron 1 would cross at a closed-form time (solo); but neuron 0 crosses first, and
// its inhibitory partner fires (closed form again) before solo and inhibits neuron 1, whose
// crossing at solo must not happen: an engine that predicted it must drop the prediction. At 20 ms input 1 drives neuron 1 alone (weight 120): it
// fires at the closed-form root of its membrane with the inhibition included.
func (s suite) stalePrediction(t *testing.T) {
	r := model.Awake().Frozen()
	const w0, w1, w2, tIn, tRedrive = 40.0, 21.0, 120.0, 1.0, 20.0
	d := r.Exc.VThresh - r.Exc.VRest
	di := r.Inh.VThresh - r.Inh.VRest
	n0 := lif{tauM: r.Exc.TauM, tauS: r.TauS, in: []jump{{tIn, r.JIn * w0}}}
	n1 := lif{tauM: r.Exc.TauM, tauS: r.TauS, in: []jump{{tIn, r.JIn * w1}}}
	t0 := n0.crossing(d, 0, 30)
	relay := lif{tauM: r.Inh.TauM, tauS: r.TauS, in: []jump{{0, r.JEI}}}
	tInh := t0 + relay.crossing(di, 0, 10)
	solo := n1.crossing(d, 0, 30)
	// The preemption must hold on the engine's error bars: the inhibition (two links) lands
	// before neuron 1's solo crossing (one link) by more than their sum.
	if !(tInh+3*s.tol.Spike < solo) {
		t.Fatalf("inhibition at %v ms, neuron 1 alone at %v ms: no margin at Spike = %v ms", tInh, solo, s.tol.Spike)
	}
	n1.in = append(n1.in, jump{tInh, -r.JIE})
	if c := n1.crossing(d, 0, tRedrive); !math.IsInf(c, 1) {
		t.Fatalf("closed form: neuron 1 still crosses at %v ms despite the inhibition: fix the test", c)
	}
	n1.in = append(n1.in, jump{tRedrive, r.JIn * w2})
	t1 := n1.crossing(d, tRedrive, 40)
	if math.IsInf(t1, 1) {
		t.Fatal("closed form: the re-drive does not reach threshold: fix the test")
	}

	net := quiet(2, 2, w0, w1, 0, w2)
	var rec []model.Spike
	e := s.build(t, net, r, &rec)
	tr := model.Trial{Inputs: []model.InputSpike{{T: tIn, Idx: 0}, {T: tRedrive, Idx: 1}}, Duration: 40}
	counts := make([]int32, 2)
	if err := e.Present(&tr, counts); err != nil {
		t.Fatal(err)
	}
	ex := exc(rec)
	if len(ex) != 2 || ex[0].Idx != 0 || ex[1].Idx != 1 || len(rec) < 3 || rec[1] != (model.Spike{T: rec[1].T, Idx: 0, Inh: true}) {
		t.Fatalf("spikes %v: want neuron 0, its partner, then neuron 1 only after %v ms (alone it would fire at %v ms)", rec, tRedrive, solo)
	}
	for _, c := range []struct {
		what      string
		got, want float64
		links     float64
	}{{"neuron 0", ex[0].T, t0, 1}, {"inhibitory 0", rec[1].T, tInh, 2}, {"neuron 1", ex[1].T, t1, 3}} {
		if d := math.Abs(c.got - c.want); d > c.links*s.tol.Spike {
			t.Errorf("%s fired at %.12f ms, closed form %.12f ms: off by %.3g ms, tolerance %g", c.what, c.got, c.want, d, c.links*s.tol.Spike)
		}
	}
}

// fields names the slices of a snapshot.
var fields = []string{"W", "U", "I", "RefEnd", "Theta", "UI", "II", "RefEndI", "LastPre", "LastPost"}

// snapshot returns copies of every exported state slice of net, in the order of fields
// (the weights widened to float64, exactly).
func snapshot(net *model.Network) [][]float64 {
	w := make([]float64, len(net.W))
	for k, x := range net.W {
		w[k] = float64(x)
	}
	out := [][]float64{}
	for _, s := range [][]float64{w, net.U, net.I, net.RefEnd, net.Theta, net.UI, net.II, net.RefEndI, net.LastPre, net.LastPost} {
		out = append(out, slices.Clone(s))
	}
	return out
}

// sameBits reports whether a and b hold the same float64 bits everywhere.
func sameBits(a, b [][]float64) bool {
	return slices.EqualFunc(a, b, func(x, y []float64) bool {
		return slices.EqualFunc(x, y, func(p, q float64) bool { return math.Float64bits(p) == math.Float64bits(q) })
	})
}

// badInput: every malformed trial and counts slice is refused with an error, not a panic;
// the network is left bit for bit as it was, and the engine afterwards simulates a good
// trial exactly as a fresh engine does. An invalid regime is refused by the constructor.
func (s suite) badInput(t *testing.T) {
	r := model.Awake()
	mk := func() *model.Network {
		net := quiet(2, 2, 30, 1, 1, 30)
		net.Theta[1] = 2
		return net
	}
	net := mk()
	var got []model.Spike
	e := s.build(t, net, r, &got)
	good := model.Trial{Inputs: []model.InputSpike{{T: 1, Idx: 0}, {T: 2, Idx: 1}}, Duration: 10, Rest: 5}
	in := func(x ...model.InputSpike) []model.InputSpike { return x }
	nan, inf := math.NaN(), math.Inf(1)
	cases := []struct {
		name   string
		tr     model.Trial
		counts []int32
	}{
		{"counts too short", good, make([]int32, 1)},
		{"counts too long", good, make([]int32, 3)},
		{"counts empty", good, []int32{}},
		{"unsorted times", model.Trial{Inputs: in(model.InputSpike{T: 2}, model.InputSpike{T: 1}), Duration: 10}, nil},
		{"duplicate input", model.Trial{Inputs: in(model.InputSpike{T: 1}, model.InputSpike{T: 1}), Duration: 10}, nil},
		{"unsorted indices", model.Trial{Inputs: in(model.InputSpike{T: 1, Idx: 1}, model.InputSpike{T: 1}), Duration: 10}, nil},
		{"NaN time", model.Trial{Inputs: in(model.InputSpike{T: nan}), Duration: 10}, nil},
		{"+Inf time", model.Trial{Inputs: in(model.InputSpike{T: inf}), Duration: 10}, nil},
		{"-Inf time", model.Trial{Inputs: in(model.InputSpike{T: -inf}), Duration: 10}, nil},
		{"negative time", model.Trial{Inputs: in(model.InputSpike{T: -1}), Duration: 10}, nil},
		{"time at the end", model.Trial{Inputs: in(model.InputSpike{T: 10}), Duration: 10}, nil},
		{"index too large", model.Trial{Inputs: in(model.InputSpike{T: 1, Idx: 2}), Duration: 10}, nil},
		{"negative index", model.Trial{Inputs: in(model.InputSpike{T: 1, Idx: -1}), Duration: 10}, nil},
		{"zero duration", model.Trial{}, nil},
		{"negative duration", model.Trial{Duration: -10}, nil},
		{"NaN duration", model.Trial{Duration: nan}, nil},
		{"+Inf duration", model.Trial{Duration: inf}, nil},
		{"negative rest", model.Trial{Duration: 10, Rest: -5}, nil},
		{"NaN rest", model.Trial{Duration: 10, Rest: nan}, nil},
		{"+Inf rest", model.Trial{Duration: 10, Rest: inf}, nil},
	}
	before := snapshot(net)
	for _, c := range cases {
		counts := c.counts
		if counts == nil {
			counts = make([]int32, 2)
		}
		func() {
			defer func() {
				if p := recover(); p != nil {
					t.Errorf("%s: panic %v, want an error", c.name, p)
				}
			}()
			if err := e.Present(&c.tr, counts); err == nil {
				t.Errorf("%s: accepted", c.name)
			}
		}()
		if !sameBits(snapshot(net), before) {
			t.Fatalf("%s: the refused trial changed the network", c.name)
		}
	}

	// The engine that refused the trials still works: on the good trial it gives what a
	// fresh engine over a fresh network gives.
	if len(got) != 0 {
		t.Fatalf("refused trials recorded spikes %v", got)
	}
	var want []model.Spike
	cg, cw := make([]int32, 2), make([]int32, 2)
	if err := e.Present(&good, cg); err != nil {
		t.Fatal(err)
	}
	freshNet := mk()
	if err := s.build(t, freshNet, r, &want).Present(&good, cw); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cg, cw) || !slices.Equal(got, want) || !sameBits(snapshot(net), snapshot(freshNet)) || cw[0] == 0 {
		t.Errorf("after the refusals counts %v, spikes %v; fresh engine %v, %v (want equal, neuron 0 active)", cg, got, cw, want)
	}

	bad := model.Awake()
	bad.TauS = bad.Exc.TauM
	if _, err := s.newEngine(mk(), bad, nil); err == nil {
		t.Error("regime with TauS = Exc.TauM accepted")
	}
}

// runaway: with a refractory period of 0.01 ms, no lateral inhibition and an enormous
// input drive, three neurons fire ~100 kHz: the trial stops with event.ErrRunaway just past
// event.SpikeBudget, and the network is left finite. With the default 5 ms refractory
// period the same drive makes them fire at their ~200 Hz ceiling, which the guard
// (event.MaxRateHz = 1000 Hz) lets through: it stops runaway activity only.
func (s suite) runaway(t *testing.T) {
	ins := make([]model.InputSpike, 200)
	for k := range ins {
		ins[k] = model.InputSpike{T: float64(k) * 0.5}
	}
	tr := model.Trial{Inputs: ins, Duration: 100}
	r := model.Awake().Frozen()
	r.JIE = 0
	r.JIn *= 1000

	busy := quiet(1, 3, 1, 1, 1)
	counts := make([]int32, 3)
	if err := s.build(t, busy, r, nil).Present(&tr, counts); err != nil {
		t.Fatalf("neurons firing at their refractory ceiling were stopped: %v", err)
	}
	// At most one spike per refractory period (5 ms) plus the delay to threshold.
	for j, c := range counts {
		if c < 15 || c > 20 {
			t.Errorf("neuron %d fired %d times in 100 ms, want 15..20 (~200 Hz)", j, c)
		}
	}

	r.Exc.TRef = 0.01
	net := quiet(1, 3, 1, 1, 1)
	var rec []model.Spike
	err := s.build(t, net, r, &rec).Present(&tr, counts)
	if !errors.Is(err, event.ErrRunaway) {
		t.Fatalf("error %v, want event.ErrRunaway", err)
	}
	// The trial stops at the first spike beyond the budget; a grid engine finishes the step,
	// in which every neuron may have fired.
	budget := event.SpikeBudget(3, tr.Duration+tr.Rest)
	if n := int64(len(exc(rec))); n <= budget || n > budget+3 {
		t.Errorf("stopped after %d excitatory spikes, want the budget %d plus 1 to 3", n, budget)
	}
	for _, x := range snapshot(net) {
		for _, v := range x {
			if math.IsNaN(v) || math.IsInf(v, 1) {
				t.Fatalf("state after the stop holds %v", v)
			}
		}
	}
}

// alike fails unless a and b are the same spikes (neuron, population, order) with times
// within contTol relative.
func alike(t *testing.T, what string, a, b []model.Spike) {
	t.Helper()
	if len(a) != len(b) {
		t.Fatalf("%s: %d spikes against %d", what, len(a), len(b))
	}
	for k := range a {
		if a[k].Idx != b[k].Idx || a[k].Inh != b[k].Inh || math.Abs(a[k].T-b[k].T) > contTol*(1+math.Abs(a[k].T)) {
			t.Fatalf("%s: spike %d is %v against %v", what, k, a[k], b[k])
		}
	}
}

// trainNet is a small network with MNIST-sized input in Diehl & Cook's initial state, θ
// spread so that the neurons differ.
func trainNet(nExc int) *model.Network {
	net := model.NewNetwork(784, nExc, rand.New(rand.NewPCG(3, 4)))
	net.NormalizeColumns(78, nil)
	for j := range net.Theta {
		net.Theta[j] = 0.5 * float64(j%5)
	}
	return net
}

// determinism: training (STDP, adaptive thresholds, normalization between trials) on the
// same network with the same trials twice gives identical counts, spikes and state bits.
func (s suite) determinism(t *testing.T) {
	const nExc = 12
	trials := Trials(21, 3, 350, 150)
	r := model.AwakeN(nExc).ForImage(0) // early training: inhibition ×WarmupInh
	run := func() ([]model.Spike, [][]int32, [][]float64) {
		net := trainNet(nExc)
		var rec []model.Spike
		e := s.build(t, net, r, &rec)
		var counts [][]int32
		for k := range trials {
			net.NormalizeColumns(r.ColumnSum, nil)
			c := make([]int32, nExc)
			if err := e.Present(&trials[k], c); err != nil {
				t.Fatal(err)
			}
			counts = append(counts, c)
		}
		return rec, counts, snapshot(net)
	}
	ra, ca, sa := run()
	rb, cb, sb := run()
	if len(exc(ra)) == 0 || len(exc(ra)) == len(ra) {
		t.Fatalf("%d spikes, %d excitatory: the case must exercise both populations", len(ra), len(exc(ra)))
	}
	if !slices.Equal(ra, rb) || !slices.EqualFunc(ca, cb, slices.Equal) || !sameBits(sa, sb) {
		t.Fatal("two identical runs differ")
	}
}

// continuity: the engines carry the state across trials by re-expressing it at the next
// trial's local time 0 (model.Network). So one training trial of 700 ms of input (two
// MNIST-like presentations back to back) and 150 ms of rest gives the same spikes, counts
// and final state, up to the rounding of shifted times (contTol), as the same input cut
// into three trials. Each cut is placed just after an excitatory spike, so that a neuron
// is refractory, its partner's relay and the currents are live across the boundary. STDP
// and θ are on.
//
// No input lies in the first 0.5 ms after a cut: a grid engine delivers an input at its
// nearest grid point, and the one at a trial's local 0 belongs to the previous trial's
// last step, which a trial cannot reach back into; it delivers such inputs at its first
// step, dt late (event/stepped).
func (s suite) continuity(t *testing.T) {
	const nExc, dur, rest = 12, 700.0, 150.0
	two := Trials(22, 2, dur/2, 0)
	ins := slices.Clone(two[0].Inputs)
	for _, in := range two[1].Inputs {
		ins = append(ins, model.InputSpike{T: in.T + dur/2, Idx: in.Idx})
	}
	r := model.AwakeN(nExc).ForImage(0) // early training: inhibition ×WarmupInh
	whole := func(ins []model.InputSpike) ([]model.Spike, []int32, *model.Network) {
		net := trainNet(nExc)
		var rec []model.Spike
		counts := make([]int32, nExc)
		tr := model.Trial{Inputs: ins, Duration: dur, Rest: rest}
		if err := s.build(t, net, r, &rec).Present(&tr, counts); err != nil {
			t.Fatal(err)
		}
		return rec, counts, net
	}
	// Cut at the first point of the 0.5 ms input grid after the first excitatory spike past
	// 100 ms (its partner's relay is still on its way), then at the first one at least
	// 1 ms after the first spike past 400 ms (its partner has fired and is refractory too),
	// clearing the input after each cut. A later gap cannot move an earlier spike, so each
	// cut keeps the spike it was placed after.
	type cutAt struct {
		t        float64
		j        int32
		exc, inh float64 // the spike before the cut and its partner's relay (+Inf: pending)
	}
	var cuts []cutAt
	for _, c := range []struct{ after, delay float64 }{{100, 0}, {400, 1}} {
		rec, _, _ := whole(ins)
		cut := cutAt{t: math.Inf(1), inh: math.Inf(1)}
		for k, x := range rec {
			if x.Inh || x.T <= c.after {
				continue
			}
			cut = cutAt{t: math.Floor((x.T+c.delay)/0.5)*0.5 + 0.5, j: x.Idx, exc: x.T, inh: math.Inf(1)}
			for _, y := range rec[k:] {
				if y.Inh && y.Idx == x.Idx && y.T < cut.t {
					cut.inh = y.T
				}
			}
			break
		}
		if cut.t > dur-10 {
			t.Fatalf("no excitatory spike between %v and %v ms: the case must have activity", c.after, dur-10)
		}
		cuts = append(cuts, cut)
		ins = slices.DeleteFunc(ins, func(x model.InputSpike) bool { return x.T >= cut.t && x.T < cut.t+0.5 })
	}
	if !math.IsInf(cuts[0].inh, 1) || math.IsInf(cuts[1].inh, 1) {
		t.Fatalf("cuts %+v: want the first relay pending across its cut, the second done", cuts)
	}
	joined, cWhole, once := whole(ins)

	net := trainNet(nExc)
	var split []model.Spike
	e := s.build(t, net, r, &split)
	cSplit := make([]int32, nExc)
	bounds := []float64{0, cuts[0].t, cuts[1].t, dur}
	for p := range 3 {
		lo, hi := bounds[p], bounds[p+1]
		tr := model.Trial{Duration: hi - lo}
		if p == 2 {
			tr.Rest = rest
		}
		for _, x := range ins {
			if x.T >= lo && x.T < hi {
				tr.Inputs = append(tr.Inputs, model.InputSpike{T: x.T - lo, Idx: x.Idx})
			}
		}
		first := len(split)
		counts := make([]int32, nExc)
		if err := e.Present(&tr, counts); err != nil {
			t.Fatal(err)
		}
		for k := first; k < len(split); k++ {
			split[k].T += lo
		}
		for j := range counts {
			cSplit[j] += counts[j]
		}
		if p == 2 {
			continue
		}
		// Across the cut the refractory ends are carried in the next trial's local time.
		c := cuts[p]
		wantRef, wantRefI := c.exc+r.Exc.TRef-c.t, c.inh+r.Inh.TRef-c.t
		if math.Abs(net.RefEnd[c.j]-wantRef) > contTol {
			t.Errorf("cut at %v ms: neuron %d that fired at %v ms has RefEnd %v, want %v", c.t, c.j, c.exc, net.RefEnd[c.j], wantRef)
		}
		if p == 1 && math.Abs(net.RefEndI[c.j]-wantRefI) > contTol {
			t.Errorf("cut at %v ms: inhibitory %d that fired at %v ms has RefEndI %v, want %v", c.t, c.j, c.inh, net.RefEndI[c.j], wantRefI)
		}
	}

	if n := len(exc(joined)); n < 10 {
		t.Fatalf("%d excitatory spikes: the case must exercise the engine", n)
	}
	if testing.Verbose() {
		t.Logf("%d spikes, %d excitatory, cuts %+v", len(joined), len(exc(joined)), cuts)
	}
	alike(t, "three trials against one", split, joined)
	if !slices.Equal(cSplit, cWhole) {
		t.Errorf("counts: %v summed over three trials, %v in one", cSplit, cWhole)
	}
	a, b := snapshot(net), snapshot(once)
	for f := range a {
		for k := range a[f] {
			x, y := a[f][k], b[f][k]
			if x != y && !(math.Abs(x-y) <= contTol*(1+math.Abs(y))) {
				t.Fatalf("%s[%d]: %.15g over three trials, %.15g in one", fields[f], k, x, y)
			}
		}
	}
}

// replay: with the sleep replay rule (model.Replay) on, the weights after a trial are those
// that the rule's formula gives at the engine's own excitatory spikes: at a spike of j at
// T, each input whose last spike lies in [T-Window, T] moves up by Inc·2/(1+e^{w/Scale}),
// at most WMax, every other input down by Dec·2/(1+e^{w/Scale}), at least 0. The rule is
// written out here from that description; the spike times are the engine's record. Input
// times lie on the 0.5 ms grid, so a grid engine receives each at its time; it delivers
// the inputs of a step before it tests thresholds, so an input at T counts for a grid
// engine's spike at T (a continuous-time one has none at the same time).
func (s suite) replay(t *testing.T) {
	const nExc, window = 12, 5.0
	tr := Trials(23, 1, 350, 150)[0]
	var ins []model.InputSpike
	for _, x := range tr.Inputs {
		if g := math.Round(x.T/0.5) * 0.5; g >= 0.5 && g < tr.Duration {
			ins = append(ins, model.InputSpike{T: g, Idx: x.Idx})
		}
	}
	slices.SortFunc(ins, func(a, b model.InputSpike) int {
		if c := cmp.Compare(a.T, b.T); c != 0 {
			return c
		}
		return int(a.Idx) - int(b.Idx)
	})
	tr.Inputs = slices.Compact(ins)
	ins = tr.Inputs
	rule := model.Replay{On: true, Inc: 0.05, Dec: 0.01, Scale: 0.1, Window: window}
	c := model.SleepChanges{LeakScale: 1, ExcGain: 2, InhScale: 0.25, STDP: true, Threshold: true, Rule: model.RuleReplay, Replay: rule}.AsAwakeRates()
	r := model.Sleep(model.AwakeN(nExc), c)
	net := trainNet(nExc)
	w0 := slices.Clone(net.W)
	var rec []model.Spike
	if err := s.build(t, net, r, &rec).Present(&tr, make([]int32, nExc)); err != nil {
		t.Fatal(err)
	}
	spikes := exc(rec)
	if len(spikes) < 5 {
		t.Fatalf("%d excitatory spikes: the case needs activity", len(spikes))
	}
	want := slices.Clone(w0)
	last := make([]float64, net.NIn)
	for i := range last {
		last[i] = math.Inf(-1)
	}
	k := 0
	for _, x := range spikes {
		for k < len(ins) && (ins[k].T < x.T || s.tol.Dt > 0 && ins[k].T == x.T) {
			last[ins[k].Idx] = ins[k].T
			k++
		}
		j := int(x.Idx)
		for i := range net.NIn {
			w := &want[i*nExc+j]
			v := float64(*w)
			soft := 2 / (1 + math.Exp(v/rule.Scale))
			if x.T-last[i] <= window { // in float64, rounded to the stored float32
				*w = float32(math.Min(v+rule.Inc*soft, r.WMax))
			} else {
				*w = float32(math.Max(v-rule.Dec*soft, 0))
			}
		}
	}
	up, down := 0, 0
	for q := range want {
		if math.Abs(float64(net.W[q])-float64(want[q])) > 1e-12 {
			t.Fatalf("w[%d][%d] = %v, want %v (was %v)", q/nExc, q%nExc, net.W[q], want[q], w0[q])
		}
		switch {
		case want[q] > w0[q]:
			up++
		case want[q] < w0[q]:
			down++
		}
	}
	if up == 0 || down == 0 {
		t.Fatalf("%d weights rose and %d fell: the case must exercise both halves of the rule", up, down)
	}
}
