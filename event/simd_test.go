package event_test

import (
	"errors"
	"runtime"
	"slices"
	"testing"

	"github.com/evsim/evsim/event"
	"github.com/evsim/evsim/event/enginetest"
	"github.com/evsim/evsim/event/internal/vec"
	"github.com/evsim/evsim/model"
)

// trainRun trains a copy of net on trials (STDP, adaptive thresholds, normalization before
// each trial, as runner.Train does) and returns every spike, the counts and the final state.
func trainRun(t *testing.T, net *model.Network, r model.Regime, trials []model.Trial, setup func(*event.Engine)) ([]model.Spike, []int32, *model.Network) {
	t.Helper()
	net = net.Clone()
	e, err := event.New(net, r)
	if err != nil {
		t.Fatal(err)
	}
	if setup != nil {
		setup(e)
	}
	var rec []model.Spike
	e.Record = &rec
	var all []int32
	for k := range trials {
		net.NormalizeColumns(r.ColumnSum, nil)
		c := make([]int32, net.NExc)
		if err := e.Present(&trials[k], c); err != nil {
			t.Fatal(err)
		}
		all = append(all, c...)
	}
	return rec, all, net
}

// stateBits lists every float of a network's state, weights included (widened: exact).
func stateBits(n *model.Network) [][]float64 {
	w := make([]float64, len(n.W))
	for k, x := range n.W {
		w[k] = float64(x)
	}
	return [][]float64{w, n.U, n.I, n.RefEnd, n.Theta, n.UI, n.II, n.RefEndI, n.LastPre, n.LastPost}
}

func sameState(a, b *model.Network) bool {
	return slices.EqualFunc(stateBits(a), stateBits(b), func(x, y []float64) bool {
		return slices.EqualFunc(x, y, func(p, q float64) bool { return p == q || (p != p && q != q) })
	})
}

// TestSIMDMatchesPortable: training with the AVX2 kernels and with the portable Go path
// gives the same spikes (times to the bit), counts and final state (every weight). 37
// neurons: the kernels' 8-lane loop and their scalar tail both run.
func TestSIMDMatchesPortable(t *testing.T) {
	if !vec.SIMD() {
		t.Log("this CPU has no AVX2: both runs take the portable path")
	}
	const nExc = 37
	trials := enginetest.Trials(31, 4, 350, 150)
	r := model.AwakeN(nExc).ForImage(0)
	net := trainNet(nExc)
	rs, cs, ns := trainRun(t, net, r, trials, nil)
	vec.ForcePortable(true)
	defer vec.ForcePortable(false)
	rp, cp, np := trainRun(t, net, r, trials, nil)
	if len(rs) < 10 {
		t.Fatalf("only %d spikes: the case must exercise spikes and STDP", len(rs))
	}
	if !slices.Equal(rs, rp) || !slices.Equal(cs, cp) || !sameState(ns, np) {
		t.Fatal("the AVX2 and portable paths differ")
	}
	if sameState(net, ns) {
		t.Fatal("training changed nothing: the comparison would be empty")
	}
}

// trainNet is a network with MNIST-sized input in Diehl & Cook's initial state, θ spread.
func trainNet(nExc int) *model.Network {
	net := convergenceNet(nExc)
	for j := range net.Theta {
		net.Theta[j] = 0.5 * float64(j%5)
	}
	return net
}

// TestWorkersIdentical: training one network with its fan-out spread over 1 to 4
// goroutines gives the same spikes, counts and final state, bit for bit, on both kernel
// paths. Blocks of 8 neurons here, so that 37 neurons make uneven blocks and tails, and
// the blocks are cut anew every 3 input spikes, block 0 growing by 8 until the next cut
// would leave another block without 8 neurons, then starting over at 8: the cuts move
// both ways during the trials, whatever the timing.
func TestWorkersIdentical(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4)) // SetWorkers gives no more workers than this
	defer event.SetMinBlock(8)()
	defer event.SetAdaptJobs(3)()
	cuts, top := map[int]bool{}, 0
	defer event.OnCut(func(s0 int) { cuts[s0] = true }, func(s0 int) int {
		if s0+8 > top {
			return 8
		}
		return s0 + 8
	})()
	const nExc = 37
	trials := enginetest.Trials(32, 4, 350, 150)
	r := model.AwakeN(nExc).ForImage(0)
	net := trainNet(nExc)
	for _, portable := range []bool{false, true} {
		vec.ForcePortable(portable)
		r1, c1, n1 := trainRun(t, net, r, trials, nil)
		if len(r1) < 10 {
			t.Fatalf("only %d spikes: the case must exercise spikes and STDP", len(r1))
		}
		for _, w := range []int{2, 3, 4} {
			var got int
			clear(cuts)
			top = (37 - 8*(w-1)) / 8 * 8 // the largest block 0 that leaves 8 to each other block
			rw, cw, nw := trainRun(t, net, r, trials, func(e *event.Engine) { e.SetWorkers(w); got = e.Workers() })
			if got != w {
				t.Fatalf("SetWorkers(%d): Workers() = %d", w, got)
			}
			if !slices.Equal(r1, rw) || !slices.Equal(c1, cw) || !sameState(n1, nw) {
				t.Fatalf("portable=%v: %d workers differ from one", portable, w)
			}
			if len(cuts) != top/8 {
				t.Fatalf("%d workers: block 0 was cut at %v, want every multiple of 8 up to %d", w, cuts, top)
			}
		}
	}
	vec.ForcePortable(false)
}

// SetWorkers never gives a worker fewer than the smallest block (1,024 neurons by
// default), nor more workers than GOMAXPROCS.
func TestWorkersLimit(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	restore := event.SetMinBlock(8)
	big, err := event.New(trainNet(37), model.Awake())
	if err != nil {
		t.Fatal(err)
	}
	if big.SetWorkers(4); big.Workers() != 2 {
		t.Fatalf("blocks of 8, GOMAXPROCS 2, SetWorkers(4): Workers() = %d, want 2", big.Workers())
	}
	restore()
	e, err := event.New(trainNet(37), model.Awake())
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{-1, 0, 1, 2, 64} {
		if e.SetWorkers(n); e.Workers() != 1 {
			t.Fatalf("37 neurons, SetWorkers(%d): Workers() = %d, want 1", n, e.Workers())
		}
	}
}

// TestWorkersRunaway: a trial stopped by the spike budget (ErrRunaway) leaves the same
// state behind, bit for bit, with 1 and 2 workers: the write-back at the stop is a job of
// the fan-out too.
func TestWorkersRunaway(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	defer event.SetMinBlock(8)()
	const nExc = 37
	trials := enginetest.Trials(33, 1, 350, 150)
	r := model.AwakeN(nExc).ForImage(0)
	r.JIn *= 1000 // every neuron fires as fast as it can, the refractory period tiny
	r.JIE, r.Exc.TRef = 0, 0.1
	run := func(w int) ([]model.Spike, *model.Network) {
		net := trainNet(nExc)
		e, err := event.New(net, r)
		if err != nil {
			t.Fatal(err)
		}
		e.SetWorkers(w)
		if e.Workers() != w {
			t.Fatalf("SetWorkers(%d): Workers() = %d", w, e.Workers())
		}
		var rec []model.Spike
		e.Record = &rec
		if err := e.Present(&trials[0], make([]int32, nExc)); !errors.Is(err, event.ErrRunaway) {
			t.Fatalf("%d workers: %v, want ErrRunaway", w, err)
		}
		return rec, net
	}
	r1, n1 := run(1)
	r2, n2 := run(2)
	if !slices.Equal(r1, r2) || !sameState(n1, n2) {
		t.Fatal("2 workers leave a different state from one after a runaway trial")
	}
}
