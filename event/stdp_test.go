package event_test

import (
	"math"
	"slices"
	"testing"

	"github.com/evsim/evsim/event/enginetest"
	"github.com/evsim/evsim/model"
)

// TestSTDPMatchesReplay: the weights the engine learns with its lazy traces (the
// depression traces kept as products of per-input and per-neuron factors, refreshed at
// each frame move and at the start of each trial) are the weights that the rule gives,
// computed directly (model.Trace, one exponential per synapse and spike) over the same
// input and excitatory spikes, to within a few float32 roundings. Three trials of 350 ms:
// the frame moves many times within each, and the spike times shift between trials; after
// a rest of 150 ms, and after one of 5 ms, so that neurons that fired near the end of a
// trial still depress synapses in the next. And with τpost1 far below τs, where the
// factors would overflow over a frame as long as the default one.
func TestSTDPMatchesReplay(t *testing.T) {
	for _, c := range []struct {
		name     string
		rest     float64
		tauPost1 float64 // 0: the default
	}{{"rest150", 150, 0}, {"rest5", 5, 0}, {"tauPost1=tauS/50", 150, 0.02}} {
		t.Run(c.name, func(t *testing.T) { stdpMatchesReplay(t, c.rest, c.tauPost1) })
	}
}

func stdpMatchesReplay(t *testing.T, rest, tauPost1 float64) {
	const nExc = 37
	trials := enginetest.Trials(41, 3, 350, rest)
	r := model.AwakeN(nExc).ForImage(0)
	if tauPost1 > 0 {
		r.TauPost1 = tauPost1
	}
	net := trainNet(nExc)
	rec, _, got := trainRun(t, net, r, trials, nil)

	replay := func(depress bool) *model.Network {
		n := net.Clone()
		all := make([]int32, max(n.NIn, n.NExc))
		for k := range all {
			all[k] = int32(k)
		}
		spikes := rec
		for k := range trials {
			n.NormalizeColumns(r.ColumnSum, nil)
			total := trials[k].Duration + trials[k].Rest
			ins := trials[k].Inputs
			// This trial's excitatory spikes: those of rec up to the first time that goes
			// back (the next trial starts again at 0).
			var exc []model.Spike
			m := 0
			for ; m < len(spikes) && (m == 0 || spikes[m].T >= spikes[m-1].T); m++ {
				if !spikes[m].Inh {
					exc = append(exc, spikes[m])
				}
			}
			spikes = spikes[m:]
			// In time order; at equal times a crossing comes before an input, as in the engine.
			for a, b := 0, 0; a < len(ins) || b < len(exc); {
				if b < len(exc) && (a == len(ins) || exc[b].T <= ins[a].T) {
					j := int(exc[b].Idx)
					r.Potentiate(n, j, exc[b].T, all[:n.NIn])
					n.LastPost[j] = exc[b].T
					b++
					continue
				}
				if depress {
					r.Depress(n, int(ins[a].Idx), ins[a].T, all[:n.NExc])
				}
				n.LastPre[ins[a].Idx] = ins[a].T
				a++
			}
			n.ShiftTime(total)
		}
		if len(spikes) != 0 {
			t.Fatalf("%d spikes left after the last trial", len(spikes))
		}
		return n
	}
	want := replay(true)
	worst := 0.0
	for k := range want.W {
		worst = max(worst, math.Abs(float64(got.W[k])-float64(want.W[k])))
	}
	if !(worst <= 1e-6) { // also NaN
		t.Fatalf("the engine's weights differ from the direct rule by up to %g", worst)
	}
	// The comparison must see depression: without it the weights differ far more.
	noDep := replay(false)
	dep := 0.0
	for k := range want.W {
		dep = max(dep, math.Abs(float64(noDep.W[k])-float64(want.W[k])))
	}
	if dep < 1e-5 {
		t.Fatalf("depression changed the weights by at most %g: the case does not exercise it", dep)
	}
	if n := len(slices.DeleteFunc(slices.Clone(rec), func(s model.Spike) bool { return s.Inh })); n < 20 {
		t.Fatalf("only %d excitatory spikes: the case must exercise STDP", n)
	}
	t.Logf("%d spikes; weights within %g of the direct rule (depression moves them by up to %g)", len(rec), worst, dep)
}
