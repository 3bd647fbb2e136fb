package event

import (
	"encoding/binary"
	"math"
	"math/bits"
	"runtime"

	"github.com/evsim/evsim/event/internal/vec"
	"github.com/evsim/evsim/queue"
)

// With workers, inputs are delivered a stretch at a time. A stretch is the inputs from the
// next one on that arrive before the queue's next event, within the table of input
// factors (one frame, at most maxAhead inputs). Delivered one at a time, as on one worker,
// they would follow each other with nothing in between, up to the first input whose
// examinations find a neuron to predict (a hot one, or one with a live prediction): its
// crossing may come before the next input. So the stretch ends there, at its last input.
//
// Each worker delivers the stretch's inputs to its own block, one after the other, and
// examines its block's neurons as they come, without waiting for the others after each
// input: the barrier is one per stretch, not one per input (96.6 % of the inputs at 6,400
// neurons find nothing to predict). A worker cannot know that an input is not past the
// last until every block has delivered the inputs before it, so it delivers out of place:
// the state after input k of the stretch is written to the ring's slot home+k+1 (mod
// ringSlots), the state before read from slot home+k, and the ring keeps the state after
// each of the last ringSlots-1 inputs of each block. A worker may write input k only once
// every block has delivered input k-ringSlots with nothing to predict (which makes the
// state that k overwrites useless); it stops at the first input at which its block has a
// neuron to predict, or after an input past another block's stop. Once the last input is
// known (final), the state after it, in its slot for every block, becomes the home: no
// copy, no undo, and each neuron's arithmetic is that of one worker.
//
// With plasticity, each input depresses its row at the recently active neurons
// (model.Regime.DepressScaled). Each worker does this for its own block's columns, in the
// inputs' order, for every input known to be delivered (all before it delivered by every
// block), and does not deliver a row again while its depression is still to do. The
// columns it changes are marked by the caller (Network.Touch) after the stretch.
//
// The caller does block 0 (and any block that no helper claims in time), then the
// bookkeeping of each input delivered (Stats, the last spike times, the active sets, in
// order), and predicts in neuron order, as one worker would.

// ringSlots is the number of copies of the state (a, c and the budgets) that a team keeps:
// a block runs at most ringSlots-1 inputs ahead of the slowest. A variable for tests.
var ringSlots = 5

// noStop is a block's stop while it has found nothing to predict.
const noStop = math.MaxInt64

// stretch delivers inputs kin, kin+1, ... up to the stretch's last (see above), then
// predicts the crossings that its last input calls for.
func (e *Engine) stretch() {
	ins := e.tr.Inputs
	e.frame(ins[e.kin].T)
	e.inputFactors() // the table from kin on, in the frame
	end := e.xk0 + len(e.xem)
	head, queued := e.q.Peek()
	n := 1
	for ; e.kin+n < end; n++ {
		in := ins[e.kin+n]
		if queued && !queue.Less(queue.Item{T: in.T, Kind: KindInput, Idx: in.Idx}, head) {
			break
		}
	}
	tm := e.team
	last := tm.runStretch(e, n)

	net := e.net
	off := e.kin - e.xk0
	e.em, e.es = e.xem[off+last], e.xes[off+last]
	e.home = (e.home + last + 1) % len(e.ra)
	e.a, e.c, e.wbudget = e.ra[e.home], e.rc[e.home], e.rb[e.home]
	for range last + 1 {
		in := ins[e.kin]
		e.Stats.Inputs++
		e.Stats.SynEvents += int64(net.NExc)
		if e.r.Plastic {
			e.posts.Prune(net.LastPost, in.T, e.postHorizon)
			net.LastPre[in.Idx] = in.T
			e.pres.AddAt(int(in.Idx), in.T)
		} else if e.r.Replay.On {
			net.LastPre[in.Idx] = in.T
		}
		e.kin++
	}
	t := ins[e.kin-1].T
	for k := range tm.blocks {
		b := &tm.blocks[k]
		for _, j := range b.touched {
			net.Touch(int(j))
		}
		e.Stats.Screens += b.screens
		for _, j := range b.hot {
			if e.pending[j] && !e.examine(int(j)) { // as examineMask would have
				continue
			}
			u, i := e.state(int(j))
			e.predictExc(int(j), t, u, i)
		}
	}
}

// runStretch publishes a stretch of n inputs from kin, does block 0 (and those that no
// helper claims in time) and waits for the others; it returns the stretch's last input
// (0-based).
func (tm *team) runStretch(e *Engine, n int) int {
	tm.kind, tm.kin, tm.n = jobStretch, e.kin, n
	for k := range tm.blocks {
		tm.blocks[k].prog.Store(0)
		tm.blocks[k].stop.Store(noStop)
	}
	j := tm.job.Load() + 1
	tm.job.Store(j)
	tm.take(0, j)
	b0 := &tm.blocks[0]
	tm.begin(b0)
	own := uint64(1) // the blocks the caller holds, a bit each (at most 64 workers)
	last, ok, late, took := 0, false, false, false
	for s := 0; ; s++ {
		for m := own; m != 0; m &= m - 1 {
			tm.advance(e, &tm.blocks[bits.TrailingZeros64(m)])
		}
		if last, ok = tm.final(); ok {
			break
		}
		if b0.fwd {
			late = true
		}
		if s >= stealAfter {
			for k := 1; k < len(tm.blocks); k++ {
				if own&(1<<k) == 0 && tm.take(k, j) {
					tm.begin(&tm.blocks[k])
					own |= 1 << k
					took = true
				}
			}
		}
		if s > spinLimit {
			runtime.Gosched()
		}
	}
	for k := range tm.blocks {
		b := &tm.blocks[k]
		if own&(1<<k) != 0 {
			tm.settle(e, b, last)
			b.finished.Store(j)
			continue
		}
		for s := 0; b.finished.Load() != j; s++ {
			if s > spinLimit {
				runtime.Gosched()
			}
		}
	}
	tm.balance(e, late, took)
	return last
}

// begin readies block b for the stretch, for its holder.
func (tm *team) begin(b *block) {
	b.next, b.fwd = 0, false
	b.dep = b.dep[:0]
	b.touched = b.touched[:0]
	b.hot = b.hot[:0]
	clear(b.seen)
}

// advance delivers the stretch's inputs to block b as far as it may without waiting; it
// reports whether b delivers no more.
func (tm *team) advance(e *Engine, b *block) bool {
	R := int64(len(e.ra))
	for !b.fwd {
		k := int64(b.next)
		if k == int64(tm.n) {
			b.fwd = true
			break
		}
		for v := range tm.blocks {
			if tm.blocks[v].stop.Load() < k { // the stretch ends before k
				b.fwd = true
				return true
			}
		}
		// Input k overwrites the state after input k-R: it must be of no more use. (A
		// block that waits here for another, which itself stopped delivering after a
		// third block's stop, sees that stop above.)
		for v := range tm.blocks {
			o := &tm.blocks[v]
			if o == b {
				continue
			}
			if b.seen[v] <= k-R {
				if b.seen[v] = o.prog.Load(); b.seen[v] <= k-R {
					return false
				}
			}
		}
		if e.r.Plastic && !tm.depress(e, b, int(k)) {
			return false
		}
		tm.deliver(e, b, int(k))
	}
	return true
}

// confirmed reports whether input k of the stretch is known to be delivered: every other
// block has delivered the inputs before it with nothing to predict (b has: it is past k).
func (tm *team) confirmed(b *block, k int) bool {
	for v := range tm.blocks {
		if o := &tm.blocks[v]; o != b && b.seen[v] < int64(k) {
			if b.seen[v] = o.prog.Load(); b.seen[v] < int64(k) {
				return false
			}
		}
	}
	return true
}

// depress does b's depressions of the inputs known to be delivered, in order, and reports
// whether input k may be delivered: false if its row waits for a depression still to do.
func (tm *team) depress(e *Engine, b *block, k int) bool {
	done := 0
	for _, d := range b.dep {
		if !tm.confirmed(b, int(d)) {
			break
		}
		tm.depressOne(e, b, int(d))
		done++
	}
	b.dep = b.dep[:copy(b.dep, b.dep[done:])]
	ins := e.tr.Inputs
	row := ins[tm.kin+k].Idx
	for _, d := range b.dep {
		if ins[tm.kin+int(d)].Idx == row {
			return false
		}
	}
	return true
}

// depressOne depresses input d's row at the recently active neurons of block b.
func (tm *team) depressOne(e *Engine, b *block, d int) {
	in := e.tr.Inputs[tm.kin+d]
	b.touched = e.r.DepressScaledRange(e.net, int(in.Idx), e.xd[tm.kin-e.xk0+d], e.posts.Members(), e.gpost,
		b.lo, b.hi, in.T, e.postHorizon, b.touched)
}

// deliver delivers input k of the stretch to block b out of place and examines the
// neurons whose budget it used up: b stops at k if one has to be predicted.
func (tm *team) deliver(e *Engine, b *block, k int) {
	R := len(e.ra)
	src, dst := (e.home+k)%R, (e.home+k+1)%R
	lo, hi := b.lo, b.hi
	in := e.tr.Inputs[tm.kin+k]
	x := tm.kin - e.xk0 + k
	N := e.net.NExc
	row := e.net.W[int(in.Idx)*N : (int(in.Idx)+1)*N]
	a, c, bud := e.ra[dst], e.rc[dst], e.rb[dst]
	vec.Axpy2BudgetTo(a[lo:hi], c[lo:hi], bud[lo:hi], e.ra[src][lo:hi], e.rc[src][lo:hi], e.rb[src][lo:hi],
		row[lo:hi], b.mask, e.xal[x], e.xbe[x])
	if e.r.Plastic {
		b.dep = append(b.dep, int32(k))
	}
	var stop bool
	b.hot, b.cnt[k], stop = e.examineStretch(lo, hi, b.mask, a, c, bud, e.xem[x], e.xes[x], b.hot[:0])
	if stop {
		b.fwd = true
		b.stop.Store(int64(k))
		return
	}
	b.next = k + 1
	b.prog.Store(int64(k + 1))
}

// final returns the stretch's last input once it is known: the first input at which a
// block stopped, when every other block has stopped too or delivered that input;
// the stretch's end when every block has delivered them all.
func (tm *team) final() (int, bool) {
	stop, prog := int64(noStop), int64(noStop)
	for k := range tm.blocks {
		b := &tm.blocks[k]
		if s := b.stop.Load(); s != noStop {
			stop = min(stop, s)
		} else {
			prog = min(prog, b.prog.Load()) // its stop, if any, comes no earlier
		}
	}
	switch {
	case stop != noStop && stop < prog: // every block has delivered input stop
		return int(stop), true
	case stop == noStop && prog == int64(tm.n):
		return tm.n - 1, true
	}
	return 0, false
}

// settle finishes block b's part of a stretch whose last input is last: the depressions
// up to it, the examinations up to it, and the neurons to predict if b stopped there.
func (tm *team) settle(e *Engine, b *block, last int) {
	for _, d := range b.dep {
		if int(d) <= last {
			tm.depressOne(e, b, int(d))
		}
	}
	b.dep = b.dep[:0]
	b.screens = 0
	for _, n := range b.cnt[:last+1] {
		b.screens += n
	}
	if b.stop.Load() != int64(last) {
		b.hot = b.hot[:0]
	}
}

// examineStretch is examineMask on the state (a, c, budgets b) at time factors em, es:
// it examines the neurons of block [lo, hi) whose bit in mask is set, in order, and
// returns the neurons to predict (hot ones, and those with a live prediction, which it
// leaves to the caller to examine), the number of examinations, and whether there are any
// to predict.
func (e *Engine) examineStretch(lo, hi int, mask []uint8, a, c []float64, b []int32, em, es float64, hot []int32) ([]int32, int64, bool) {
	var n int64
	for g := 0; g < (hi-lo+7)/8; g += 8 {
		m := binary.LittleEndian.Uint64(mask[g:])
		if r := hi - lo - g*8; r < 64 {
			m &= 1<<r - 1 // bits past the block's end can be left from an earlier cut
		}
		for ; m != 0; m &= m - 1 {
			j := lo + g*8 + bits.TrailingZeros64(m)
			if e.refr[j] { // its state means nothing until its refractory period ends
				b[j] = vec.BudgetMax
				continue
			}
			n++
			if e.pending[j] || e.examineIn(j, a, c, b, em, es) {
				hot = append(hot, int32(j))
			}
		}
	}
	return hot, n, len(hot) > 0
}
