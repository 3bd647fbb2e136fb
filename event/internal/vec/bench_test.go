package vec

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// BenchmarkAxpy2 compares the fan-out kernels on one row of n synapses (the event
// engine's per-input work): the portable Go loop,
// the plain AVX2 kernel, the fused AVX2+FMA kernel (not used: it rounds differently), and
// the kernel the engine uses, which also updates the screening budgets (both paths).
// synevents/s counts one synapse (two multiply-adds) per element.
func BenchmarkAxpy2(b *testing.B) {
	for _, n := range []int{400, 6400} {
		rng := rand.New(rand.NewPCG(1, 1))
		w, a, c := randSlice32(rng, n), randSlice(rng, n), randSlice(rng, n)
		bud, mask := make([]int32, n), make([]uint8, (n+7)/8)
		for k := range bud {
			bud[k] = BudgetMax
		}
		kernels := []struct {
			name string
			f    func()
			ok   bool
		}{
			{"go", func() { axpy2Go(a, c, w, 1e-9, -1e-9) }, true},
			{"avx2", func() { axpy2AVX2(a, c, w, 1e-9, -1e-9) }, hasAVX2},
			{"avx2fma", func() { axpy2FMA(a, c, w, 1e-9, -1e-9) }, hasFMA},
			// The kernel the engine uses: the fan-out plus the screening budgets and mask.
			{"avx2budget", func() { axpy2BudgetAVX2(a, c, bud, w, mask, 1e-9, -1e-9) }, hasAVX2},
			{"gobudget", func() { axpy2BudgetGo(a, c, bud, w, mask, 1e-9, -1e-9) }, true},
		}
		kernels = append(kernels, experimental(a, c, w)...)
		for _, k := range kernels {
			if !k.ok {
				continue
			}
			b.Run(fmt.Sprintf("kernel=%s/n=%d", k.name, n), func(b *testing.B) {
				for b.Loop() {
					k.f()
				}
				b.ReportMetric(float64(b.N)*float64(n)/b.Elapsed().Seconds(), "synevents/s")
			})
		}
	}
}

// BenchmarkExp: Exp over one frame's worth of input times (128 arguments in [-18, 0]),
// against math.Exp one at a time.
func BenchmarkExp(b *testing.B) {
	x, dst := make([]float64, 128), make([]float64, 128)
	for k := range x {
		x[k] = -18 * float64(k) / 128
	}
	b.Run("vec", func(b *testing.B) {
		for b.Loop() {
			Exp(dst, x)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(x)), "ns/exp")
	})
	b.Run("math", func(b *testing.B) {
		for b.Loop() {
			for k, v := range x {
				dst[k] = math.Exp(v)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(x)), "ns/exp")
	})
}
