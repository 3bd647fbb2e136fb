package queue

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"unsafe"
)

// refCompare is an independent, obviously lexicographic statement of the
// order that Less must implement. The oracle test uses it, not Less, so a
// bug in Less shows up as a disagreement.
func refCompare(a, b Item) int {
	return cmp.Or(
		cmp.Compare(a.T, b.T),
		cmp.Compare(a.Kind, b.Kind),
		cmp.Compare(a.Idx, b.Idx),
		cmp.Compare(a.Ver, b.Ver),
	)
}

// tied reports whether a and b are interchangeable in the order: equal in
// every field, counting -0 == +0 and NaN == NaN as for cmp.Compare.
func tied(a, b Item) bool { return refCompare(a, b) == 0 }

func TestItemSize(t *testing.T) {
	if got := unsafe.Sizeof(Item{}); got > 24 {
		t.Errorf("unsafe.Sizeof(Item{}) = %d, want <= 24", got)
	}
}

// checkInvariants checks the Queue's bookkeeping against the gods heap.
func checkInvariants(t *testing.T, q *Queue) {
	t.Helper()
	if got, want := q.heap.Size(), q.live+q.pad; got != want {
		t.Fatalf("heap size %d, want live %d + pad %d", got, q.live, q.pad)
	}
	if got := len(q.free) + q.live; got != q.nodes {
		t.Fatalf("free %d + live %d = %d, want nodes %d", len(q.free), q.live, got, q.nodes)
	}
}

// TestQueueAgainstOracle drives a Queue and a plain slice with the same
// random mix of Push, Pop, Peek and Reset. Times, kinds, indices and
// versions come from small sets so that ties at every level of the order
// are frequent; every popped or peeked item must be the slice's minimum
// under refCompare, and Len must match the slice length throughout.
func TestQueueAgainstOracle(t *testing.T) {
	times := []float64{0, 0, 0.5, 1, 1, 1, 2.25, 3, math.Copysign(0, -1), math.Inf(1), math.Inf(-1), math.NaN()}
	for seed := range uint64(20) {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
			q := New(rng.IntN(40) - 4) // includes negative and 0 hints, and hints the queue outgrows
			var oracle []Item

			draw := func() Item {
				return Item{
					T:    times[rng.IntN(len(times))],
					Kind: Kind(rng.IntN(3)),
					Idx:  int32(rng.IntN(4)) - 1,
					Ver:  uint32(rng.IntN(3)),
				}
			}
			oracleMin := func() int {
				m := 0
				for i := range oracle {
					if refCompare(oracle[i], oracle[m]) < 0 {
						m = i
					}
				}
				return m
			}

			for round := range 30 {
				// Alternate growing and draining phases so the size
				// sweeps from empty to a few hundred and back.
				pushBias := 0.7
				if round%2 == 1 {
					pushBias = 0.3
				}
				for step := range 400 {
					switch r := rng.Float64(); {
					case r < 0.005:
						q.Reset()
						oracle = oracle[:0]
					case r < 0.15:
						got, ok := q.Peek()
						if ok != (len(oracle) > 0) {
							t.Fatalf("round %d step %d: Peek ok = %v with %d items", round, step, ok, len(oracle))
						}
						if ok {
							if want := oracle[oracleMin()]; !tied(got, want) {
								t.Fatalf("round %d step %d: Peek = %+v, want %+v", round, step, got, want)
							}
						} else if got != (Item{}) {
							t.Fatalf("round %d step %d: empty Peek = %+v, want zero Item", round, step, got)
						}
					case r < 0.15+0.85*pushBias:
						it := draw()
						q.Push(it)
						oracle = append(oracle, it)
					default:
						got, ok := q.Pop()
						if ok != (len(oracle) > 0) {
							t.Fatalf("round %d step %d: Pop ok = %v with %d items", round, step, ok, len(oracle))
						}
						if !ok {
							if got != (Item{}) {
								t.Fatalf("round %d step %d: empty Pop = %+v, want zero Item", round, step, got)
							}
							break
						}
						m := oracleMin()
						if want := oracle[m]; !tied(got, want) {
							t.Fatalf("round %d step %d: Pop = %+v, want %+v", round, step, got, want)
						}
						oracle[m] = oracle[len(oracle)-1]
						oracle = oracle[:len(oracle)-1]
					}
					if q.Len() != len(oracle) {
						t.Fatalf("round %d step %d: Len = %d, want %d", round, step, q.Len(), len(oracle))
					}
					checkInvariants(t, q)
				}
			}
			// Drain: the remaining items come out in nondecreasing order.
			var prev Item
			for i := 0; q.Len() > 0; i++ {
				got, _ := q.Pop()
				if i > 0 && Less(got, prev) {
					t.Fatalf("drain: %+v popped after %+v", got, prev)
				}
				prev = got
			}
		})
	}
}

// TestLessTotalOrder checks that Less is a strict total order on a sample
// covering ties in every field plus the awkward times: it agrees with
// refCompare, is irreflexive, asymmetric and transitive, and any two items
// are either ordered or tied in every field.
func TestLessTotalOrder(t *testing.T) {
	times := []float64{math.Inf(-1), -1, math.Copysign(0, -1), 0, 0.1, 1, math.Inf(1), math.NaN()}
	var sample []Item
	for _, tm := range times {
		for k := range Kind(2) {
			for idx := range int32(2) {
				for ver := range uint32(2) {
					sample = append(sample, Item{T: tm, Kind: k * 200, Idx: idx*3 - 1, Ver: ver * math.MaxUint32})
				}
			}
		}
	}
	for _, a := range sample {
		if Less(a, a) {
			t.Fatalf("Less(a, a) for a = %+v", a)
		}
		for _, b := range sample {
			ab, ba := Less(a, b), Less(b, a)
			if ab != (refCompare(a, b) < 0) {
				t.Fatalf("Less(%+v, %+v) = %v, disagrees with lexicographic order", a, b, ab)
			}
			if ab && ba {
				t.Fatalf("Less both ways for %+v and %+v", a, b)
			}
			if !ab && !ba && !tied(a, b) {
				t.Fatalf("%+v and %+v are unordered but differ", a, b)
			}
			for _, c := range sample {
				if ab && Less(b, c) && !Less(a, c) {
					t.Fatalf("not transitive: %+v < %+v < %+v", a, b, c)
				}
			}
		}
	}

	// Items differing only in Ver (or only in Idx, or only in Kind) are
	// still ordered, lower first.
	base := Item{T: 5, Kind: 1, Idx: 7, Ver: 3}
	for _, tc := range []struct {
		name string
		hi   Item
	}{
		{"Ver", Item{T: 5, Kind: 1, Idx: 7, Ver: 4}},
		{"Idx", Item{T: 5, Kind: 1, Idx: 8, Ver: 0}},
		{"Kind", Item{T: 5, Kind: 2, Idx: 0, Ver: 0}},
		{"T", Item{T: math.Nextafter(5, 6), Kind: 0, Idx: 0, Ver: 0}},
	} {
		if !Less(base, tc.hi) || Less(tc.hi, base) {
			t.Errorf("differ in %s: Less(%+v, %+v) = %v, Less reversed = %v; want true, false",
				tc.name, base, tc.hi, Less(base, tc.hi), Less(tc.hi, base))
		}
	}
}

// TestEqualTimesDeterministic pushes the same items in two different
// orders; with all times equal, both queues must pop the same sequence,
// sorted by Kind, Idx, Ver.
func TestEqualTimesDeterministic(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	items := make([]Item, 500)
	for i := range items {
		items[i] = Item{T: 1.5, Kind: Kind(rng.IntN(3)), Idx: int32(rng.IntN(50)), Ver: uint32(i)}
	}
	q1, q2 := New(0), New(len(items))
	for i := range items {
		q1.Push(items[i])
		q2.Push(items[len(items)-1-i])
	}
	var prev Item
	for i := range items {
		a, _ := q1.Pop()
		b, _ := q2.Pop()
		if a != b {
			t.Fatalf("pop %d: %+v vs %+v from the same items pushed in reverse", i, a, b)
		}
		if i > 0 && !Less(prev, a) {
			t.Fatalf("pop %d: %+v after %+v", i, a, prev)
		}
		prev = a
	}
}

func TestEmpty(t *testing.T) {
	for _, c := range []int{-1, 0, 3} {
		q := New(c)
		if it, ok := q.Pop(); ok || it != (Item{}) {
			t.Errorf("New(%d).Pop() = %+v, %v; want zero, false", c, it, ok)
		}
		if it, ok := q.Peek(); ok || it != (Item{}) {
			t.Errorf("New(%d).Peek() = %+v, %v; want zero, false", c, it, ok)
		}
		if q.Len() != 0 {
			t.Errorf("New(%d).Len() = %d", c, q.Len())
		}
		q.Reset()
		q.Push(Item{T: 2, Idx: 4})
		if it, ok := q.Peek(); !ok || it != (Item{T: 2, Idx: 4}) {
			t.Errorf("after one Push, Peek() = %+v, %v", it, ok)
		}
		checkInvariants(t, q)
	}
}

// TestAllocs checks that, once warmed up to a size, pushing one and
// popping one allocates nothing, including at sizes 0 and 1 where a bare
// gods heap reallocates its array on every Pop/Push pair. It also checks
// that a queue that outgrew its hint is allocation-free once warmed up,
// and that Reset and a refill to capacity allocate nothing.
func TestAllocs(t *testing.T) {
	for _, tc := range []struct{ capacity, size int }{
		{0, 0}, {0, 1}, {1, 1}, {2, 2}, {16, 16}, {1024, 1024}, {0, 1000}, {16, 300},
	} {
		t.Run(fmt.Sprintf("cap=%d/size=%d", tc.capacity, tc.size), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, uint64(tc.size)))
			q := New(tc.capacity)
			for range tc.size {
				q.Push(Item{T: rng.Float64() * 100, Idx: int32(rng.IntN(100))})
			}
			now := 0.0
			step := func() {
				q.Push(Item{T: now + 10*rng.Float64(), Kind: Kind(rng.IntN(2))})
				it, _ := q.Pop()
				now = it.T
			}
			for range 1000 { // warm-up
				step()
			}
			if a := testing.AllocsPerRun(1000, step); a != 0 {
				t.Errorf("Push+Pop at size %d allocates %v times per op, want 0", tc.size, a)
			}
			if q.Len() != tc.size {
				t.Fatalf("Len = %d, want %d", q.Len(), tc.size)
			}
		})
	}

	t.Run("Reset", func(t *testing.T) {
		const capacity = 512
		q := New(capacity)
		fill := func() {
			q.Reset()
			for i := range capacity {
				q.Push(Item{T: float64(i % 7), Idx: int32(i)})
			}
		}
		if a := testing.AllocsPerRun(20, fill); a != 0 {
			t.Errorf("Reset and refill to capacity allocate %v times, want 0", a)
		}
	})
}

// benchHold runs the classic "hold" benchmark: the queue is kept at size
// items; each op pops the minimum and pushes an item scheduled a random
// delay (from a precomputed table) after it, as an event simulator does.
// delay(i) == 0 makes every time equal.
func benchHold(b *testing.B, size int, delays []float64) {
	rng := rand.New(rand.NewPCG(42, uint64(size)))
	q := New(size)
	for i := range size {
		q.Push(Item{T: delays[i%len(delays)] * rng.Float64(), Kind: Kind(i % 3), Idx: int32(i)})
	}
	mask := len(delays) - 1 // len(delays) is a power of two
	var i int
	b.ReportAllocs()
	for b.Loop() {
		it, _ := q.Pop()
		it.T += delays[i&mask]
		it.Ver++
		q.Push(it)
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// expDelays returns n exponential delays with mean 1 ms.
func expDelays(n int) []float64 {
	rng := rand.New(rand.NewPCG(3, 5))
	d := make([]float64, n)
	for i := range d {
		d[i] = rng.ExpFloat64()
	}
	return d
}

var benchSizes = []int{16, 1024, 65536}

// BenchmarkPushPop holds the queue at each size and, per op, pops one
// event and pushes one (an event processed).
func BenchmarkPushPop(b *testing.B) {
	delays := expDelays(4096)
	for _, size := range benchSizes {
		b.Run(fmt.Sprint("size=", size), func(b *testing.B) { benchHold(b, size, delays) })
	}
}

// BenchmarkDup is BenchmarkPushPop with every item at the same time, so
// each comparison falls through to Kind, Idx and Ver.
func BenchmarkDup(b *testing.B) {
	zero := make([]float64, 4096)
	for _, size := range benchSizes {
		b.Run(fmt.Sprint("size=", size), func(b *testing.B) { benchHold(b, size, zero) })
	}
}

// BenchmarkOversized holds 16 items in a queue created with a far larger
// capacity hint, measuring what the sentinel padding costs.
func BenchmarkOversized(b *testing.B) {
	delays := expDelays(4096)
	for _, capacity := range []int{16, 1024, 65536} {
		b.Run(fmt.Sprint("cap=", capacity), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(42, 16))
			q := New(capacity)
			for i := range 16 {
				q.Push(Item{T: rng.Float64(), Idx: int32(i)})
			}
			var i int
			b.ReportAllocs()
			for b.Loop() {
				it, _ := q.Pop()
				it.T += delays[i&4095]
				q.Push(it)
				i++
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
