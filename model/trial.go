package model

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
)

// InputSpike is one spike of input Idx at local time T (ms).
type InputSpike struct {
	T   float64
	Idx int32
}

// Trial is what an engine is asked to simulate: input spikes during a presentation of
// Duration ms, then Rest ms without input. Excitatory spikes are counted during the
// presentation, [0, Duration). Both engines consume the same Trial, so their outputs
// can be compared spike by spike.
type Trial struct {
	Inputs   []InputSpike // sorted by (T, Idx), every T in [0, Duration)
	Duration float64
	Rest     float64
}

// Spike is one recorded output spike (trial-local time).
type Spike struct {
	T   float64
	Idx int32
	Inh bool // from the inhibitory population
}

// Check validates a trial against a network with nIn inputs.
func (tr *Trial) Check(nIn int) error {
	if !(tr.Duration > 0) || math.IsInf(tr.Duration, 0) {
		return fmt.Errorf("model: trial duration %v ms: must be finite and > 0", tr.Duration)
	}
	if !(tr.Rest >= 0) || math.IsInf(tr.Rest, 0) {
		return fmt.Errorf("model: trial rest %v ms: must be finite and >= 0", tr.Rest)
	}
	prev := InputSpike{T: math.Inf(-1), Idx: -1}
	for k, s := range tr.Inputs {
		if s.Idx < 0 || int(s.Idx) >= nIn {
			return fmt.Errorf("model: trial input %d: index %d outside [0, %d)", k, s.Idx, nIn)
		}
		if !(s.T >= 0 && s.T < tr.Duration) {
			return fmt.Errorf("model: trial input %d: time %v outside [0, %v)", k, s.T, tr.Duration)
		}
		if s.T < prev.T || (s.T == prev.T && s.Idx <= prev.Idx) {
			return errors.New("model: trial inputs are not sorted by (time, index) without duplicates")
		}
		prev = s
	}
	return nil
}

// Poisson appends to dst (after truncating it) independent Poisson spike trains, one per
// input, with rates in Hz, over [0, dur) ms, sorted by (time, index). The spikes are drawn
// as one superposed process of rate Σ rates, each spike assigned to an input with
// probability proportional to its rate, which is the same distribution and needs no sort.
// The input of a uniform draw u in [0, Σ rates) is the first whose cumulative rate exceeds
// u, found from a guide table in a few comparisons. scratch is scratch space for the
// cumulative rates and the table (may be nil); it is returned for reuse.
func Poisson(dst []InputSpike, scratch []float64, rates []float64, dur float64, rng *rand.Rand) ([]InputSpike, []float64) {
	dst = dst[:0]
	n := len(rates)
	scratch = resize(scratch, 2*n)
	cum, guide := scratch[:n], scratch[n:]
	total := 0.0
	for i, r := range rates {
		if r < 0 || math.IsNaN(r) || math.IsInf(r, 0) {
			panic("model: Poisson rate must be finite and >= 0")
		}
		total += r
		cum[i] = total
	}
	if total == 0 {
		return dst, scratch
	}
	// guide[b] is the first input whose cumulative rate exceeds b·total/n (as a float64:
	// an index below 2^53 is exact). A draw u starts from guide[⌊u·n/total⌋]; whatever the
	// rounding of either side, the scan below corrects the start to the exact answer.
	scale := float64(n) / total
	for b, i := 0, 0; b < n; b++ {
		x := float64(b) / scale
		for i < n && cum[i] <= x {
			i++
		}
		guide[b] = float64(i)
	}
	perMS := total / 1000
	t := 0.0
	for {
		t += rng.ExpFloat64() / perMS
		if t >= dur {
			break
		}
		u := rng.Float64() * total
		b := n - 1 // also when u·scale is +Inf or NaN (a subnormal total): the scan corrects it
		if x := u * scale; x < float64(n-1) {
			b = int(x)
		}
		i := int(guide[b])
		for i > 0 && cum[i-1] > u {
			i--
		}
		for i < n && cum[i] <= u {
			i++
		}
		// The first input with cum[i] > u has cum[i-1] <= u < cum[i]: a non-zero rate. u can
		// round up to total (probability 2^-53): then the last input, as before this table.
		i = min(i, n-1)
		if n := len(dst); n > 0 && dst[n-1].T == t && dst[n-1].Idx >= int32(i) {
			continue // a tie in time, measure zero: drop rather than break the order
		}
		dst = append(dst, InputSpike{T: t, Idx: int32(i)})
	}
	return dst, scratch
}
