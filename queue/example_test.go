package queue_test

import (
	"fmt"

	"github.com/evsim/evsim/queue"
)

// Caller-defined kinds: at equal times, inputs are delivered before
// spikes are emitted.
const (
	kindInput queue.Kind = iota
	kindSpike
)

func ExampleQueue() {
	q := queue.New(8)
	q.Push(queue.Item{T: 2.5, Kind: kindSpike, Idx: 3, Ver: 1})
	q.Push(queue.Item{T: 1.0, Kind: kindSpike, Idx: 7, Ver: 4})
	q.Push(queue.Item{T: 2.5, Kind: kindInput, Idx: 0})
	q.Push(queue.Item{T: 2.5, Kind: kindSpike, Idx: 3, Ver: 2}) // newer prediction for neuron 3
	q.Push(queue.Item{T: 1.0, Kind: kindSpike, Idx: 2, Ver: 9})

	if it, ok := q.Peek(); ok {
		fmt.Printf("next at %.1f ms, %d queued\n", it.T, q.Len())
	}
	for q.Len() > 0 {
		it, _ := q.Pop()
		fmt.Printf("t=%.1f kind=%d idx=%d ver=%d\n", it.T, it.Kind, it.Idx, it.Ver)
	}
	_, ok := q.Pop()
	fmt.Println("more:", ok)
	// Output:
	// next at 1.0 ms, 5 queued
	// t=1.0 kind=1 idx=2 ver=9
	// t=1.0 kind=1 idx=7 ver=4
	// t=2.5 kind=0 idx=0 ver=0
	// t=2.5 kind=1 idx=3 ver=1
	// t=2.5 kind=1 idx=3 ver=2
	// more: false
}
