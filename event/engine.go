package event

import (
	"errors"
	"fmt"
	"math"

	"github.com/evsim/evsim/event/internal/vec"
	"github.com/evsim/evsim/model"
	"github.com/evsim/evsim/queue"
)

// Event kinds, in their order at equal times.
const (
	KindCrossing queue.Kind = iota
	KindInhSpike
	KindRefEnd
	KindInput
	KindEnd
)

// MaxRateHz bounds the mean excitatory firing rate within a trial. The refractory period
// already bounds each neuron; this stops a regime whose refractory period is tiny from
// running for hours, with an error that names what to lower. Both engines (this one and
// event/stepped) enforce it with SpikeBudget and report it with ErrRunaway.
const MaxRateHz = 1000

// ErrRunaway is wrapped by the error of a trial stopped by MaxRateHz, on either engine.
var ErrRunaway = errors.New("runaway activity")

// SpikeBudget is the number of excitatory spikes (presentation and rest together) that a
// trial of total ms over nExc neurons may contain: MaxRateHz on average, plus 100 so that
// a short trial is not stopped by a brief burst. An engine stops the trial with ErrRunaway
// at the first excitatory spike beyond it.
func SpikeBudget(nExc int, total float64) int64 {
	return int64(MaxRateHz*total/1000*float64(nExc)) + 100
}

// RunawayError is the error of a trial stopped by SpikeBudget at local time t (ms): it
// wraps ErrRunaway and names what to lower. pkg is the engine package ("event", "stepped"),
// so that both engines explain the stop alike.
func RunawayError(pkg, regime string, t float64) error {
	return fmt.Errorf("%s: regime %q: %w: excitatory neurons fired at more than %d Hz on average by %.1f ms; lower the excitatory drive (the input rates, Regime.JIn) or raise the refractory period (Regime.Exc.TRef)",
		pkg, regime, ErrRunaway, MaxRateHz, t)
}

// Stats counts what an engine did since it was built.
type Stats struct {
	Trials      int64
	Inputs      int64 // input spikes delivered
	SynEvents   int64 // input -> excitatory synaptic events (inputs × NExc)
	ExcSpikes   int64
	InhSpikes   int64
	Screens     int64 // examinations of one neuron's bound
	Predictions int64 // exact crossing searches
	Stale       int64 // popped predictions that had been invalidated
}

// Engine is the event-driven engine for one network under one regime. It is not safe for
// concurrent use; build one engine per goroutine (each over its own network, or over one
// shared network with plasticity off... not even then: the state is written).
type Engine struct {
	net *model.Network
	r   model.Regime
	ke  model.Kernel // excitatory
	ki  model.Kernel // inhibitory

	q *queue.Queue

	// Excitatory state in the scaled basis (see the package doc).
	a, c      []float64
	tf        float64 // frame time
	rebase    float64 // move the frame after this many ms
	ver       []uint32
	pending   []bool  // has a live crossing prediction
	pend      []int32 // neurons with pending[j] (may hold stale entries)
	pendSpare []int32
	// wbudget[j]: the input weight that may still arrive before j must be examined again
	// (see screen), in units of 2^-24 (vec.BudgetScale), rounded down; negative for a hot
	// neuron, vec.BudgetMax while refractory (re-armed, not examined, if used up). The
	// fan-out subtracts each input's weight, rounded up to a unit (vec.Units), and sets j's
	// bit in mask when it goes negative. Integer arithmetic is exact, so rounding cannot
	// make a budget last beyond the first input after which j could be hot. Every budget
	// that goes negative is reset at that input, so none can wrap.
	wbudget []int32
	mask    []uint8
	stepW   float64 // JIn·Peak: the most one unit of input weight can add to the bound
	refr    []bool  // refractory: a[j] is meaningless until its KindRefEnd event

	// Inhibitory partners, advanced individually.
	ti   []float64 // time of (UI, II)
	verI []uint32

	pres, posts model.ActiveSet
	// gpost[j] = e^{(LastPost[j]-tf)/τpost1} for the members j of posts: with xd, the
	// depression traces as products (model.Regime.DepressScaled), exact at each frame move.
	gpost       []float64
	preHorizon  float64 // age after which an input's trace is below the cut
	postHorizon float64

	// Per-trial values.
	tr        *model.Trial
	total     float64 // Duration + Rest
	gThetaEnd float64 // e^{-total/τθ}: θ(t) >= Θ·gThetaEnd within the trial
	// thrLow[j]: the lowest threshold of j within the trial, D + Θ_j·gThetaEnd, less the
	// margin for the rounding of u in the scaled basis (set with Θ_j: thrLowOf).
	thrLow []float64
	kin    int // inputs [0, kin) have been delivered
	counts []int32
	spikes int64 // excitatory spikes in this trial
	budget int64 // ... at most, by MaxRateHz

	// Time factors of the current event time t, relative to the frame.
	em, es float64 // e^{-(t-tf)/τm}, e^{-(t-tf)/τs}

	// The same factors and the fan-out coefficients of inputs [xk0, xk0+len(xem)), computed
	// ahead in one pass for frame xtf (see inputFactors); len(xem) == 0: none.
	xtf                float64
	xk0                int
	xem, xes, xal, xbe []float64
	xd                 []float64 // e^{-(t-tf)/τpost1}, with plasticity

	// Record, if not nil, receives every spike (excitatory and inhibitory) in time order.
	Record *[]model.Spike
	Stats  Stats

	workers int     // goroutines of the fan-out (SetWorkers)
	team    *team   // their helpers, during Present
	hot     []int32 // the hot neurons of one input's examinations (one worker)
	share0  int     // neurons of the calling goroutine's block, balanced as the team runs
}

// New builds an engine over net with regime r; the regime is validated first.
func New(net *model.Network, r model.Regime) (*Engine, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	n := net.NExc
	e := &Engine{
		net: net, r: r,
		ke:      model.NewKernel(r.Exc, r.TauS, r.ThetaTau()),
		ki:      model.NewKernel(r.Inh, r.TauS, math.Inf(1)),
		q:       queue.New(4 * n),
		a:       make([]float64, n),
		c:       make([]float64, n),
		ver:     make([]uint32, n),
		pending: make([]bool, n),
		wbudget: make([]int32, n),
		thrLow:  make([]float64, n),
		mask:    make([]uint8, (n+63)/64*8), // whole words; the fan-out writes (n+7)/8 bytes
		refr:    make([]bool, n),
		ti:      make([]float64, n),
		verI:    make([]uint32, n),
		workers: 1,
	}
	e.stepW = r.JIn * e.ke.Peak
	e.rebase = 18 * r.TauS // e^{18} ≈ 6.6e7: far from overflow, no loss of precision
	if r.Plastic {
		// The depression traces' factors span e^{±rebase/τpost1} (gpost, xd): keep it so.
		e.rebase = 18 * min(r.TauS, r.TauPost1)
		e.gpost = make([]float64, n)
	}
	e.preHorizon = model.CutHorizon(r.TauPre, r.TraceCut)
	e.postHorizon = model.CutHorizon(max(r.TauPost1, r.TauPost2), r.TraceCut)
	return e, nil
}

// Network returns the network the engine simulates.
func (e *Engine) Network() *model.Network { return e.net }

// Regime returns the engine's regime.
func (e *Engine) Regime() model.Regime { return e.r }

// Present simulates one trial and writes each excitatory neuron's spike count during the
// presentation into counts (len NExc). With r.Plastic the weights change in place; with
// r.AdaptTheta the thresholds do. Cost: O(inputs·NExc) multiply-adds plus O(log Q) per
// spike or prediction.
func (e *Engine) Present(tr *model.Trial, counts []int32) error {
	net := e.net
	if len(counts) != net.NExc {
		return fmt.Errorf("event: counts has length %d, want %d", len(counts), net.NExc)
	}
	if err := tr.Check(net.NIn); err != nil {
		return err
	}
	total := tr.Duration + tr.Rest
	if !math.IsInf(e.r.TauTheta, 1) && total/e.r.TauTheta > 600 {
		return fmt.Errorf("event: trial of %v ms is too long for TauTheta = %v ms (at most %v ms)",
			total, e.r.TauTheta, 600*e.r.TauTheta)
	}
	clear(counts)
	e.tr, e.total, e.counts, e.kin = tr, total, counts, 0
	e.spikes, e.budget = 0, SpikeBudget(net.NExc, total)
	e.gThetaEnd = e.ke.ThetaAt(1, total)
	e.setThresholds()
	e.q.Reset()
	e.pend = e.pend[:0]
	if e.r.Plastic {
		e.pres.Rebuild(net.LastPre, 0, e.preHorizon)
		e.posts.Rebuild(net.LastPost, 0, e.postHorizon)
	}
	if e.team = e.startTeam(); e.team != nil {
		defer func() { e.team.stop(); e.team = nil }()
	}

	// Load the state into the scaled basis with the frame at 0.
	e.tf, e.em, e.es = 0, 1, 1
	e.postFactors()
	e.xem = e.xem[:0]
	kap := e.ke.Kappa
	for j := range net.NExc {
		e.ver[j]++
		e.pending[j] = false
		e.c[j] = net.I[j]
		if net.RefEnd[j] > 0 {
			e.refr[j], e.wbudget[j] = true, vec.BudgetMax
			e.q.Push(queue.Item{T: net.RefEnd[j], Kind: KindRefEnd, Idx: int32(j), Ver: e.ver[j]})
			continue
		}
		e.refr[j] = false
		e.a[j] = net.U[j] + kap*net.I[j]
		e.screen(j, 0)
	}
	for j := range net.NExc {
		e.ti[j] = 0
		e.verI[j]++
		e.predictInh(j, 0)
	}

	ins := tr.Inputs
	for {
		// The next event: the queue's head or the next input, whichever sorts first.
		it, ok := e.q.Peek()
		var in queue.Item
		if e.kin < len(ins) {
			in = queue.Item{T: ins[e.kin].T, Kind: KindInput, Idx: ins[e.kin].Idx}
		} else {
			in = queue.Item{T: total, Kind: KindEnd}
		}
		if !ok || queue.Less(in, it) {
			if in.Kind == KindEnd {
				break
			}
			e.input(in.T, int(in.Idx))
			continue
		}
		e.q.Pop()
		switch it.Kind {
		case KindCrossing:
			if it.Ver != e.ver[it.Idx] {
				e.Stats.Stale++
				continue
			}
			e.fireExc(it.T, int(it.Idx))
			if e.spikes++; e.spikes > e.budget {
				e.finish(it.T) // leave a consistent state behind
				return RunawayError("event", e.r.Name, it.T)
			}
		case KindInhSpike:
			if it.Ver != e.verI[it.Idx] {
				e.Stats.Stale++
				continue
			}
			e.fireInh(it.T, int(it.Idx))
		case KindRefEnd:
			if it.Ver != e.ver[it.Idx] {
				e.Stats.Stale++
				continue
			}
			e.refEnd(it.T, int(it.Idx))
		}
	}
	e.finish(total)
	e.Stats.Trials++
	return nil
}

// setTime moves the frame if needed and sets the time factors for event time t.
func (e *Engine) setTime(t float64) {
	e.frame(t)
	e.em = math.Exp(-(t - e.tf) / e.ke.TauM)
	e.es = math.Exp(-(t - e.tf) / e.ke.TauS)
}

// frame moves the frame to t if t is more than rebase after it.
func (e *Engine) frame(t float64) {
	if t-e.tf > e.rebase {
		fm := math.Exp(-(t - e.tf) / e.ke.TauM)
		fs := math.Exp(-(t - e.tf) / e.ke.TauS)
		for j := range e.a {
			e.a[j] *= fm
			e.c[j] *= fs
		}
		e.tf = t
		e.postFactors()
	}
}

// postFactors sets gpost for the members of posts in the current frame.
func (e *Engine) postFactors() {
	if !e.r.Plastic {
		return
	}
	for _, j := range e.posts.Members() {
		e.postFactor(int(j))
	}
}

// postFactor sets gpost[j] from j's last spike, in the current frame.
func (e *Engine) postFactor(j int) {
	e.gpost[j] = math.Exp((e.net.LastPost[j] - e.tf) / e.r.TauPost1)
}

// maxAhead bounds the inputs whose time factors inputFactors computes in one pass.
const maxAhead = 256

// inputFactors sets the time factors of input kin at its time t (after frame(t)) and
// returns its fan-out coefficients: the values setTime and input would compute, bit for
// bit, taken from a table that it fills for the inputs ahead in one pass (the
// exponentials with vec.Exp: math.Exp's own algorithm, 4 lanes at a time). Computed one
// input at a time, each input's two exponentials and divisions stood between the previous
// fan-out and the next, their latency exposed; in a pass over many inputs they overlap.
// The table holds the inputs after kin that arrive before the frame can move (within
// rebase of it): no other event can move the frame before them, since events are handled
// in time order and the frame moves only at an event later than tf+rebase.
func (e *Engine) inputFactors() (alpha, beta, xd float64) {
	k := e.kin - e.xk0
	if e.xtf != e.tf || k < 0 || k >= len(e.xem) {
		e.aheadFactors()
		k = 0
	}
	e.em, e.es = e.xem[k], e.xes[k]
	if e.r.Plastic {
		xd = e.xd[k]
	}
	return e.xal[k], e.xbe[k], xd
}

// aheadFactors fills the table of inputFactors from input kin on.
func (e *Engine) aheadFactors() {
	ins := e.tr.Inputs
	end := min(len(ins), e.kin+maxAhead)
	n := 1 // input kin, whose time is the current one, is in the frame
	for e.kin+n < end && ins[e.kin+n].T-e.tf <= e.rebase {
		n++
	}
	if cap(e.xem) < maxAhead {
		e.xem, e.xes = make([]float64, maxAhead), make([]float64, maxAhead)
		e.xal, e.xbe = make([]float64, maxAhead), make([]float64, maxAhead)
		e.xd = make([]float64, maxAhead)
	}
	e.xem, e.xes, e.xal, e.xbe = e.xem[:n], e.xes[:n], e.xal[:n], e.xbe[:n]
	e.xtf, e.xk0 = e.tf, e.kin
	tauM, tauS, jin, jk := e.ke.TauM, e.ke.TauS, e.r.JIn, e.r.JIn*e.ke.Kappa
	for k, in := range ins[e.kin : e.kin+n] {
		e.xem[k] = -(in.T - e.tf) / tauM
		e.xes[k] = -(in.T - e.tf) / tauS
	}
	vec.Exp(e.xem, e.xem) // math.Exp's bits, 4 at a time
	vec.Exp(e.xes, e.xes)
	if e.r.Plastic {
		e.xd = e.xd[:n]
		for k, in := range ins[e.kin : e.kin+n] {
			e.xd[k] = -(in.T - e.tf) / e.r.TauPost1
		}
		vec.Exp(e.xd, e.xd)
	}
	for k := range n {
		e.xal[k], e.xbe[k] = jk/e.xem[k], jin/e.xes[k]
	}
}

// state returns u and I of excitatory neuron j at the current event time (not refractory).
func (e *Engine) state(j int) (u, i float64) {
	i = e.c[j] * e.es
	return e.a[j]*e.em - e.ke.Kappa*i, i
}

// horizon is the time of the next input (or the end of the trial): the latest time up to
// which an examination at the current time stays valid for a hot neuron.
func (e *Engine) horizon() float64 {
	if e.kin < len(e.tr.Inputs) {
		return e.tr.Inputs[e.kin].T
	}
	return e.total
}

// screen examines excitatory neuron j at time t (not refractory; inputs [0, kin) applied).
// A hot neuron (bound at threshold) gets its crossing predicted and a negative budget, so
// that it is examined again after every input. Otherwise its budget is the input weight
// that can still arrive before the bound could reach threshold: each unit of weight adds
// at most stepW to the bound, time and inhibition only lower it. The fan-out subtracts each
// input's weight from the budget, so j is next examined after the input that makes it
// negative, which is no later than the first input after which j could be hot.
//
// The budgets decide when a neuron that is not hot is examined, and nothing else: such an
// examination changes no state (its pending flag is already clear). As long as they are
// conservative, the examinations find each neuron hot at exactly the inputs after which
// its bound reaches threshold, so the spikes do not depend on how the budgets are kept.
func (e *Engine) screen(j int, t float64) {
	e.Stats.Screens++
	if e.examine(j) {
		u, i := e.state(j)
		e.predictExc(j, t, u, i)
	}
}

// examine is the part of screen that touches neuron j's state only (so that the workers of
// the parallel fan-out can run it on their blocks): it drops j's live prediction, if any,
// and sets its budget, -1 for a hot neuron, whose crossing the caller must predict (true).
func (e *Engine) examine(j int) (hot bool) {
	if e.pending[j] { // the state changed under a live prediction: drop it
		e.pending[j] = false
		e.ver[j]++
	}
	u, i := e.state(j)
	k := &e.ke
	bound := max(u, 0) + max(i, 0)*k.Peak
	if thr := e.thrLow[j]; bound < thr {
		if e.stepW > 0 {
			e.wbudget[j] = vec.BudgetOf((thr - bound) / e.stepW) // rounded down
		} else {
			e.wbudget[j] = vec.BudgetMax // inputs cannot raise the membrane
		}
		return false
	}
	e.wbudget[j] = -1
	return true
}

// setThresholds sets thrLow from the network's Θ and gThetaEnd.
func (e *Engine) setThresholds() {
	for j, th := range e.net.Theta {
		e.thrLow[j] = e.thrLowOf(th)
	}
}

// thrLowOf is thrLow for a neuron with Θ = theta.
func (e *Engine) thrLowOf(theta float64) float64 {
	thr := e.ke.D + theta*e.gThetaEnd
	return thr - 1e-9*(1+math.Abs(thr)) // margin for the rounding of u in the scaled basis
}

// predictExc looks for a crossing of hot neuron j in [t, horizon].
func (e *Engine) predictExc(j int, t, u, i float64) {
	h := e.horizon() - t
	if h < 0 {
		return
	}
	k := &e.ke
	theta := k.ThetaAt(e.net.Theta[j], t) // θ in the trial frame is Θ·e^{-t/τθ}
	if k.UpperBound(u, i, h) < k.D+theta*k.ThetaAt(1, h) {
		return
	}
	e.Stats.Predictions++
	s, ok := k.Crossing(u, i, theta, 0, h)
	if !ok {
		return
	}
	e.ver[j]++
	// t+s can round one ulp past the horizon; the crossing belongs before the next input.
	e.q.Push(queue.Item{T: min(t+s, e.horizon()), Kind: KindCrossing, Idx: int32(j), Ver: e.ver[j]})
	if !e.pending[j] {
		e.pending[j] = true
		e.pend = append(e.pend, int32(j))
	}
}

// input delivers input spike (t, i) to every excitatory neuron and examines the neurons
// whose budget it used up.
func (e *Engine) input(t float64, i int) {
	net := e.net
	e.frame(t)
	alpha, beta, xd := e.inputFactors()
	row := net.W[i*net.NExc : (i+1)*net.NExc]
	if e.team != nil {
		// The workers deliver the row to their blocks and examine the neurons whose budget
		// it used up; the hot ones' crossings are predicted below, in neuron order.
		e.team.run(e, jobInput, row, alpha, beta)
	} else {
		// Two axpys and the budgets over a contiguous row in one pass (AVX2 where the CPU
		// has it).
		vec.Axpy2Budget(e.a, e.c, e.wbudget, row, e.mask, alpha, beta)
	}
	e.Stats.Inputs++
	e.Stats.SynEvents += int64(len(row))
	if e.r.Plastic {
		e.posts.Prune(net.LastPost, t, e.postHorizon)
		e.r.DepressScaled(net, i, xd, e.posts.Members(), e.gpost)
		net.LastPre[i] = t
		e.pres.AddAt(i, t)
	} else if e.r.Replay.On {
		net.LastPre[i] = t
	}
	e.kin++
	if tm := e.team; tm != nil {
		for k := range tm.blocks {
			e.predictHot(t, tm.blocks[k].hot, tm.blocks[k].screens)
		}
		return
	}
	hot, n := e.examineMask(0, len(e.a), e.mask, e.hot[:0])
	e.hot = hot
	e.predictHot(t, hot, n)
}

// predictHot predicts the crossings of the hot neurons that n examinations found at time t.
func (e *Engine) predictHot(t float64, hot []int32, n int64) {
	e.Stats.Screens += n
	for _, j := range hot {
		u, i := e.state(int(j))
		e.predictExc(int(j), t, u, i)
	}
}

// fireExc handles a spike of excitatory neuron j at time t.
func (e *Engine) fireExc(t float64, j int) {
	net := e.net
	e.setTime(t)
	e.pending[j] = false
	e.Stats.ExcSpikes++
	if t < e.tr.Duration {
		e.counts[j]++
	}
	if e.Record != nil {
		*e.Record = append(*e.Record, model.Spike{T: t, Idx: int32(j)})
	}
	if e.r.Plastic {
		e.pres.Prune(net.LastPre, t, e.preHorizon)
		e.r.Potentiate(net, j, t, e.pres.Members())
		net.LastPost[j] = t
		e.posts.AddAt(j, t)
		e.postFactor(j)
	} else if e.r.Replay.On {
		e.r.ReplayPost(net, j, t)
	}
	if e.r.AdaptTheta {
		net.Theta[j] += e.r.ThetaPlus / e.ke.ThetaAt(1, t)
		e.thrLow[j] = e.thrLowOf(net.Theta[j])
	}
	// Reset: u is clamped until t+TRef; the current C keeps evolving in the basis.
	e.refr[j], e.wbudget[j] = true, vec.BudgetMax
	net.RefEnd[j] = t + e.ke.TRef
	e.ver[j]++
	e.q.Push(queue.Item{T: net.RefEnd[j], Kind: KindRefEnd, Idx: int32(j), Ver: e.ver[j]})

	// Relay to the inhibitory partner.
	u, i := e.ki.Advance(net.UI[j], net.II[j], e.ti[j], t, net.RefEndI[j])
	net.UI[j], net.II[j], e.ti[j] = u, i+e.r.JEI, t
	e.verI[j]++
	e.predictInh(j, t)
}

// predictInh predicts the next spike of inhibitory neuron j, whose state is at time t,
// up to the end of the trial.
func (e *Engine) predictInh(j int, t float64) {
	net := e.net
	k := &e.ki
	u, i, t0 := net.UI[j], net.II[j], t
	if re := net.RefEndI[j]; re > t {
		if re >= e.total {
			return
		}
		u, i = k.Advance(u, i, t, re, re)
		t0 = re
	}
	h := e.total - t0
	if k.UpperBound(u, i, h) < k.D {
		return
	}
	e.Stats.Predictions++
	if s, ok := k.Crossing(u, i, 0, 0, h); ok {
		e.q.Push(queue.Item{T: t0 + s, Kind: KindInhSpike, Idx: int32(j), Ver: e.verI[j]})
	}
}

// fireInh handles a spike of inhibitory neuron j at time t: lateral inhibition of every
// excitatory neuron but j.
func (e *Engine) fireInh(t float64, j int) {
	net := e.net
	e.Stats.InhSpikes++
	if e.Record != nil {
		*e.Record = append(*e.Record, model.Spike{T: t, Idx: int32(j), Inh: true})
	}
	_, i := e.ki.Advance(net.UI[j], net.II[j], e.ti[j], t, net.RefEndI[j])
	net.UI[j], net.II[j], e.ti[j] = e.ki.UReset, i, t
	net.RefEndI[j] = t + e.ki.TRef
	e.verI[j]++
	e.predictInh(j, t)

	e.setTime(t)
	alpha := -e.r.JIE * e.ke.Kappa / e.em
	beta := -e.r.JIE / e.es
	aj, cj := e.a[j], e.c[j]
	e.addAll(alpha, beta)
	e.a[j], e.c[j] = aj, cj
	// Inhibition only lowers membranes, so screening bounds stay valid; predictions do not.
	old := e.pend
	e.pend, e.pendSpare = e.pendSpare[:0], old
	for _, k := range old {
		switch {
		case !e.pending[k]:
			// stale entry
		case int(k) == j:
			e.pend = append(e.pend, k) // j's own excitatory partner is not inhibited
		default:
			e.screen(int(k), t)
		}
	}
}

// refEnd releases excitatory neuron j from its refractory clamp at time t.
func (e *Engine) refEnd(t float64, j int) {
	e.setTime(t)
	e.refr[j] = false
	i := e.c[j] * e.es
	e.a[j] = (e.ke.UReset + e.ke.Kappa*i) / e.em
	e.screen(j, t)
}

// finish writes the state at the end of the trial back to the network, re-expressed at
// local time 0 of the next trial.
func (e *Engine) finish(total float64) {
	net := e.net
	e.setTime(total)
	g := e.ke.ThetaAt(1, total) // the same for every neuron (total is not always e.total)
	if e.team != nil {
		e.team.run(e, jobFinish, nil, total, g) // each worker its block
	} else {
		e.finishRange(0, net.NExc, total, g)
	}
	net.ShiftTime(total)
}

// finishRange writes the state of neurons [lo, hi) at time total back to the network (the
// per-neuron part of finish, after setTime(total)); g is ke.ThetaAt(1, total).
func (e *Engine) finishRange(lo, hi int, total, g float64) {
	net := e.net
	for j := lo; j < hi; j++ {
		if e.refr[j] {
			net.U[j], net.I[j] = e.ke.UReset, e.c[j]*e.es
		} else {
			net.U[j], net.I[j] = e.state(j)
		}
		net.UI[j], net.II[j] = e.ki.Advance(net.UI[j], net.II[j], e.ti[j], total, net.RefEndI[j])
		net.Theta[j] *= g // ke.ThetaAt(Θ, total), bit for bit: Θ·e^{-total/τθ}
	}
}
