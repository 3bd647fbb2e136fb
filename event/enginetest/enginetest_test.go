package enginetest

import (
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
