package model

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Network is the Diehl & Cook network as struct-of-arrays data: NIn inputs, NExc excitatory
// neurons and NExc inhibitory partners. Input -> excitatory is all-to-all and plastic;
// excitatory i -> inhibitory i is one-to-one; inhibitory i -> every excitatory neuron but i.
//
// Between trials the state is expressed at the start (local time 0) of the next trial:
// engines shift every stored time by the trial's length when a trial ends, so times stay
// small and exact over millions of trials.
//
// Build networks with NewNetwork. A Network filled in field by field (a literal, or one
// decoded from a file) must have every array sized as documented, which Check verifies;
// its unexported caches are then derived on first use (or at once by Restore), so
// NormalizeColumns, Clone and the STDP rule work on it. The zero Network has no
// inputs and no neurons, and Check refuses it.
type Network struct {
	NIn, NExc int

	// W holds the input -> excitatory weights, input-major: W[i*NExc+j] is the weight from
	// input i to excitatory neuron j, so one input spike reads one contiguous row.
	// Weights are stored in single precision, which halves the memory that every input
	// spike streams (the fan-out reads one row per input spike); all arithmetic on them is
	// float64, rounded to float32 when stored. Code that writes W directly must call
	// WeightsChanged afterwards.
	W []float32

	U, I   []float64 // excitatory u = v - VRest (mV) and synaptic current (mV)
	RefEnd []float64 // excitatory refractory end (local ms); <= 0 when not refractory
	Theta  []float64 // excitatory adaptive threshold θ (mV)

	UI, II  []float64 // inhibitory u and current
	RefEndI []float64 // inhibitory refractory end (local ms)

	LastPre  []float64 // last spike of each input (local ms), -Inf if none yet
	LastPost []float64 // last spike of each excitatory neuron (local ms), -Inf if none yet

	// Columns whose weights may have changed since the last NormalizeColumns (set by the
	// STDP rule), so that normalization touches only those. normAll: every column.
	dirty      []bool
	dirtyIdx   []int32
	normAll    bool
	normTarget float64 // the target of the last normalization
}

// NewNetwork builds a network in Diehl & Cook's initial state: weights (U[0,1)+0.01)·0.3
// (rounded to float32) drawn from rng in row-major order, every membrane 40 mV below rest,
// θ = 0.
func NewNetwork(nIn, nExc int, rng *rand.Rand) *Network {
	if nIn <= 0 || nExc <= 0 {
		panic("model: NewNetwork needs nIn > 0 and nExc > 0")
	}
	n := &Network{
		NIn: nIn, NExc: nExc,
		W:        make([]float32, nIn*nExc),
		U:        make([]float64, nExc),
		I:        make([]float64, nExc),
		RefEnd:   make([]float64, nExc),
		Theta:    make([]float64, nExc),
		UI:       make([]float64, nExc),
		II:       make([]float64, nExc),
		RefEndI:  make([]float64, nExc),
		LastPre:  make([]float64, nIn),
		LastPost: make([]float64, nExc),
	}
	for k := range n.W {
		n.W[k] = float32((rng.Float64() + 0.01) * 0.3)
	}
	for j := range nExc {
		n.U[j] = -40
		n.UI[j] = -40
		n.LastPost[j] = math.Inf(-1)
	}
	for i := range nIn {
		n.LastPre[i] = math.Inf(-1)
	}
	n.WeightsChanged()
	return n
}

// Clone returns a deep copy of n.
func (n *Network) Clone() *Network {
	c := *n
	cp := func(s []float64) []float64 { return append([]float64(nil), s...) }
	c.W = append([]float32(nil), n.W...)
	c.U, c.I, c.RefEnd, c.Theta = cp(n.U), cp(n.I), cp(n.RefEnd), cp(n.Theta)
	c.UI, c.II, c.RefEndI = cp(n.UI), cp(n.II), cp(n.RefEndI)
	c.LastPre, c.LastPost = cp(n.LastPre), cp(n.LastPost)
	c.dirty = append([]bool(nil), n.dirty...)
	c.dirtyIdx = append(make([]int32, 0, n.NExc), n.dirtyIdx...)
	return &c
}

// Check returns an error unless n has at least one input and one neuron and every array
// has the length its field comment gives (NIn·NExc weights, NIn last input spikes, NExc
// for every per-neuron array). The runner calls it before it simulates n.
func (n *Network) Check() error {
	if n.NIn <= 0 || n.NExc <= 0 {
		return fmt.Errorf("model: network with %d inputs and %d neurons: both must be > 0 (build it with NewNetwork)", n.NIn, n.NExc)
	}
	if len(n.W) != n.NIn*n.NExc {
		return fmt.Errorf("model: network W has %d weights, want NIn·NExc = %d", len(n.W), n.NIn*n.NExc)
	}
	if len(n.LastPre) != n.NIn {
		return fmt.Errorf("model: network LastPre has %d entries, want NIn = %d", len(n.LastPre), n.NIn)
	}
	for _, f := range []struct {
		name string
		s    []float64
	}{{"U", n.U}, {"I", n.I}, {"RefEnd", n.RefEnd}, {"Theta", n.Theta}, {"UI", n.UI}, {"II", n.II}, {"RefEndI", n.RefEndI}, {"LastPost", n.LastPost}} {
		if len(f.s) != n.NExc {
			return fmt.Errorf("model: network %s has %d entries, want NExc = %d", f.name, len(f.s), n.NExc)
		}
	}
	return nil
}

// mustShape panics with a "model: " message when W does not match NIn and NExc: a
// programmer error that would otherwise surface as an index out of range.
func (n *Network) mustShape() {
	if len(n.W) != n.NIn*n.NExc || n.NIn < 0 || n.NExc < 0 {
		panic(fmt.Sprintf("model: network W has %d weights for %d inputs and %d neurons (see Network.Check)", len(n.W), n.NIn, n.NExc))
	}
}

// WeightsChanged marks the column sums stale after W was written directly.
func (n *Network) WeightsChanged() { n.normAll = true }

// initDirty allocates the dirty set of a network that has none (built as a literal or
// decoded): its columns' history is unknown, so every column counts as changed.
func (n *Network) initDirty() {
	if len(n.dirty) != n.NExc {
		n.dirty = make([]bool, n.NExc)
		n.dirtyIdx = make([]int32, 0, n.NExc)
		n.normAll = true
	}
}

// touch records that column j's weights changed (the STDP rule calls it).
func (n *Network) touch(j int) {
	n.initDirty()
	if !n.dirty[j] {
		n.dirty[j] = true
		n.dirtyIdx = append(n.dirtyIdx, int32(j))
	}
}

// NormalizeTol is the relative distance from the target within which NormalizeColumns
// leaves a column alone. A normalized column's weights are each rounded to float32 (relative
// error at most 2^-24 each, so the same bound for their sum, the weights being
// nonnegative), and the float64 sum adds less than 1e-12 for up to 4,000 of them; the
// tolerance, 2^-22, lies above both, so that a column normalized before and unchanged since
// is never rescaled again, whether or not its history is known (after a snapshot, say).
const NormalizeTol = 0x1p-22

// NormalizeColumns scales each excitatory neuron's input weights so that they sum to
// target (Diehl & Cook: 78 before every training image). Columns that sum to 0, or
// already to target within NormalizeTol, are left alone. Only the columns that the STDP
// rule changed since the last normalization to the same target are visited: O(NIn) per
// changed column. After WeightsChanged, a target change or on a fresh network it is one
// O(NIn·NExc) pass over every column. Either way the result is the same, bit for bit.
func (n *Network) NormalizeColumns(target float64, scratch []float64) {
	n.initDirty()
	n.mustShape()
	if n.normAll || target != n.normTarget {
		n.normalizeAll(target, scratch)
	} else {
		N := n.NExc
		for _, j32 := range n.dirtyIdx {
			j := int(j32)
			s := 0.0
			for k := j; k < len(n.W); k += N {
				s += float64(n.W[k])
			}
			if f := normFactor(s, target); f != 1 {
				for k := j; k < len(n.W); k += N {
					n.W[k] = float32(float64(n.W[k]) * f)
				}
			}
		}
	}
	for _, j := range n.dirtyIdx {
		n.dirty[j] = false
	}
	n.dirtyIdx = n.dirtyIdx[:0]
	n.normAll, n.normTarget = false, target
}

// normFactor is the factor that takes a column summing to s to target: 1 for a column
// that sums to 0 or is already within NormalizeTol.
func normFactor(s, target float64) float64 {
	if !(s > 0) || math.Abs(s-target) <= NormalizeTol*target {
		return 1
	}
	return target / s
}

// normalizeAll is NormalizeColumns over every column: two passes over W in memory order.
func (n *Network) normalizeAll(target float64, scratch []float64) {
	sums := resize(scratch, n.NExc)
	clear(sums)
	for i := range n.NIn {
		row := n.W[i*n.NExc : (i+1)*n.NExc]
		for j, w := range row {
			sums[j] += float64(w)
		}
	}
	for j, s := range sums {
		sums[j] = normFactor(s, target)
	}
	for i := range n.NIn {
		row := n.W[i*n.NExc : (i+1)*n.NExc]
		for j := range row {
			if f := sums[j]; f != 1 {
				row[j] = float32(float64(row[j]) * f)
			}
		}
	}
}

// ShiftTime re-expresses every stored time after a trial of length d has ended, so that
// the state is at local time 0 of the next trial.
func (n *Network) ShiftTime(d float64) {
	for _, s := range [][]float64{n.RefEnd, n.RefEndI, n.LastPre, n.LastPost} {
		for k := range s {
			s[k] -= d
		}
	}
}

func resize(s []float64, n int) []float64 {
	if cap(s) >= n {
		return s[:n]
	}
	return make([]float64, n)
}

// Restore re-derives the unexported caches of a network whose exported fields were filled
// directly (for example from a snapshot).
func (n *Network) Restore() {
	n.WeightsChanged()
}
