package event

import (
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/evsim/evsim/event/internal/vec"
)

// minBlock is the smallest block of excitatory neurons that a worker of the parallel
// fan-out takes (SetWorkers): below it, a barrier costs more than the work it shares.
// A variable so that tests can split small networks.
var minBlock = 1024

// SetWorkers sets how many goroutines share the per-spike fan-out of one network: n <= 1
// (the default) runs everything on the calling goroutine, and at most one worker per
// 1,024 neurons is used. Each input spike's (and each inhibitory spike's) update of the
// whole population is cut into chunks of 1,024 neurons that the workers claim, with one
// barrier per update, and everything else (the event queue, screening, STDP) stays on
// the calling goroutine. Each neuron's arithmetic is the same whichever block holds it, so
// results are identical, bit for bit, for every n. The helper goroutines live only during
// Present, and spin briefly between updates: give the engine no more workers than idle
// cores. Not safe to call during Present.
func (e *Engine) SetWorkers(n int) {
	e.workers = max(1, min(n, len(e.a)/minBlock))
}

// Workers returns the number of goroutines the fan-out uses (after SetWorkers' limits).
func (e *Engine) Workers() int { return e.workers }

// Job kinds of the parallel fan-out.
const (
	jobAxpy = iota // a += alpha·w, c += beta·w, budget -= max(w, 0) and its mask over a chunk
	jobAdd         // a += alpha, c += beta over a chunk
)

// team is the set of helper goroutines of one Present call. Each update of the whole
// population (a job) is cut into chunks of minBlock neurons that the calling goroutine
// and the helpers claim one at a time, so that the caller never waits for a helper that
// the operating system has descheduled, except for a chunk that helper already holds:
// on a busy machine the caller does the work alone.
//
// ctl packs the job's sequence number (high 32 bits) and its next unclaimed chunk (low
// 32 bits). The caller writes the job's fields, clears done, then stores ctl (release); a
// claim is a compare-and-swap on ctl (acquire), so a helper reads the fields of the job
// it claimed from, and that job cannot end (the fields cannot change) before its done
// count includes the helper's chunk.
type team struct {
	chunks      int // chunks per job
	size        int // neurons per chunk (a multiple of 8)
	kind        int
	w           []float32
	alpha, beta float64
	ctl         atomic.Uint64
	done        atomic.Int64
	stopped     atomic.Bool
	wg          sync.WaitGroup
}

// spinWait calls cond until it is true, yielding the processor after a short spin so that
// a descheduled partner can run.
func spinWait(cond func() bool) {
	for k := 0; !cond(); k++ {
		if k > 64 {
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
	size := max(8, minBlock&^7)
	tm := &team{size: size, chunks: (n + size - 1) / size}
	tm.ctl.Store(uint64(tm.chunks)) // job 0: nothing to claim
	for range e.workers - 1 {
		tm.wg.Add(1)
		go func() {
			defer tm.wg.Done()
			for !tm.stopped.Load() {
				if !tm.claim(e) {
					spinWait(func() bool {
						return tm.stopped.Load() || int(uint32(tm.ctl.Load())) < tm.chunks
					})
				}
			}
		}()
	}
	return tm
}

// claim takes one chunk of the current job and does it; false when none was left.
func (tm *team) claim(e *Engine) bool {
	for {
		s := tm.ctl.Load()
		k := int(uint32(s))
		if k >= tm.chunks {
			return false
		}
		if !tm.ctl.CompareAndSwap(s, s+1) {
			continue
		}
		lo := k * tm.size
		hi := min(lo+tm.size, len(e.a))
		switch tm.kind {
		case jobAxpy:
			vec.Axpy2Budget(e.a[lo:hi], e.c[lo:hi], e.wbudget[lo:hi], tm.w[lo:hi], e.mask[lo/8:], tm.alpha, tm.beta)
		case jobAdd:
			vec.AddConst2(e.a[lo:hi], e.c[lo:hi], tm.alpha, tm.beta)
		}
		tm.done.Add(1)
		return true
	}
}

// run publishes one job, claims chunks until none is left and waits for the chunks that
// helpers hold.
func (tm *team) run(e *Engine, kind int, w []float32, alpha, beta float64) {
	tm.kind, tm.w, tm.alpha, tm.beta = kind, w, alpha, beta
	tm.done.Store(0)
	tm.ctl.Store((tm.ctl.Load()>>32 + 1) << 32)
	for tm.claim(e) {
	}
	spinWait(func() bool { return tm.done.Load() == int64(tm.chunks) })
}

// stop ends the helpers.
func (tm *team) stop() {
	tm.stopped.Store(true)
	tm.wg.Wait()
}

// fanOut adds alpha·w to a and beta·w to c and subtracts max(w, 0) from the budgets over every
// neuron, setting the mask bit of each budget that goes negative.
func (e *Engine) fanOut(w []float32, alpha, beta float64) {
	if e.team != nil {
		e.team.run(e, jobAxpy, w, alpha, beta)
		return
	}
	vec.Axpy2Budget(e.a, e.c, e.wbudget, w, e.mask, alpha, beta)
}

// addAll adds alpha to a and beta to c over every neuron.
func (e *Engine) addAll(alpha, beta float64) {
	if e.team != nil {
		e.team.run(e, jobAdd, nil, alpha, beta)
		return
	}
	vec.AddConst2(e.a, e.c, alpha, beta)
}
