package event

import (
	"encoding/binary"
	"math/bits"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/evsim/evsim/event/internal/vec"
)

// minBlock is the smallest block of excitatory neurons that a worker of the parallel
// fan-out takes (SetWorkers): below it, a barrier costs more than the work it shares.
// A variable so that tests can split small networks.
var minBlock = 1024

// SetWorkers sets how many goroutines share the per-spike work of one network: n <= 1
// (the default) runs everything on the calling goroutine, and at most one worker per
// 1,024 neurons, and no more than GOMAXPROCS, is used. The population is cut into one
// block per worker; each input spike's delivery to a block, with the examination of the
// block's neurons whose screening budget it used up, each inhibitory spike's update of a
// block, and the write-back of a block's state at the trial's end, is done by whichever
// worker claims the block, with one barrier per spike (and one at the trial's end).
// Everything else (the event queue, the crossing predictions of hot neurons, STDP) stays
// on the calling goroutine.
// Each neuron's arithmetic is the same whichever block holds it, and the predictions are
// made in neuron order as on one worker, so results are identical, bit for bit, for every
// n. The helper goroutines live only during Present, and wait for the next spike by
// spinning (yielding the processor between checks after a while, but never sleeping):
// each keeps a core busy for the whole of Present, the caller's serial work included.
// Give the engine no more workers than idle cores. Not safe to call during Present.
func (e *Engine) SetWorkers(n int) {
	e.workers = max(1, min(n, len(e.a)/minBlock, runtime.GOMAXPROCS(0)))
	e.share0 = 0
}

// Workers returns the number of goroutines the fan-out uses (after SetWorkers' limits).
func (e *Engine) Workers() int { return e.workers }

// Job kinds of the parallel fan-out.
const (
	jobInput  = iota // Axpy2Budget over a block, then examine the neurons of its mask
	jobAdd           // a += alpha, c += beta over a block
	jobFinish        // finishRange over a block, at time alpha, with θ factor beta
)

// team is the set of helper goroutines of one Present call. Each job (one spike's work on
// the whole population, or the trial's write-back) is cut into one block per worker: the
// calling goroutine does block 0 and helper k block k, so that each block stays in one
// core's cache. A helper claims its block before it does it; the caller, having done its
// own, waits for the others, and claims and does itself any that no helper has claimed
// after a short spin: it never waits long for a helper that the operating system has
// descheduled, except for a block that helper already holds, and on a busy machine it
// does the work alone.
//
// The caller writes the job's fields, then stores the job's number (release); a helper
// that sees it (acquire) claims its block with a compare-and-swap of the block's taken
// from an older number, so it reads the fields of the job it claimed for. The one that
// did a block writes its results, then stores the job's number in the block's finished
// (release), which the caller waits for (acquire) before it reads them or writes the
// next job. So each job costs about two transfers of a cache line between cores: the
// job to the helpers, each block's results back. The fields of each side sit on cache
// lines of their own.
type team struct {
	_           [64]byte
	job         atomic.Uint64 // the number of the current job, on one line with its fields
	kind        int
	w           []float32
	alpha, beta float64
	_           [64]byte
	stopped     atomic.Bool
	blocks      []block
	step        int // blocks are cut at multiples of step neurons
	jobs        int // input jobs since the last balancing
	helped      int // ... of them, those whose blocks the helpers did
	late        int // ... and of those, the ones the caller waited for
	wg          sync.WaitGroup
}

// block is one worker's share of the population, [lo, hi), with its own mask (the
// budgets that the job used up) and the results of the job's examinations.
type block struct {
	_        [64]byte
	finished atomic.Uint64 // the number of the last job whose block is done
	hot      []int32       // the hot neurons that the job's examinations found, in order
	screens  int64         // the job's examinations
	_        [64]byte
	taken    atomic.Uint64 // the number of the last job that claimed the block
	lo, hi   int
	mask     []uint8
}

// spinLimit is how many times spinWait tries its condition before it yields the processor
// between tries: tens of microseconds, longer than the serial work between two spikes, so
// that a helper is not inside the scheduler when the next job is published.
const spinLimit = 1 << 14

// stealAfter is how many times the caller checks a block before it claims the block
// itself: a microsecond or two, a little longer than a helper that runs needs to claim.
const stealAfter = 1 << 10

// spinWait calls cond until it is true, yielding the processor after a spin so that a
// descheduled partner can run.
func spinWait(cond func() bool) {
	for k := 0; !cond(); k++ {
		if k > spinLimit {
			runtime.Gosched()
		}
	}
}

// startTeam starts the helpers for one Present call (nil with one worker).
func (e *Engine) startTeam() *team {
	if e.workers <= 1 {
		return nil
	}
	n := len(e.a)
	tm := &team{blocks: make([]block, e.workers), step: 8}
	if n/e.workers >= 128 {
		tm.step = 64 // whole cache lines of a, c and the budgets
	}
	for k := range tm.blocks {
		tm.blocks[k].mask = make([]uint8, (n+63)/64*8+64) // whole words, and a line of padding
	}
	if e.share0 == 0 {
		e.share0 = n / e.workers / tm.step * tm.step // layout makes it at least a step
	}
	tm.layout(n, e.share0)
	for k := 1; k < len(tm.blocks); k++ {
		tm.wg.Add(1)
		go func() {
			defer tm.wg.Done()
			var last uint64
			for {
				spinWait(func() bool { return tm.job.Load() != last || tm.stopped.Load() })
				if tm.stopped.Load() {
					return
				}
				last = tm.job.Load()
				tm.claim(e, k, last)
			}
		}()
	}
	return tm
}

// layout gives block 0 (the caller's) neurons [0, s0) and cuts the rest into blocks of
// whole steps as equal as they can be (the last takes the part of a step that is left).
// s0 is rounded down to a step and clamped so that every other block has at least a
// step; it returns the s0 it used.
func (tm *team) layout(n, s0 int) int {
	w, step := len(tm.blocks), tm.step
	s0 = min(n, max(step, min(s0/step*step, (n-(w-1)*step)/step*step)))
	if onCut != nil {
		onCut(s0)
	}
	tm.blocks[0].lo, tm.blocks[0].hi = 0, s0
	units := (n - s0) / step // whole steps for the other blocks
	lo := s0
	for k := 1; k < w; k++ {
		b := &tm.blocks[k]
		u := units / (w - 1)
		if k <= units%(w-1) {
			u++
		}
		b.lo, b.hi = lo, lo+u*step
		if k == w-1 {
			b.hi = n
		}
		lo = b.hi
	}
	return s0
}

// Balancing: after every adaptJobs input jobs, block 0 grows by a step if the caller
// found another block unfinished after its own in more than 70 % of the jobs whose
// blocks the helpers did (not those it took over), and shrinks by a step if in fewer than
// 30 %. The helpers start each job later than the caller, and may run on a busier core;
// where the blocks are cut does not change any result.
var adaptJobs = 512 // a variable so that tests can cut the blocks anew often

// onCut, if not nil, is told block 0's size at every cut, and testCut, if not nil,
// chooses it at every balancing (tests).
var (
	onCut   func(s0 int)
	testCut func(s0 int) int
)

// claim does block k of job j unless it has been claimed for j already; it reports
// whether it did.
func (tm *team) claim(e *Engine, k int, j uint64) bool {
	b := &tm.blocks[k]
	if t := b.taken.Load(); t >= j || !b.taken.CompareAndSwap(t, j) {
		return false
	}
	lo, hi := b.lo, b.hi
	switch tm.kind {
	case jobInput:
		vec.Axpy2Budget(e.a[lo:hi], e.c[lo:hi], e.wbudget[lo:hi], tm.w[lo:hi], b.mask, tm.alpha, tm.beta)
		b.hot, b.screens = e.examineMask(lo, hi, b.mask, b.hot[:0])
	case jobAdd:
		vec.AddConst2(e.a[lo:hi], e.c[lo:hi], tm.alpha, tm.beta)
	case jobFinish:
		e.finishRange(lo, hi, tm.alpha, tm.beta)
	}
	b.finished.Store(j)
	return true
}

// run publishes one job, does block 0 and waits for the others, doing those that no
// helper claims in time.
func (tm *team) run(e *Engine, kind int, w []float32, alpha, beta float64) {
	tm.kind, tm.w, tm.alpha, tm.beta = kind, w, alpha, beta
	j := tm.job.Load() + 1
	tm.job.Store(j)
	tm.claim(e, 0, j)
	late, took := false, false
	for k := 1; k < len(tm.blocks); k++ {
		b := &tm.blocks[k]
		for s := 0; b.finished.Load() != j; s++ {
			late = true
			if s == stealAfter {
				took = tm.claim(e, k, j) || took
			} else if s > spinLimit {
				runtime.Gosched()
			}
		}
	}
	if kind != jobInput {
		return
	}
	// Balance on the jobs that the helpers did: a helper that the caller stood in for was
	// not running, and no cut would have made it faster.
	if tm.jobs++; !took {
		tm.helped++
		if late {
			tm.late++
		}
	}
	if tm.jobs == adaptJobs { // every block is done: the blocks can be cut anew
		s0 := tm.blocks[0].hi
		switch {
		case tm.helped == 0:
		case tm.late > tm.helped*7/10:
			s0 += tm.step
		case tm.late < tm.helped*3/10:
			s0 -= tm.step
		}
		if testCut != nil {
			s0 = testCut(s0)
		}
		if s0 != tm.blocks[0].hi {
			e.share0 = tm.layout(len(e.a), s0)
		}
		tm.jobs, tm.helped, tm.late = 0, 0, 0
	}
}

// stop ends the helpers.
func (tm *team) stop() {
	tm.stopped.Store(true)
	tm.wg.Wait()
}

// examineMask examines the neurons of block [lo, hi) whose bit in the block's mask is
// set (bit k%64 of the little-endian word k/64 for neuron lo+k), in order (re-arming the
// refractory ones' budgets), appends the hot ones to hot and returns it with the number
// of examinations.
func (e *Engine) examineMask(lo, hi int, mask []uint8, hot []int32) ([]int32, int64) {
	var n int64
	for g := 0; g < (hi-lo+7)/8; g += 8 {
		m := binary.LittleEndian.Uint64(mask[g:])
		if r := hi - lo - g*8; r < 64 {
			m &= 1<<r - 1 // bits past the block's end can be left from an earlier cut
		}
		for ; m != 0; m &= m - 1 {
			j := lo + g*8 + bits.TrailingZeros64(m)
			if e.refr[j] { // its state means nothing until its refractory period ends
				e.wbudget[j] = vec.BudgetMax
				continue
			}
			n++
			if e.examine(j) {
				hot = append(hot, int32(j))
			}
		}
	}
	return hot, n
}

// addAll adds alpha to a and beta to c over every neuron.
func (e *Engine) addAll(alpha, beta float64) {
	if e.team != nil {
		e.team.run(e, jobAdd, nil, alpha, beta)
		return
	}
	vec.AddConst2(e.a, e.c, alpha, beta)
}
