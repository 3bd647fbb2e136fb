// Package enginetest holds what the engine tests share: the conformance suite (Run) that
// every engine passes, MNIST-like synthetic inputs, and the spike-pairing agreement measure
// used to compare two engines. It is imported by tests only, in the manner of Gonum's
// testblas: an engine's test file calls Run in one line with a Factory and a Tolerance.
//
// The suite knows the engine contract only: Present, the spike record, the network state
// an engine leaves behind (model.Network), and the runaway guard (event.ErrRunaway,
// event.SpikeBudget). Its expected values come from the closed-form solution of the model's
// documented equations, written out here independently of model.Kernel, never from either
// engine. It must not know an engine's internals (queue, screening, grid) beyond what a
// Tolerance states, nor MNIST files, labels or flags.
package enginetest

import (
	"math"
	"math/rand/v2"
	"slices"

	"github.com/evsim/evsim/model"
)

// Presenter is the engine contract: simulate one trial, fill counts.
type Presenter interface {
	Present(tr *model.Trial, counts []int32) error
}

// Digit returns a synthetic 28x28 MNIST-like image: a few thick random strokes with
// intensities up to 255 on a black background (about 20 % of pixels lit, like MNIST).
func Digit(rng *rand.Rand) []uint8 {
	img := make([]uint8, 784)
	strokes := 2 + rng.IntN(3)
	for range strokes {
		x, y := 8+rng.Float64()*12, 6+rng.Float64()*16
		dx, dy := rng.NormFloat64(), rng.NormFloat64()
		for step := 0; step < 14; step++ {
			for py := range 28 {
				for px := range 28 {
					d := math.Hypot(float64(px)-x, float64(py)-y)
					if v := 255 * math.Exp(-d*d/2.2); v > float64(img[py*28+px]) && v > 20 {
						img[py*28+px] = uint8(v)
					}
				}
			}
			x = min(max(x+dx, 3), 24)
			y = min(max(y+dy, 3), 24)
			dx += 0.3 * rng.NormFloat64()
			dy += 0.3 * rng.NormFloat64()
		}
	}
	return img
}

// Rates converts an image to Diehl & Cook input rates: pixel/8·intensity Hz.
func Rates(img []uint8, intensity float64) []float64 {
	r := make([]float64, len(img))
	for i, p := range img {
		r[i] = float64(p) / 8 * intensity
	}
	return r
}

// Trials makes count seeded trials of MNIST-like input (dur ms presentation, rest ms).
func Trials(seed uint64, count int, dur, rest float64) []model.Trial {
	rng := rand.New(rand.NewPCG(seed, 1))
	out := make([]model.Trial, count)
	var cum []float64
	for k := range out {
		rates := Rates(Digit(rng), 2)
		var ins []model.InputSpike
		ins, cum = model.Poisson(nil, cum, rates, dur, rng)
		out[k] = model.Trial{Inputs: ins, Duration: dur, Rest: rest}
	}
	return out
}

// Agreement pairs the spikes of a with those of b (same population and neuron, one to one,
// in time order) when they lie within tol ms of each other, and returns the fraction of a's
// spikes that found a partner. Two empty records agree fully; an empty a against a
// non-empty b not at all.
func Agreement(a, b []model.Spike, tol float64) float64 {
	if len(a) == 0 {
		if len(b) == 0 {
			return 1
		}
		return 0
	}
	type key struct {
		idx int32
		inh bool
	}
	group := func(s []model.Spike) map[key][]float64 {
		m := map[key][]float64{}
		for _, x := range s {
			k := key{x.Idx, x.Inh}
			m[k] = append(m[k], x.T)
		}
		for _, v := range m {
			slices.Sort(v)
		}
		return m
	}
	ga, gb := group(a), group(b)
	paired := 0
	for k, ta := range ga {
		tb := gb[k]
		// Greedy two-pointer matching in time order is optimal for one-dimensional pairing
		// within a tolerance.
		j := 0
		for _, t := range ta {
			for j < len(tb) && tb[j] < t-tol {
				j++
			}
			if j < len(tb) && tb[j] <= t+tol {
				paired++
				j++
			}
		}
	}
	return float64(paired) / float64(len(a))
}
