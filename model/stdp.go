package model

import (
	"math"
	"slices"
)

// Trace is the value at time t of a Diehl & Cook trace that was set to 1 at tLast and
// decays with time constant tau: e^{-(t-tLast)/tau}, or 0 if it has fallen below cut (and
// for tLast = -Inf). Traces are never stepped: the last spike time is all the state.
func Trace(t, tLast, tau, cut float64) float64 {
	v := math.Exp(-(t - tLast) / tau)
	if v < cut {
		return 0
	}
	return v
}

// ActiveSet is a small set of indices whose traces may still be above the cut. It makes
// STDP touch only synapses whose traces are not negligible. The zero value is an empty
// set ready to use: Add grows it to fit any index >= 0 (Reset sizes it at once).
type ActiveSet struct {
	idx []int32
	in  []bool
	// oldest: no member's last spike is earlier (a lower bound, so that Prune can skip the
	// pass while nothing can have aged out); meaningful only when known (false in the zero
	// value and after Add).
	oldest float64
	known  bool
}

// Reset empties the set for a population of n.
func (a *ActiveSet) Reset(n int) {
	a.idx = a.idx[:0]
	a.oldest, a.known = math.Inf(1), true
	if cap(a.in) >= n {
		a.in = a.in[:n]
		clear(a.in)
	} else {
		a.in = make([]bool, n)
	}
}

// Add inserts k >= 0 (no-op if present). The next Prune then examines every member; AddAt
// does not make it.
func (a *ActiveSet) Add(k int) {
	a.known = false
	a.add(k)
}

// AddAt inserts k >= 0, whose last spike is at tLast (no-op if present; a member's last
// spike may later move forward, never back).
func (a *ActiveSet) AddAt(k int, tLast float64) {
	a.oldest = min(a.oldest, tLast)
	a.add(k)
}

func (a *ActiveSet) add(k int) {
	if k >= len(a.in) {
		a.grow(k + 1)
	}
	if !a.in[k] {
		a.in[k] = true
		a.idx = append(a.idx, int32(k))
	}
}

// grow extends the membership flags to at least n entries.
func (a *ActiveSet) grow(n int) {
	a.in = append(a.in, make([]bool, max(n, 2*len(a.in))-len(a.in))...)
}

// Prune drops every member whose last spike is more than horizon before t. It passes over
// the members only when the oldest of them may have aged out.
func (a *ActiveSet) Prune(last []float64, t, horizon float64) {
	if a.known && !(t-a.oldest > horizon) {
		return
	}
	oldest := math.Inf(1)
	a.idx = slices.DeleteFunc(a.idx, func(k int32) bool {
		if t-last[k] > horizon {
			a.in[k] = false
			return true
		}
		oldest = min(oldest, last[k])
		return false
	})
	a.oldest, a.known = oldest, true
}

// Members returns the members in insertion order (valid until the next Add or Prune).
func (a *ActiveSet) Members() []int32 { return a.idx }

// Rebuild fills the set with every k whose last spike lies within horizon of t, in index
// order (used at the start of a trial, from the network's stored spike times).
func (a *ActiveSet) Rebuild(last []float64, t, horizon float64) {
	a.Reset(len(last))
	for k, tl := range last {
		if t-tl <= horizon {
			a.AddAt(k, tl)
		}
	}
}

// CutHorizon is the age after which a trace with time constant tau is below cut.
func CutHorizon(tau, cut float64) float64 { return tau * math.Log(1/cut) }

// Depress applies the presynaptic half of the rule for a spike of input i at time t:
// w_ij -= NuPre·post1_j(t) for the excitatory neurons j in posts, clipped at 0.
func (r *Regime) Depress(n *Network, i int, t float64, posts []int32) {
	row := n.W[i*n.NExc : (i+1)*n.NExc]
	for _, j := range posts {
		p := Trace(t, n.LastPost[j], r.TauPost1, r.TraceCut)
		if p == 0 {
			continue
		}
		row[j] = float32(max(float64(row[j])-r.NuPre*p, 0))
		n.touch(int(j))
	}
}

// DepressScaled is Depress with the traces given as products, for an engine that keeps
// them so: post1_j(t) = x·g[j], where x = e^{-(t-t0)/τpost1} and g[j] = e^{(tLast_j-t0)/τpost1}
// for a reference time t0 of the caller's choosing (tLast_j = n.LastPost[j]). It needs no
// exponential per synapse; each trace differs from Trace's by a few roundings at most.
func (r *Regime) DepressScaled(n *Network, i int, x float64, posts []int32, g []float64) {
	row := n.W[i*n.NExc : (i+1)*n.NExc]
	for _, j := range posts {
		p := x * g[j]
		if p < r.TraceCut {
			continue
		}
		row[j] = float32(max(float64(row[j])-r.NuPre*p, 0))
		n.touch(int(j))
	}
}

// Potentiate applies the postsynaptic half of the rule for a spike of excitatory neuron j
// at time t, before n.LastPost[j] is updated: w_ij += NuPost·pre_i(t)·post2_j(t⁻) for the
// inputs i in pres, clipped at WMax.
func (r *Regime) Potentiate(n *Network, j int, t float64, pres []int32) {
	post2 := 1.0
	if !r.PairSTDP {
		post2 = Trace(t, n.LastPost[j], r.TauPost2, r.TraceCut)
	}
	if post2 == 0 {
		return
	}
	g := r.NuPost * post2
	n.touch(j)
	for _, i := range pres {
		p := Trace(t, n.LastPre[i], r.TauPre, r.TraceCut)
		if p == 0 {
			continue
		}
		k := int(i)*n.NExc + j
		n.W[k] = float32(min(float64(n.W[k])+g*p, r.WMax))
	}
}
