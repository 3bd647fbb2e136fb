//go:build !(goexperiment.simd && amd64)

package vec

// experimental kernels are measured only under GOEXPERIMENT=simd (see experiment_simd_test.go).
func experimental(a, c []float64, w []float32) []struct {
	name string
	f    func()
	ok   bool
} {
	return nil
}
