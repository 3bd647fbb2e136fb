package queue

import (
	"math/rand/v2"
	"testing"
)

// TestZeroQueue: the zero Queue is empty and usable without New: Pop and Peek report
// empty, and after pushes it pops the same sequence as New(0), with the same
// bookkeeping, and stays allocation-free in steady state.
func TestZeroQueue(t *testing.T) {
	var z Queue
	if _, ok := z.Pop(); ok || z.Len() != 0 {
		t.Fatal("zero Queue: Pop reported an item")
	}
	if _, ok := z.Peek(); ok {
		t.Fatal("zero Queue: Peek reported an item")
	}
	z.Reset()
	ref := New(0)
	rng := rand.New(rand.NewPCG(5, 5))
	for range 200 {
		it := Item{T: float64(rng.IntN(8)), Kind: Kind(rng.IntN(3)), Idx: int32(rng.IntN(5))}
		z.Push(it)
		ref.Push(it)
	}
	checkInvariants(t, &z)
	for ref.Len() > 0 {
		a, _ := ref.Pop()
		b, ok := z.Pop()
		if !ok || a != b {
			t.Fatalf("zero Queue popped %+v, %v; New(0) %+v", b, ok, a)
		}
	}
	if z.Len() != 0 {
		t.Fatalf("zero Queue: Len %d after draining", z.Len())
	}
	var w Queue
	w.Push(Item{T: 1})
	w.Pop()
	if a := testing.AllocsPerRun(100, func() { w.Push(Item{T: 1}); w.Pop() }); a != 0 {
		t.Fatalf("zero Queue: %v allocations per Push/Pop in steady state", a)
	}
}
