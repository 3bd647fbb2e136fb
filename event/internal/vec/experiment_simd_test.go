//go:build goexperiment.simd && amd64

package vec

import "simd/archsimd"

// axpy2Archsimd is Axpy2 written with Go 1.26's experimental simd/archsimd package
// (GOEXPERIMENT=simd), for the comparison of the two routes in BenchmarkAxpy2.
func axpy2Archsimd(a, c, w []float64, alpha, beta float64) {
	al, be := archsimd.BroadcastFloat64x4(alpha), archsimd.BroadcastFloat64x4(beta)
	n := len(w) &^ 3
	a, c = a[:len(w)], c[:len(w)]
	for k := 0; k < n; k += 4 {
		x := archsimd.LoadFloat64x4Slice(w[k:])
		archsimd.LoadFloat64x4Slice(a[k:]).Add(x.Mul(al)).StoreSlice(a[k:])
		archsimd.LoadFloat64x4Slice(c[k:]).Add(x.Mul(be)).StoreSlice(c[k:])
	}
	for k := n; k < len(w); k++ {
		a[k] += float64(alpha * w[k])
		c[k] += float64(beta * w[k])
	}
}

// experimental measures archsimd over float64 weights (a copy of w), the route as it was
// compared before the weights moved to float32.
func experimental(a, c []float64, w32 []float32) []struct {
	name string
	f    func()
	ok   bool
} {
	w := make([]float64, len(w32))
	for k, x := range w32 {
		w[k] = float64(x)
	}
	return []struct {
		name string
		f    func()
		ok   bool
	}{{"archsimd", func() { axpy2Archsimd(a, c, w, 1e-9, -1e-9) }, archsimd.X86.AVX2()}}
}
