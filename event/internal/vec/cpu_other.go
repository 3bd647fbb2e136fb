//go:build !amd64

package vec

const hasAVX2, hasFMA = false, false

func axpyAVX2(a []float64, w []float32, alpha float64) { panic("vec: no AVX2 on this architecture") }

func axpy2AVX2(a, c []float64, w []float32, alpha, beta float64) {
	panic("vec: no AVX2 on this architecture")
}

func axpy2FMA(a, c []float64, w []float32, alpha, beta float64) {
	panic("vec: no FMA kernel on this architecture")
}

func addConst2AVX2(a, c []float64, alpha, beta float64) { panic("vec: no AVX2 on this architecture") }

func axpy2BudgetAVX2(a, c []float64, b []int32, w []float32, mask []uint8, alpha, beta float64) {
	panic("vec: no AVX2 on this architecture")
}

func axpy2BudgetToAVX2(a, c []float64, b []int32, a0, c0 []float64, b0 []int32, w []float32, mask []uint8, alpha, beta float64) {
	panic("vec: no AVX2 on this architecture")
}

func expAVX2(dst, x []float64, tab *[56]float64) { panic("vec: no AVX2 on this architecture") }

func expFMA(dst, x []float64, tab *[56]float64) { panic("vec: no AVX2 on this architecture") }
