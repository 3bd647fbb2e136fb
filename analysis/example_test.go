package analysis_test

import (
	"fmt"

	"github.com/evsim/evsim/analysis"
)

// Student's sleep data (R's datasets::sleep): hours gained by 10 patients on each drug.
// Differences are b - a, so "drug 2 minus drug 1" is PairedTTest(drug1, drug2).
func ExamplePairedTTest() {
	drug1 := []float64{0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0}
	drug2 := []float64{1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4}
	r, err := analysis.PairedTTest(drug1, drug2)
	if err != nil {
		panic(err)
	}
	fmt.Printf("t = %.4f, df = %g, p = %.6f, mean diff = %.2f\n", r.T, r.DF, r.P, r.MeanDiff)
	// Output:
	// t = 4.0621, df = 9, p = 0.002833, mean diff = 1.58
}

func ExamplePearson() {
	c, err := analysis.Pearson([]float64{1, 2, 3, 4, 5}, []float64{2, 4, 5, 4, 5})
	if err != nil {
		panic(err)
	}
	fmt.Printf("r = %.4f, p = %.4f, n = %d\n", c.R, c.P, c.N)
	// Output:
	// r = 0.7746, p = 0.1240, n = 5
}

// A 28x28 receptive field with a checkerboard texture is "noisy": each 3x3 window holds
// five pixels of one value and four of the other.
func ExampleNeighbourhoodVariance() {
	const w, h = 28, 28
	smooth, checker := make([]float64, w*h), make([]float64, w*h)
	for i := range checker {
		smooth[i] = 0.5
		checker[i] = float64((i%w + i/w) % 2)
	}
	fmt.Printf("smooth %.4f, checkerboard %.4f (20/81)\n",
		analysis.NeighbourhoodVariance(smooth, w, h), analysis.NeighbourhoodVariance(checker, w, h))
	// Output:
	// smooth 0.0000, checkerboard 0.2469 (20/81)
}
