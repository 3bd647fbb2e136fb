package event_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/evsim/evsim/event"
	"github.com/evsim/evsim/event/enginetest"
	"github.com/evsim/evsim/event/stepped"
	"github.com/evsim/evsim/model"
)

// convergenceNet is a 100-neuron network in a partly trained state: weights normalized to
// Diehl & Cook's column sum, thresholds θ ~ U[10, 25] mV (the range training reaches).
func convergenceNet(nExc int) *model.Network {
	net := model.NewNetwork(784, nExc, rand.New(rand.NewPCG(1, 2)))
	net.NormalizeColumns(78, nil)
	rng := rand.New(rand.NewPCG(5, 5))
	for j := range net.Theta {
		net.Theta[j] = 10 + 15*rng.Float64()
	}
	return net
}

// record runs trials on p and returns all spikes on one time axis.
func record(t *testing.T, p enginetest.Presenter, rec *[]model.Spike, nExc int, trials []model.Trial) []model.Spike {
	t.Helper()
	counts := make([]int32, nExc)
	off := 0.0
	for k := range trials {
		first := len(*rec)
		if err := p.Present(&trials[k], counts); err != nil {
			t.Fatal(err)
		}
		for m := first; m < len(*rec); m++ {
			(*rec)[m].T += off
		}
		off += trials[k].Duration + trials[k].Rest
	}
	return *rec
}

func eventSpikes(t *testing.T, net *model.Network, r model.Regime, trials []model.Trial) []model.Spike {
	e, err := event.New(net, r)
	if err != nil {
		t.Fatal(err)
	}
	var rec []model.Spike
	e.Record = &rec
	return record(t, e, &rec, net.NExc, trials)
}

func steppedSpikes(t *testing.T, net *model.Network, r model.Regime, dt float64, trials []model.Trial) []model.Spike {
	s, err := stepped.New(net, r, dt)
	if err != nil {
		t.Fatal(err)
	}
	var rec []model.Spike
	s.Record = &rec
	return record(t, s, &rec, net.NExc, trials)
}

// TestConvergence: with the same input spikes, the stepped reference's spikes converge to
// the event engine's as dt shrinks. Prints the dt-vs-agreement table (-v).
func TestConvergence(t *testing.T) {
	if testing.Short() {
		t.Skip("convergence sweep takes seconds")
	}
	cases := []struct {
		name     string
		ff       bool
		trials   []model.Trial
		tol      float64
		minFinal float64 // agreement required at dt = 0.01 ms
	}{
		// (a) feedforward, plasticity off, 1 s of MNIST-like input.
		{"feedforward", true, enginetest.Trials(7, 1, 1000, 0), 0.05, 0.97},
		// (b) full Diehl & Cook wiring, forty 350 ms presentations with 150 ms rests.
		{"lateral inhibition", false, enginetest.Trials(8, 40, 350, 150), 0.1, 0.95},
	}
	dts := []float64{0.5, 0.1, 0.05, 0.01}
	var table strings.Builder
	fmt.Fprintf(&table, "\n%-20s %8s %8s %8s %10s\n", "case", "dt (ms)", "spikes", "ref", "agreement")
	for _, c := range cases {
		r := model.Awake().Frozen()
		if c.ff {
			r.JEI, r.JIE = 0, 0
		}
		// Every presentation starts from the same network state in both engines, so that one
		// diverging race does not carry over (through membranes and rests) to the next.
		var ev []model.Spike
		for k := range c.trials {
			ev = append(ev, shift(eventSpikes(t, convergenceNet(100), r, c.trials[k:k+1]), float64(k)*1e4)...)
		}
		exc := 0
		for _, s := range ev {
			if !s.Inh {
				exc++
			}
		}
		if exc < 100 {
			t.Fatalf("%s: only %d excitatory spikes: the case does not exercise the engines", c.name, exc)
		}
		prev := -1.0
		for _, dt := range dts {
			var st []model.Spike
			for k := range c.trials {
				st = append(st, shift(steppedSpikes(t, convergenceNet(100), r, dt, c.trials[k:k+1]), float64(k)*1e4)...)
			}
			a := enginetest.Agreement(ev, st, c.tol)
			fmt.Fprintf(&table, "%-20s %8.3f %8d %8d %9.2f%%  (within %.2f ms)\n", c.name, dt, len(ev), len(st), 100*a, c.tol)
			if a < prev {
				t.Errorf("%s: agreement fell from %.4f to %.4f as dt shrank to %v", c.name, prev, a, dt)
			}
			prev = a
		}
		if prev < c.minFinal {
			t.Errorf("%s: agreement %.4f at dt = 0.01 ms, want >= %.4f", c.name, prev, c.minFinal)
		}
	}
	t.Log(table.String())
}

func shift(s []model.Spike, d float64) []model.Spike {
	for k := range s {
		s[k].T += d
	}
	return s
}
