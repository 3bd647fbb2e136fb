// Package queue is a typed min-priority queue of small timed events with
// deterministic tie-breaking, for an event-driven simulator.
//
// # What it owns
//
// The [Item] type (a time T in ms, a [Kind], an index and a version
// stamp), the total order on items ([Less]: T, then Kind, then Idx, then
// Ver) and the [Queue] that pops items in that order. Because the order
// is total, events at equal times come out the same way on every run,
// whatever order they were pushed in. The queue is built on the binary
// heap of github.com/emirpasic/gods, which is an implementation detail:
// no gods type appears in the API.
//
// # What it must not know
//
// Neurons, inputs, MNIST or any model: Idx is an opaque index, Kind only
// an ordering key whose constants the caller defines, and Ver only a tie
// breaker; deciding that an event is stale (its Ver no longer matches)
// is the caller's job, done after Pop. The queue does not validate times
// and never looks at a clock.
//
// # Costs
//
// For a queue holding n items, created with capacity hint c:
//
//	New(c)   O(c); allocates the node pool and the heap's array
//	Push     O(log(n+c)); no allocation while n <= c, nor in steady state
//	Pop      O(log(n+c)); no allocation while n has stayed <= c
//	Peek     O(1); no allocation
//	Len      O(1)
//	Reset    O(n log(n+c)); keeps the pool, and the heap's array up to c
//	Less     O(1)
//
// Push stores a pointer to a pooled node in the gods heap (a pointer in
// an interface does not allocate), so a queue that stays within its hint
// never allocates after New. Beyond the hint the pool doubles and gods'
// array grows geometrically (amortized O(1)); gods may shrink its array
// again when it falls to a quarter full, but never below the hint. The
// heap carries c+2 padding entries to guarantee that, which is why the
// costs are logarithmic in n+c: pick c near the typical size, not far
// above it.
//
// The zero Queue is an empty queue with capacity hint 0, as New(0); New
// with a hint avoids the allocations of the first pushes. A Queue is not
// safe for concurrent use.
package queue
