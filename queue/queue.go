package queue

import (
	"cmp"
	"math"

	"github.com/emirpasic/gods/trees/binaryheap"
)

// Kind orders events that share a time: lower kinds first.
//
// The package gives kinds no meaning beyond their order; callers define
// their own constants.
type Kind uint8

// Item is one timed event: 24 bytes or less.
//
// Items are ordered by [Less]: by T, then Kind, then Idx, then Ver.
type Item struct {
	T    float64 // time in ms
	Kind Kind
	Idx  int32  // neuron or input index
	Ver  uint32 // version stamp of the prediction; used by callers to discard stale events
}

// Less reports whether a sorts before b in the queue's total order:
// by T, then Kind, then Idx, then Ver, each ascending. Items differing
// only in Ver are therefore still ordered, and two items are tied only
// when all four fields are equal, in which case it does not matter which
// one comes out first.
//
// T is compared as by [cmp.Compare]: a NaN time sorts before every other
// time and NaNs are equal to each other, so the order stays total even
// for NaN times; -0 and +0 are the same time.
//
// Less is O(1) and does not allocate.
func Less(a, b Item) bool { return compare(&a, &b) < 0 }

// compare is the three-way form of [Less]. The common case (different
// times) costs two float comparisons.
func compare(a, b *Item) int {
	switch {
	case a.T < b.T:
		return -1
	case a.T > b.T:
		return +1
	}
	return compareTie(a, b)
}

// compareTie compares a and b when neither time is less than the other:
// equal times, or at least one NaN.
func compareTie(a, b *Item) int {
	if a.T != b.T { // at least one NaN
		if c := cmp.Compare(a.T, b.T); c != 0 {
			return c
		}
	}
	switch {
	case a.Kind != b.Kind:
		return cmp.Compare(a.Kind, b.Kind)
	case a.Idx != b.Idx:
		return cmp.Compare(a.Idx, b.Idx)
	default:
		return cmp.Compare(a.Ver, b.Ver)
	}
}

// node is the heap's element: an Item plus a flag marking the padding
// sentinels. Nodes live in slabs owned by a Queue and are recycled
// through its free list, so the heap holds only *node values, which fit
// in an interface without allocating.
type node struct {
	Item
	sentinel bool // padding: sorts after every real item, equal to other sentinels
}

// compareNodes is the gods comparator. Sentinels have T = +Inf, so they
// only reach the sentinel check on a time tie.
func compareNodes(a, b interface{}) int {
	x, y := a.(*node), b.(*node)
	switch {
	case x.T < y.T:
		return -1
	case x.T > y.T:
		return +1
	case x.sentinel != y.sentinel:
		if x.sentinel {
			return +1
		}
		return -1
	case x.sentinel: // both sentinels
		return 0
	}
	return compareTie(&x.Item, &y.Item)
}

// minPad is the fewest sentinels a Queue keeps. With fewer than two
// elements left, gods' array list shrinks to exactly its size on every
// Pop and regrows on the next Push, so a queue holding 0 or 1 items would
// allocate on every Push/Pop pair.
const minPad = 2

// Queue is a min-priority queue of [Item] values in the order of [Less].
// Equal-time events come out by Kind, then Idx, then Ver, identically on
// every run.
//
// It wraps a gods binary heap of pointers to nodes drawn from a pool the
// Queue owns. The heap is padded with capacity+2 sentinel nodes that sort
// after every real item. gods' array list shrinks its backing array
// whenever it is a quarter full (at sizes 0 and 1 that means on every
// Pop, followed by a regrow on the next Push); the padding keeps it from
// ever shrinking below the capacity hint, so a Queue that never holds
// more than capacity items never allocates after [New].
//
// The zero Queue is an empty queue with capacity hint 0, as New(0) (its
// first Push allocates). A Queue is not safe for concurrent use.
type Queue struct {
	heap  *binaryheap.Heap // *node values: live items plus pad sentinels
	free  []*node          // recycled nodes, used LIFO so hot nodes stay in cache
	nodes int              // nodes allocated for live items: len(free) + live
	live  int              // items in the heap, excluding sentinels
	pad   int              // sentinels in the heap
}

// New returns an empty queue ready to hold capacity items without
// allocating. capacity is a hint: the queue grows as needed (a negative
// capacity counts as 0).
//
// New is O(capacity) and allocates the node pool and the heap's array.
func New(capacity int) *Queue {
	q := new(Queue)
	q.init(capacity)
	return q
}

// init makes q an empty queue with capacity hint capacity.
func (q *Queue) init(capacity int) {
	capacity = max(capacity, 0)
	pad := capacity + minPad
	slab := make([]node, pad+capacity)
	sentinels := make([]interface{}, pad)
	for i := range sentinels {
		s := &slab[capacity+i]
		*s = node{Item: Item{T: math.Inf(1)}, sentinel: true}
		sentinels[i] = s
	}
	*q = Queue{
		heap:  binaryheap.NewWith(compareNodes),
		free:  make([]*node, 0, capacity),
		nodes: capacity,
		pad:   pad,
	}
	// One bulk push: gods heapifies in O(pad) and sizes its array to
	// 2*pad, room for pad-1 more items before it grows.
	q.heap.Push(sentinels...)
	for i := capacity - 1; i >= 0; i-- {
		q.free = append(q.free, &slab[i])
	}
}

// Len returns the number of items in the queue. It is O(1).
func (q *Queue) Len() int { return q.live }

// Push adds it to the queue.
//
// Push is O(log(n+c)) for n items and capacity hint c. It does not
// allocate while the queue holds at most c items, nor in steady state.
// Past c, the node pool doubles whenever n passes its previous maximum
// and gods' array grows geometrically when full: amortized O(1).
func (q *Queue) Push(it Item) {
	if q.heap == nil { // the zero Queue
		q.init(0)
	}
	if len(q.free) == 0 {
		q.grow()
	}
	nd := q.free[len(q.free)-1]
	q.free = q.free[:len(q.free)-1]
	nd.Item = it // sentinel is false on every free node
	q.heap.Push(nd)
	q.live++
}

// grow adds a slab of nodes to the free list, doubling the pool.
func (q *Queue) grow() {
	slab := make([]node, max(q.nodes, 8))
	q.nodes += len(slab)
	for i := len(slab) - 1; i >= 0; i-- {
		q.free = append(q.free, &slab[i])
	}
}

// Pop removes and returns the smallest item under [Less]. ok is false,
// and the Item zero, when the queue is empty.
//
// Pop is O(log(n+c)) for n items and capacity hint c. It does not
// allocate while the queue has never held more than c items; past that,
// gods may shrink (reallocate) its array when it falls to a quarter full,
// but never below the hint.
func (q *Queue) Pop() (it Item, ok bool) {
	if q.live == 0 {
		return Item{}, false
	}
	v, _ := q.heap.Pop()
	nd := v.(*node)
	q.free = append(q.free, nd)
	q.live--
	return nd.Item, true
}

// Peek returns the smallest item under [Less] without removing it. ok is
// false, and the Item zero, when the queue is empty. Peek is O(1).
func (q *Queue) Peek() (it Item, ok bool) {
	if q.live == 0 {
		return Item{}, false
	}
	v, _ := q.heap.Peek()
	return v.(*node).Item, true
}

// Reset empties the queue, keeping its node pool and, up to the capacity
// hint, the heap's array, so refilling to the hint does not allocate.
// It is O(n log(n+c)) for n items and capacity hint c (it pops every
// item: gods can only truncate its array by dropping it).
func (q *Queue) Reset() {
	for q.live > 0 {
		q.Pop()
	}
}
