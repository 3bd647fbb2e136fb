package runner

import (
	"context"
	"math"
	"testing"

	"github.com/evsim/evsim/model"
	"github.com/evsim/evsim/runner/mnist"
)

// TestReplaySleepEnginesAgree: a short sleep with the replay rule (inhibition off, θ
// frozen) changes the weights alike on the event engine and on the time-stepped one at a
// fine grid: the per-synapse changes correlate above 0.95 and their totals agree within
// 5 %. The rule potentiates and depresses (both halves run), and leaves θ as it was.
func TestReplaySleepEnginesAgree(t *testing.T) {
	set := trainSet(t, 50)
	base := NewNetwork(mnist.Pixels, 20, 5)
	if _, err := Train(context.Background(), base, TrainConfig{Set: set, Count: 50, Seed: 5, Engine: EngineSpec{Kind: "event"}, Regime: model.AwakeN(20)}); err != nil {
		t.Fatal(err)
	}
	var dw [2][]float64
	for k, spec := range []EngineSpec{{Kind: "event"}, {Kind: "stepped", Dt: 0.05}} {
		net := base.Clone()
		cfg := ReplaySleep()
		cfg.Mean, cfg.Seed, cfg.Engine, cfg.Awake, cfg.DurationMS = MeanImage(set, 50), 5, spec, model.AwakeN(20), 1000
		st, err := Sleep(context.Background(), net, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if st.ExcSpikes < 20 || st.ThetaRose+st.ThetaFell != 0 {
			t.Fatalf("%v: %d spikes, θ rose %d fell %d: want activity and frozen θ", spec, st.ExcSpikes, st.ThetaRose, st.ThetaFell)
		}
		up, down := 0, 0
		for q, w := range net.W {
			d := float64(w) - float64(base.W[q])
			dw[k] = append(dw[k], d)
			if d > 0 {
				up++
			} else if d < 0 {
				down++
			}
		}
		if up == 0 || down == 0 {
			t.Fatalf("%v: %d weights rose, %d fell: want both", spec, up, down)
		}
	}
	var sa, sb, sab, saa, sbb float64
	for q := range dw[0] {
		a, b := dw[0][q], dw[1][q]
		sa, sb, sab, saa, sbb = sa+math.Abs(a), sb+math.Abs(b), sab+a*b, saa+a*a, sbb+b*b
	}
	if r := sab / math.Sqrt(saa*sbb); r < 0.95 || math.Abs(sa-sb) > 0.05*sa {
		t.Fatalf("event and stepped sleeps differ: correlation of weight changes %.4f, total |Δw| %.4g against %.4g", r, sa, sb)
	}
}
