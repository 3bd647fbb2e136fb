package analysis

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestReceptiveField(t *testing.T) {
	t.Parallel()
	// 3 inputs x 2 neurons, input-major: W[i*2+j].
	W := []float64{
		1, 10, // input 0
		2, 20, // input 1
		3, 30, // input 2
	}
	buf := make([]float64, 0, 8)
	got := ReceptiveField(buf, W, 3, 2, 1)
	if want := []float64{10, 20, 30}; !slices.Equal(got, want) {
		t.Errorf("ReceptiveField(j=1) = %v, want %v", got, want)
	}
	if &got[0] != &buf[:1][0] {
		t.Error("ReceptiveField did not reuse dst's capacity")
	}
	if got := ReceptiveField(nil, W, 3, 2, 0); !slices.Equal(got, []float64{1, 2, 3}) {
		t.Errorf("ReceptiveField(j=0) = %v, want [1 2 3]", got)
	}
	for _, j := range []int{-1, 2} {
		if !panics(func() { ReceptiveField(nil, W, 3, 2, j) }) {
			t.Errorf("ReceptiveField(j=%d) did not panic", j)
		}
	}
	if !panics(func() { ReceptiveField(nil, W, 4, 2, 0) }) {
		t.Error("ReceptiveField with len(W) != nIn*nExc did not panic")
	}
}

func panics(f func()) (p bool) {
	defer func() { p = recover() != nil }()
	f()
	return false
}

func TestNeighbourhoodVariance(t *testing.T) {
	t.Parallel()
	const w, h = 28, 28 // MNIST image size
	constant := make([]float64, w*h)
	for i := range constant {
		constant[i] = 0.375 // dyadic: window sums and means are exact, so the variance is exactly 0
	}
	if v := NeighbourhoodVariance(constant, w, h); v != 0 {
		t.Errorf("NeighbourhoodVariance(constant 0.375) = %v, want 0", v)
	}
	for i := range constant {
		constant[i] = 0.37 // not dyadic: the window mean rounds, leaving ~1e-33
	}
	if v := NeighbourhoodVariance(constant, w, h); !near(v, 0, 1e-30) {
		t.Errorf("NeighbourhoodVariance(constant 0.37) = %v, want 0", v)
	}
	// Checkerboard of a and b: every 3x3 window holds 5 of one value and 4 of the other,
	// so its population variance is p(1-p)(a-b)² with p = 5/9, i.e. (20/81)(a-b)², for
	// both window parities, and so is the mean.
	const a, b = 0.2, 0.9
	board := make([]float64, w*h)
	for i := range board {
		if (i%w+i/w)%2 == 0 {
			board[i] = a
		} else {
			board[i] = b
		}
	}
	if v, want := NeighbourhoodVariance(board, w, h), 20.0/81*(a-b)*(a-b); !near(v, want, 1e-12) {
		t.Errorf("NeighbourhoodVariance(checkerboard) = %v, want 20/81·(a-b)² = %v", v, want)
	}
	// A single 3x3 window: values 1..9 have population variance (9²-1)/12 = 20/3.
	if v := NeighbourhoodVariance([]float64{1, 2, 3, 4, 5, 6, 7, 8, 9}, 3, 3); !near(v, 20.0/3, 1e-12) {
		t.Errorf("NeighbourhoodVariance(1..9) = %v, want 20/3", v)
	}
	if v := NeighbourhoodVariance([]float64{1, 2}, 2, 1); !math.IsNaN(v) {
		t.Errorf("NeighbourhoodVariance without a full window = %v, want NaN", v)
	}
	// A smooth field (a Gaussian blob) against the same blob with pixel noise, and
	// against pure noise of the same range.
	rng := rand.New(rand.NewPCG(1, 1))
	smooth, noisy, pure := make([]float64, w*h), make([]float64, w*h), make([]float64, w*h)
	for i := range smooth {
		dx, dy := float64(i%w)-13.5, float64(i/w)-13.5
		smooth[i] = math.Exp(-(dx*dx + dy*dy) / (2 * 5 * 5))
		noisy[i] = smooth[i] * (0.5 + rng.Float64())
		pure[i] = rng.Float64()
	}
	vs, vn, vp := NeighbourhoodVariance(smooth, w, h), NeighbourhoodVariance(noisy, w, h), NeighbourhoodVariance(pure, w, h)
	if !(vs < vn && vn < vp) {
		t.Errorf("NeighbourhoodVariance smooth %v, noisy %v, pure noise %v: want increasing", vs, vn, vp)
	}
}

func TestRFGrid(t *testing.T) {
	t.Parallel()
	const w, h, nExc, cols = 4, 3, 5, 2
	const nIn = w * h
	W := make([]float64, nIn*nExc)
	for j := range nExc {
		for i := range nIn {
			W[i*nExc+j] = 0.1 * float64((i+j)%3) // background
		}
		W[(2*j)*nExc+j] = 2 + float64(j) // neuron j peaks at pixel 2j
	}
	W[0*nExc+4] = math.NaN() // NaN pixels are black, not poison for the tile
	img := RFGrid(W, nIn, nExc, w, h, cols)
	// 2 columns and ceil(5/2) = 3 rows of 4x3 tiles with 1-pixel frames.
	if b := img.Bounds(); b.Dx() != cols*(w+1)+1 || b.Dy() != 3*(h+1)+1 {
		t.Fatalf("RFGrid bounds %v, want %dx%d", b, cols*(w+1)+1, 3*(h+1)+1)
	}
	for j := range nExc {
		x0, y0 := 1+(j%cols)*(w+1), 1+(j/cols)*(h+1)
		bestI, best := -1, -1
		for i := range nIn {
			if v := int(img.GrayAt(x0+i%w, y0+i/w).Y); v > best {
				bestI, best = i, v
			}
		}
		if bestI != 2*j || best != 255 {
			t.Errorf("tile %d brightest at pixel %d (%d), want pixel %d at 255", j, bestI, best, 2*j)
		}
	}
	if v := img.GrayAt(1+0*(w+1), 1+2*(h+1)).Y; v != 0 {
		t.Errorf("NaN weight drawn as %d, want 0", v)
	}
	// Frame lines and the unused sixth tile are black.
	for x := range img.Bounds().Dx() {
		if img.GrayAt(x, 0).Y != 0 || img.GrayAt(x, h+1).Y != 0 {
			t.Fatalf("frame pixel at x=%d not black", x)
		}
	}
	for i := range nIn {
		if v := img.GrayAt(1+(w+1)+i%w, 1+2*(h+1)+i/w).Y; v != 0 {
			t.Fatalf("unused tile pixel %d = %d, want 0", i, v)
		}
	}
	if !panics(func() { RFGrid(W, nIn, nExc, w, h, 0) }) {
		t.Error("RFGrid with cols 0 did not panic")
	}
	if !panics(func() { RFGrid(W, nIn, nExc, w+1, h, cols) }) {
		t.Error("RFGrid with w*h != nIn did not panic")
	}
}
