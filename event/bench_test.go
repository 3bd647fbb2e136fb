package event_test

import (
	"encoding/binary"
	"fmt"
	"math/bits"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/evsim/evsim/event"
	"github.com/evsim/evsim/event/enginetest"
	"github.com/evsim/evsim/event/internal/vec"
	"github.com/evsim/evsim/event/stepped"
	"github.com/evsim/evsim/model"
)

// BenchmarkPresent times one 350 ms + 150 ms presentation of MNIST-like input, plasticity
// off, on both engines side by side (event, and stepped at dt = 0.5 ms).
func BenchmarkPresent(b *testing.B) {
	trials := enginetest.Trials(11, 32, 350, 150)
	r := model.Awake().Frozen()
	for _, n := range []int{100, 400} {
		b.Run(fmt.Sprintf("engine=event/n=%d", n), func(b *testing.B) {
			e, err := event.New(convergenceNet(n), r)
			if err != nil {
				b.Fatal(err)
			}
			benchPresent(b, e, n, trials, func() int64 { return e.Stats.SynEvents })
		})
		b.Run(fmt.Sprintf("engine=stepped/n=%d", n), func(b *testing.B) {
			s, err := stepped.New(convergenceNet(n), r, 0.5)
			if err != nil {
				b.Fatal(err)
			}
			benchPresent(b, s, n, trials, func() int64 { return s.Stats.SynEvents })
		})
	}
}

func benchPresent(b *testing.B, p enginetest.Presenter, n int, trials []model.Trial, syn func() int64) {
	counts := make([]int32, n)
	b.ReportAllocs()
	k := 0
	syn0 := syn()
	for b.Loop() {
		if err := p.Present(&trials[k%len(trials)], counts); err != nil {
			b.Fatal(err)
		}
		k++
	}
	sec := b.Elapsed().Seconds()
	b.ReportMetric(float64(k)/sec, "presentations/s")
	b.ReportMetric(float64(syn()-syn0)/sec, "synevents/s")
}

// BenchmarkFloor is the bare fan-out loop over the same input spikes as BenchmarkPresent:
// the kernel (vec.Axpy2) over each input's weight row, and nothing else. The engine's
// synevents/s divided by this one's says how close it runs to the hardware.
func BenchmarkFloor(b *testing.B) {
	trials := enginetest.Trials(11, 32, 350, 150)
	for _, n := range []int{100, 400} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			net := convergenceNet(n)
			a, c := make([]float64, n), make([]float64, n)
			var syn int64
			k := 0
			for b.Loop() {
				for _, in := range trials[k%len(trials)].Inputs {
					i := int(in.Idx)
					vec.Axpy2(a, c, net.W[i*n:(i+1)*n], 1e-9, -1e-9)
				}
				syn += int64(len(trials[k%len(trials)].Inputs) * n)
				k++
			}
			b.ReportMetric(float64(syn)/b.Elapsed().Seconds(), "synevents/s")
		})
	}
}

// BenchmarkFloorLarge is the floor of the parallel fan-out at 6,400 neurons, where the
// weights (20 MB of float32) fit in the shared L3 cache but not in a core's L2: the
// engine's kernel (vec.Axpy2Budget) over each input's row, with the used-up budgets
// refilled and nothing else, on one goroutine (workers=1) or on two that each take half
// of every row. sync=none lets each of the two run through a presentation's inputs on its
// half without waiting for the other (the memory system's limit); sync=input makes them
// meet after every input, as the engine's workers must (SetWorkers), with one atomic
// counter each, spinning: one line transfer each way at once, where the engine's job and
// its results take two in turn, so this is the optimistic case. sync=aheadD lets each run
// D inputs ahead of the other (it starts input m+1 once the other has finished m-D):
// an optimistic floor of workers that deliver inputs before they know the earlier ones
// were safe, since it delivers in place, which such workers cannot: they must keep the
// state before each input not yet known safe. sync=ring4 does what they must: 4 ahead,
// each input delivered out of place (vec.Axpy2BudgetTo) into the next of a ring of 5
// copies of the half's state, so that the state before each of the last 4 inputs is kept
// (the design of session 13 in docs/performance.md; session 14 built it into the engine,
// f1f68f4, and measured it). sync=hybrid1 is 1 ahead, in place when the other has
// finished input m-1 and out of place into a second copy only when it has not.
// workers=1/outofplace is workers=1 out of place over two copies: what the copies cost
// one goroutine. The ratios of workers=2 to workers=1 say how far two workers can go here
// with each kind of meeting; compare them within one round (the second virtual CPU's
// speed varies).
func BenchmarkFloorLarge(b *testing.B) {
	const n = 6400
	trials := enginetest.Trials(11, 32, 350, 150)
	net := convergenceNet(n)
	type half struct {
		a, c []float64
		bud  []int32
		mask []uint8
		lo   int
	}
	mk := func(lo, hi int) *half {
		m := hi - lo
		h := &half{a: make([]float64, m), c: make([]float64, m), bud: make([]int32, m), mask: make([]uint8, m/8+128)[64 : 64+m/8], lo: lo} // m: a multiple of 64; the mask on lines of its own
		for k := range h.bud {
			h.bud[k] = vec.BudgetMax
		}
		return h
	}
	// refill refills the budgets of h that the last input used up (bits of the mask, read a
	// word at a time as the engine's examinations do), so that they cannot wrap.
	refill := func(h *half) {
		for g := 0; g < len(h.mask); g += 8 {
			for m := binary.LittleEndian.Uint64(h.mask[g:]); m != 0; m &= m - 1 {
				h.bud[g*8+bits.TrailingZeros64(m)] = vec.BudgetMax
			}
		}
	}
	// do delivers input in to h, then refills.
	do := func(h *half, in model.InputSpike) {
		i := int(in.Idx)
		vec.Axpy2Budget(h.a, h.c, h.bud, net.W[i*n+h.lo:i*n+h.lo+len(h.a)], h.mask, 1e-9, -1e-9)
		refill(h)
	}
	// doTo is do out of place, from ring[src] into ring[dst]; it returns dst.
	doTo := func(ring []*half, src, dst int, in model.InputSpike) int {
		i, h, g := int(in.Idx), ring[src], ring[dst]
		vec.Axpy2BudgetTo(g.a, g.c, g.bud, h.a, h.c, h.bud, net.W[i*n+h.lo:i*n+h.lo+len(h.a)], g.mask, 1e-9, -1e-9)
		refill(g)
		return dst
	}
	report := func(b *testing.B, syn int64) {
		b.ReportMetric(float64(syn)/b.Elapsed().Seconds(), "synevents/s")
	}
	// ringOf is h and k-1 more copies of its state (the ring of sync=ring4 and hybrid1).
	ringOf := func(h *half, k int) []*half {
		r := []*half{h}
		for range k - 1 {
			r = append(r, mk(h.lo, h.lo+len(h.a)))
		}
		return r
	}
	b.Run("workers=1", func(b *testing.B) {
		h := mk(0, n)
		var syn int64
		k := 0
		for b.Loop() {
			ins := trials[k%len(trials)].Inputs
			for _, in := range ins {
				do(h, in)
			}
			syn += int64(len(ins) * n)
			k++
		}
		report(b, syn)
	})
	b.Run("workers=1/outofplace", func(b *testing.B) {
		ring, cur := ringOf(mk(0, n), 2), 0
		var syn int64
		k := 0
		for b.Loop() {
			ins := trials[k%len(trials)].Inputs
			for _, in := range ins {
				cur = doTo(ring, cur, 1-cur, in)
			}
			syn += int64(len(ins) * n)
			k++
		}
		report(b, syn)
	})
	if runtime.GOMAXPROCS(0) < 2 {
		b.Log("workers=2: skipped, GOMAXPROCS < 2 (the meeting spins)")
		return
	}
	for _, mode := range []string{"none", "input", "ahead1", "ahead4", "ring4", "hybrid1"} {
		lag := int64(0) // input: the other has finished input m too
		switch mode {
		case "ahead1", "hybrid1":
			lag = 1 // ... has finished input m-1
		case "ahead4", "ring4":
			lag = 4 // ... has finished input m-4
		}
		b.Run("workers=2/sync="+mode, func(b *testing.B) {
			rings := [2][]*half{ringOf(mk(0, n/2), 5), ringOf(mk(n/2, n), 5)}
			var cur [2]int // the copy that holds each half's state, between presentations
			var done [2]struct {
				_ [64]byte
				k atomic.Int64
				_ [64]byte
			}
			var syn int64
			k := 0
			for b.Loop() {
				ins := trials[k%len(trials)].Inputs
				var wg sync.WaitGroup
				for w := range 2 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						base := done[w].k.Load()
						ring, c := rings[w], cur[w] // c local: cur[0] and cur[1] share a line
						defer func() { cur[w] = c }()
						for m, in := range ins {
							switch {
							case mode == "ring4":
								c = doTo(ring, c, (c+1)%5, in)
							case mode == "hybrid1" && done[1-w].k.Load() < base+int64(m):
								c = doTo(ring, c, 1-c, in)
							default:
								do(ring[c], in)
							}
							if mode != "none" {
								done[w].k.Store(base + int64(m) + 1)
								for done[1-w].k.Load() < base+int64(m)+1-lag {
								}
							}
						}
					}()
				}
				wg.Wait()
				syn += int64(len(ins) * n)
				k++
			}
			report(b, syn)
		})
	}
}
