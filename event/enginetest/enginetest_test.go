package enginetest

import (
	"math"
	"testing"

	"github.com/evsim/evsim/model"
)

func TestAgreement(t *testing.T) {
	a := []model.Spike{{T: 1, Idx: 0}, {T: 2, Idx: 0}, {T: 5, Idx: 1}, {T: 5, Idx: 1, Inh: true}}
	cases := []struct {
		b    []model.Spike
		tol  float64
		want float64
	}{
		{a, 0, 1},
		{[]model.Spike{{T: 1.05, Idx: 0}, {T: 2.2, Idx: 0}, {T: 5, Idx: 1}}, 0.1, 0.5}, // 2.2 too far; inhibitory spike missing
		{[]model.Spike{{T: 1.05, Idx: 0}}, 0.1, 0.25},                                  // one partner serves one spike only
		{[]model.Spike{{T: 5, Idx: 2}}, 1, 0},                                          // wrong neuron
		{nil, 1, 0},
	}
	for _, c := range cases {
		if got := Agreement(a, c.b, c.tol); got != c.want {
			t.Errorf("Agreement(a, %v, %v) = %v, want %v", c.b, c.tol, got, c.want)
		}
	}
	if got := Agreement(nil, nil, 1); got != 1 {
		t.Errorf("Agreement(nil, nil) = %v, want 1", got)
	}
}

func TestTrialsAreSeededAndValid(t *testing.T) {
	a, b := Trials(3, 2, 350, 150), Trials(3, 2, 350, 150)
	c := Trials(4, 2, 350, 150)
	for k := range a {
		if err := a[k].Check(784); err != nil {
			t.Fatal(err)
		}
		if len(a[k].Inputs) < 500 {
			t.Fatalf("trial %d has %d input spikes; MNIST-like input gives ~1000-3000", k, len(a[k].Inputs))
		}
		if len(a[k].Inputs) != len(b[k].Inputs) || a[k].Inputs[10] != b[k].Inputs[10] {
			t.Fatal("same seed, different trials")
		}
	}
	if len(a[0].Inputs) == len(c[0].Inputs) && a[0].Inputs[10] == c[0].Inputs[10] {
		t.Fatal("different seeds, same trials")
	}
}

// TestClosedFormSolvesTheModel checks the suite's own oracle: between jumps, lif satisfies
// model's documented equations du/dt = (-u+I)/τm, dI/dt = -I/τs (central differences), each
// jump adds J to I and leaves u continuous, and firstAbove finds a known root.
func TestClosedFormSolvesTheModel(t *testing.T) {
	n := lif{tauM: 100, tauS: 1, u0: 3, i0: -2, in: []jump{{5, 40}, {7.5, -25}, {30, 10}}}
	const h = 1e-5
	for _, s := range []float64{0.5, 4, 6, 12.25, 29, 80} {
		u, i := n.at(s)
		up, ip := n.at(s + h)
		um, im := n.at(s - h)
		du, di := (up-um)/(2*h), (ip-im)/(2*h)
		if math.Abs(du-(-u+i)/n.tauM) > 1e-6 || math.Abs(di+i/n.tauS) > 1e-6 {
			t.Errorf("t = %v: du/dt = %v, di/dt = %v; the equations give %v, %v", s, du, di, (-u+i)/n.tauM, -i/n.tauS)
		}
	}
	for _, x := range n.in {
		ub, ib := n.at(x.T - 1e-12)
		ua, ia := n.at(x.T)
		if math.Abs(ua-ub) > 1e-9 || math.Abs(ia-ib-x.J) > 1e-9 {
			t.Errorf("jump %v: u %v -> %v, I %v -> %v", x, ub, ua, ib, ia)
		}
	}
	if got := firstAbove(func(s float64) float64 { return s*s - 2 }, 0, 5); math.Abs(got-math.Sqrt2) > 1e-12 {
		t.Errorf("firstAbove(s² - 2) = %v, want √2", got)
	}
	if got := firstAbove(func(s float64) float64 { return -1 }, 0, 5); !math.IsInf(got, 1) {
		t.Errorf("firstAbove(-1) = %v, want +Inf", got)
	}
}
