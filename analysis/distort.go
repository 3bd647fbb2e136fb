package analysis

import (
	"math"
	"math/rand/v2"
)

// GaussianNoise writes img plus zero-mean Gaussian noise into dst, like MATLAB's
// imnoise(I, 'gaussian', 0, variance): each pixel p (0..255, meaning p/255 in [0, 1])
// becomes p/255 + sqrt(variance)·z, z standard normal, clipped to [0, 1] and rounded
// back to 0..255. variance is on the [0, 1] scale. One normal is drawn from rng per
// pixel even when variance is 0, so with the same seed every variance sees the same
// noise pattern, only scaled. dst may be img. It panics if len(dst) != len(img),
// rng is nil or variance is negative or NaN.
func GaussianNoise(dst, img []uint8, variance float64, rng *rand.Rand) {
	if len(dst) != len(img) {
		panic("analysis: dst and img lengths differ")
	}
	if rng == nil {
		panic("analysis: nil rng")
	}
	if !(variance >= 0) {
		panic("analysis: noise variance negative or NaN")
	}
	sd := math.Sqrt(variance)
	for i, p := range img {
		v := float64(p)/255 + sd*rng.NormFloat64()
		dst[i] = toUint8(v * 255)
	}
}

// toUint8 rounds v (on the 0..255 scale) to the nearest uint8, clipping to [0, 255].
func toUint8(v float64) uint8 {
	switch {
	case v <= 0: // also false for NaN, which cannot arise from finite input
		return 0
	case v >= 255:
		return 255
	}
	return uint8(math.Round(v))
}

// gaussKernel returns the normalized 1-D Gaussian kernel exp(-x²/(2σ²)) of MATLAB's
// imgaussfilt default size 2·ceil(2σ)+1, for σ > 0.
func gaussKernel(sigma float64) []float64 {
	r := int(math.Ceil(2 * sigma))
	k := make([]float64, 2*r+1)
	var sum float64
	for i := range k {
		x := float64(i - r)
		k[i] = math.Exp(-x * x / (2 * sigma * sigma))
		sum += k[i]
	}
	for i := range k {
		k[i] /= sum
	}
	return k
}

// GaussianBlur writes the w x h row-major image img blurred by a Gaussian of standard
// deviation sigma pixels into dst, like MATLAB's imgaussfilt(I, sigma): a separable
// kernel of size 2·ceil(2·sigma)+1 normalized to sum 1, replicate padding at the
// borders, the result rounded to uint8. sigma <= 0 copies img. dst may be img.
// It panics if len(img) != w*h, len(dst) != len(img) or sigma is NaN or infinite.
// Cost O(w·h·sigma).
func GaussianBlur(dst, img []uint8, w, h int, sigma float64) {
	if w < 0 || h < 0 || len(img) != w*h {
		panic("analysis: image size does not match w*h")
	}
	if len(dst) != len(img) {
		panic("analysis: dst and img lengths differ")
	}
	if math.IsNaN(sigma) || math.IsInf(sigma, 0) {
		panic("analysis: blur sigma NaN or infinite")
	}
	if sigma <= 0 || len(img) == 0 {
		copy(dst, img)
		return
	}
	k := gaussKernel(sigma)
	r := len(k) / 2
	tmp := make([]float64, w*h) // horizontal pass
	for y := range h {
		row := img[y*w : (y+1)*w]
		for x := range w {
			var s float64
			for i, kv := range k {
				s += kv * float64(row[clampInt(x+i-r, w)])
			}
			tmp[y*w+x] = s
		}
	}
	for y := range h { // vertical pass
		for x := range w {
			var s float64
			for i, kv := range k {
				s += kv * tmp[clampInt(y+i-r, h)*w+x]
			}
			dst[y*w+x] = toUint8(s)
		}
	}
}

// clampInt clamps i to [0, n-1]: replicate padding.
func clampInt(i, n int) int {
	return max(0, min(i, n-1))
}
