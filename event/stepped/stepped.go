// Package stepped is the time-stepped reference engine: the same model equations as the
// event-driven engine, integrated on a fixed grid t = k·dt the way clock-driven simulators
// (Brian, NEST's grid models) do it. It is the reference that the event engine is checked
// against (event's TestConvergence: the spikes of both agree ever more closely as dt
// shrinks), and the baseline it is timed against. Its scheme is deliberately plain, one
// pass over every neuron per step, so that it is easy to trust.
//
// Per step, in this order: every neuron is advanced by dt with the exact propagator
// (model.Kernel.Propagator(dt), computed once), a refractory membrane stays clamped at
// reset; the thresholds decay; the input spikes nearest to t (times in [t-dt/2, t+dt/2)) are delivered
// (their current jumps and their STDP use the grid time t); excitatory neurons at or above
// threshold spike, reset and drive their inhibitory partners; inhibitory neurons at or above
// threshold spike and inhibit the other excitatory neurons. So spikes are aligned to the
// grid and every interaction is delayed by at most dt: the outputs converge to the event
// engine's as dt shrinks. With every input on the grid, the propagation between grid points
// is exact and a crossing in ((k-1)·dt, k·dt] is reported at k·dt: a spike is late by less
// than dt (the Tolerance under which it passes event/enginetest's suite). A trial has no
// step at its local time 0 (that is the previous trial's last step), so inputs in
// [0, dt/2) are delivered at dt.
//
// The runaway guard is the event engine's: event.SpikeBudget, checked once per step, and
// an error wrapping event.ErrRunaway.
//
// The package owns the grid scheme only; the physics (propagators, STDP) is model's. It
// imports package event for the guard alone, and event/internal/vec for the one input
// kernel (a += α·w over a weight row, AVX2 where the CPU has it, as gonum's SSE2 axpy did
// before the weights were float32), so that the baseline is not timed with a slower loop
// than the engine it is compared with. It must not know MNIST, labels, files or flags.
package stepped

import (
	"fmt"
	"math"

	"github.com/evsim/evsim/event"
	"github.com/evsim/evsim/event/internal/vec"
	"github.com/evsim/evsim/model"
)

// Stats counts what an engine did since it was built.
type Stats struct {
	Trials    int64
	Steps     int64
	Inputs    int64
	SynEvents int64 // input -> excitatory synaptic events
	ExcSpikes int64
	InhSpikes int64
}

// Engine is the time-stepped engine for one network under one regime.
type Engine struct {
	net    *model.Network
	r      model.Regime
	ke, ki model.Kernel
	dt     float64
	pe, pi model.Prop // propagators over dt
	eTheta float64    // θ decay per step
	nref   int32      // excitatory refractory steps
	nrefI  int32

	refLeft, refLeftI []int32
	spiked            []int32

	pres, posts model.ActiveSet
	preHorizon  float64
	postHorizon float64

	// Record, if not nil, receives every spike in time order.
	Record *[]model.Spike
	Stats  Stats
}

// New builds a stepped engine with time step dt (ms) over net with regime r.
func New(net *model.Network, r model.Regime, dt float64) (*Engine, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	if !(dt > 0) || math.IsInf(dt, 0) {
		return nil, fmt.Errorf("stepped: dt = %v ms: must be finite and > 0", dt)
	}
	e := &Engine{
		net: net, r: r, dt: dt,
		ke:       model.NewKernel(r.Exc, r.TauS, r.ThetaTau()),
		ki:       model.NewKernel(r.Inh, r.TauS, math.Inf(1)),
		refLeft:  make([]int32, net.NExc),
		refLeftI: make([]int32, net.NExc),
	}
	e.pe = e.ke.Propagator(dt)
	e.pi = e.ki.Propagator(dt)
	e.eTheta = e.ke.ThetaAt(1, dt)
	e.nref = int32(math.Round(r.Exc.TRef / dt))
	e.nrefI = int32(math.Round(r.Inh.TRef / dt))
	e.preHorizon = model.CutHorizon(r.TauPre, r.TraceCut)
	e.postHorizon = model.CutHorizon(max(r.TauPost1, r.TauPost2), r.TraceCut)
	return e, nil
}

// Dt is the engine's time step (ms).
func (e *Engine) Dt() float64 { return e.dt }

// Network returns the network the engine simulates.
func (e *Engine) Network() *model.Network { return e.net }

// Regime returns the engine's regime.
func (e *Engine) Regime() model.Regime { return e.r }

// steps converts a duration to a whole number of steps, or fails.
func (e *Engine) steps(what string, d float64) (int, error) {
	k := math.Round(d / e.dt)
	if math.Abs(k*e.dt-d) > 1e-9*max(1, d) {
		return 0, fmt.Errorf("stepped: %s %v ms is not a whole number of steps of dt = %v ms", what, d, e.dt)
	}
	return int(k), nil
}

// Present simulates one trial on the grid and writes each excitatory neuron's spike count
// during the presentation into counts. Cost: O(steps·NExc + inputs·NExc).
//
// Like the event engine, it stops a trial whose excitatory spikes exceed
// event.SpikeBudget with an error wrapping event.ErrRunaway: at the end of the step that
// crossed the budget, with the network left at that time (re-expressed as local time 0).
func (e *Engine) Present(tr *model.Trial, counts []int32) error {
	net := e.net
	if len(counts) != net.NExc {
		return fmt.Errorf("stepped: counts has length %d, want %d", len(counts), net.NExc)
	}
	if err := tr.Check(net.NIn); err != nil {
		return err
	}
	kp, err := e.steps("trial duration", tr.Duration)
	if err != nil {
		return err
	}
	kr, err := e.steps("trial rest", tr.Rest)
	if err != nil {
		return err
	}
	clear(counts)
	n := net.NExc
	for j := range n {
		e.refLeft[j] = max(0, int32(math.Ceil(net.RefEnd[j]/e.dt-1e-9)))
		e.refLeftI[j] = max(0, int32(math.Ceil(net.RefEndI[j]/e.dt-1e-9)))
	}
	if e.r.Plastic {
		e.pres.Rebuild(net.LastPre, 0, e.preHorizon)
		e.posts.Rebuild(net.LastPost, 0, e.postHorizon)
	}
	ke, ki := &e.ke, &e.ki
	U, I, UI, II, Th := net.U, net.I, net.UI, net.II, net.Theta
	jin, jei, jie := e.r.JIn, e.r.JEI, e.r.JIE
	decayTheta := !math.IsInf(e.ke.TauTheta, 1)
	next := 0
	ins := tr.Inputs
	spikes, budget := int64(0), event.SpikeBudget(n, float64(kp+kr)*e.dt)
	var stop error
	end := kp + kr
	for k := 1; k <= end; k++ {
		t := float64(k) * e.dt
		for j := range n {
			if e.refLeft[j] > 0 {
				e.refLeft[j]--
				U[j] = ke.UReset
			} else {
				U[j] = e.pe.EM*U[j] + e.pe.C*I[j]
			}
			I[j] *= e.pe.ES
			if e.refLeftI[j] > 0 {
				e.refLeftI[j]--
				UI[j] = ki.UReset
			} else {
				UI[j] = e.pi.EM*UI[j] + e.pi.C*II[j]
			}
			II[j] *= e.pi.ES
		}
		if decayTheta {
			for j := range Th {
				Th[j] *= e.eTheta
			}
		}
		// Inputs nearest to t, in [t-dt/2, t+dt/2): delivered at t (an unbiased rounding).
		for next < len(ins) && ins[next].T < t+e.dt/2 {
			i := int(ins[next].Idx)
			next++
			vec.Axpy(I, net.W[i*n:(i+1)*n], jin) // the event engine's kernel family (AVX2 where the CPU has it)
			e.Stats.Inputs++
			e.Stats.SynEvents += int64(n)
			if e.r.Plastic {
				e.posts.Prune(net.LastPost, t, e.postHorizon)
				e.r.Depress(net, i, t, e.posts.Members())
				net.LastPre[i] = t
				e.pres.AddAt(i, t)
			} else if e.r.Replay.On {
				net.LastPre[i] = t
			}
		}
		// Excitatory threshold.
		e.spiked = e.spiked[:0]
		for j := range n {
			if e.refLeft[j] == 0 && U[j] >= ke.D+Th[j] {
				e.spiked = append(e.spiked, int32(j))
			}
		}
		for _, j := range e.spiked {
			e.Stats.ExcSpikes++
			if k <= kp {
				counts[j]++
			}
			if e.Record != nil {
				*e.Record = append(*e.Record, model.Spike{T: t, Idx: j})
			}
			if e.r.Plastic {
				e.pres.Prune(net.LastPre, t, e.preHorizon)
				e.r.Potentiate(net, int(j), t, e.pres.Members())
				net.LastPost[j] = t
				e.posts.AddAt(int(j), t)
			} else if e.r.Replay.On {
				e.r.ReplayPost(net, int(j), t)
			}
			if e.r.AdaptTheta {
				Th[j] += e.r.ThetaPlus
			}
			U[j] = ke.UReset
			e.refLeft[j] = e.nref
			II[j] += jei
		}
		// Inhibitory threshold and lateral inhibition.
		for j := range n {
			if e.refLeftI[j] == 0 && UI[j] >= ki.D {
				e.Stats.InhSpikes++
				if e.Record != nil {
					*e.Record = append(*e.Record, model.Spike{T: t, Idx: int32(j), Inh: true})
				}
				UI[j] = ki.UReset
				e.refLeftI[j] = e.nrefI
				ij := I[j]
				for m := range I {
					I[m] -= jie
				}
				I[j] = ij
			}
		}
		e.Stats.Steps++
		if spikes += int64(len(e.spiked)); spikes > budget {
			stop = event.RunawayError("stepped", e.r.Name, t)
			end = k
			break
		}
	}
	net.ShiftTime(float64(end) * e.dt)
	for j := range n { // remaining clamp, in the next trial's time (0: none)
		net.RefEnd[j] = float64(e.refLeft[j]) * e.dt
		net.RefEndI[j] = float64(e.refLeftI[j]) * e.dt
	}
	if stop != nil {
		return stop
	}
	e.Stats.Trials++
	return nil
}
