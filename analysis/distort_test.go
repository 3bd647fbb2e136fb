package analysis

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestGaussianKernel(t *testing.T) {
	t.Parallel()
	// MATLAB imgaussfilt's default FilterSize is 2*ceil(2*sigma)+1 (MATLAB documentation).
	for _, c := range []struct {
		sigma float64
		size  int
	}{{1, 5}, {0.5, 3}, {1.2, 7}, {2, 9}} {
		k := gaussKernel(c.sigma)
		if len(k) != c.size {
			t.Errorf("len(gaussKernel(%v)) = %d, want %d", c.sigma, len(k), c.size)
		}
		var sum float64
		for _, v := range k {
			sum += v
		}
		if !near(sum, 1, 1e-15) {
			t.Errorf("gaussKernel(%v) sums to %v, want 1", c.sigma, sum)
		}
	}
	// sigma = 1: weights ∝ exp(-x²/2) at x = 0, ±1, ±2, so k[1]/k[2] = exp(-1/2).
	if k := gaussKernel(1); !near(k[1]/k[2], math.Exp(-0.5), 1e-15) || k[0] != k[4] {
		t.Errorf("gaussKernel(1) = %v, not exp(-x²/2) shaped", k)
	}
}

func TestGaussianBlur(t *testing.T) {
	t.Parallel()
	const w, h = 28, 28 // MNIST image size
	constant := make([]uint8, w*h)
	for i := range constant {
		constant[i] = 137
	}
	dst := make([]uint8, w*h)
	GaussianBlur(dst, constant, w, h, 1.5)
	if !slices.Equal(dst, constant) {
		t.Error("GaussianBlur changed a constant image (replicate padding, kernel sum 1)")
	}
	// A bright square in the middle: total intensity is preserved (the blur moves no
	// mass across a border that the square is far from), up to rounding of 28² pixels.
	img := make([]uint8, w*h)
	var total int
	for y := 10; y < 18; y++ {
		for x := 10; x < 18; x++ {
			img[y*w+x] = 200
			total += 200
		}
	}
	GaussianBlur(dst, img, w, h, 1)
	var got int
	for _, v := range dst {
		got += int(v)
	}
	// Each pixel rounds by at most 0.5; the blurred square touches (8+4)² = 144 pixels.
	if math.Abs(float64(got-total)) > 0.5*144 {
		t.Errorf("blurred total %d, want %d ± 72", got, total)
	}
	if dst[14*w+14] != 200 || dst[10*w+10] >= 200 || dst[8*w+14] == 0 {
		t.Errorf("blur did not smooth the edges: centre %d, corner %d, outside %d", dst[14*w+14], dst[10*w+10], dst[8*w+14])
	}
	// A single bright pixel spreads into the 5x5 kernel footprint of sigma 1, no further.
	dot := make([]uint8, w*h)
	dot[14*w+14] = 255
	GaussianBlur(dst, dot, w, h, 1)
	if dst[12*w+14] == 0 || dst[11*w+14] != 0 || dst[14*w+16] == 0 || dst[14*w+17] != 0 {
		t.Error("sigma-1 blur footprint is not 5x5")
	}
	for _, sigma := range []float64{0, -1} {
		GaussianBlur(dst, img, w, h, sigma)
		if !slices.Equal(dst, img) {
			t.Errorf("GaussianBlur(sigma %v) did not copy", sigma)
		}
	}
	// In place.
	in := slices.Clone(img)
	GaussianBlur(in, in, w, h, 1)
	GaussianBlur(dst, img, w, h, 1)
	if !slices.Equal(in, dst) {
		t.Error("in-place GaussianBlur differs")
	}
	if !panics(func() { GaussianBlur(dst, img, w, h, math.NaN()) }) {
		t.Error("NaN sigma did not panic")
	}
}

func TestGaussianNoise(t *testing.T) {
	t.Parallel()
	const n = 100000 // pixels: sampling error of the variance is about sqrt(2/n) ≈ 0.45%
	img := make([]uint8, n)
	for i := range img {
		img[i] = 128 // mid-gray
	}
	dst := make([]uint8, n)
	GaussianNoise(dst, img, 0, rand.New(rand.NewPCG(1, 1)))
	if !slices.Equal(dst, img) {
		t.Error("GaussianNoise(variance 0) changed the image")
	}
	// variance 0.01 on [0, 1]: sd 0.1, i.e. 25.5 gray levels, so clipping at 128 ± 127 is
	// 5 sd away and negligible. Expected variance in gray levels: 0.01·255² plus 1/12 for
	// rounding to integers (uniform rounding error).
	const variance = 0.01
	GaussianNoise(dst, img, variance, rand.New(rand.NewPCG(1, 1)))
	var sum, sq float64
	for _, v := range dst {
		d := float64(v) - 128
		sum += d
		sq += d * d
	}
	mean := sum / n
	got := sq/n - mean*mean
	want := variance*255*255 + 1.0/12
	if math.Abs(got-want) > 0.03*want {
		t.Errorf("noise variance %v gray levels², want %v ± 3%%", got, want)
	}
	if math.Abs(mean) > 0.5 {
		t.Errorf("noise mean %v gray levels, want 0 ± 0.5", mean)
	}
	// Seeded determinism.
	again := make([]uint8, n)
	GaussianNoise(again, img, variance, rand.New(rand.NewPCG(1, 1)))
	if !slices.Equal(again, dst) {
		t.Error("GaussianNoise not deterministic for a fixed seed")
	}
	GaussianNoise(again, img, variance, rand.New(rand.NewPCG(2, 1)))
	if slices.Equal(again, dst) {
		t.Error("GaussianNoise identical for different seeds")
	}
	// Clipping: at variance 100 (sd 10 on [0, 1]) a mid-gray pixel escapes saturation only
	// when |z| < ~0.05, about 4% of draws (normal table), so >= 90% must be 0 or 255.
	GaussianNoise(dst, img, 100, rand.New(rand.NewPCG(1, 1)))
	var sat int
	for _, v := range dst {
		if v == 0 || v == 255 {
			sat++
		}
	}
	if sat < n*9/10 {
		t.Errorf("variance-100 noise saturated %d of %d pixels, want >= 90%%", sat, n)
	}
	if !panics(func() { GaussianNoise(dst, img, 0.1, nil) }) {
		t.Error("nil rng did not panic")
	}
	if !panics(func() { GaussianNoise(dst, img, -0.1, rand.New(rand.NewPCG(1, 1))) }) {
		t.Error("negative variance did not panic")
	}
}
