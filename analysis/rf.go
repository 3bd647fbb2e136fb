package analysis

import (
	"image"
	"math"
)

// resize returns dst with length n, reusing its capacity when it can.
func resize(dst []float64, n int) []float64 {
	if cap(dst) < n {
		return make([]float64, n)
	}
	return dst[:n]
}

// ReceptiveField copies neuron j's receptive field, column j of the input-major weight
// matrix W (W[i*nExc+j] is the weight from input pixel i to neuron j), into dst resized
// to nIn, and returns it. W may hold float32 (a network's) or float64 weights. It panics
// if len(W) != nIn*nExc or j is outside [0, nExc).
func ReceptiveField[F float32 | float64](dst []float64, W []F, nIn, nExc, j int) []float64 {
	if nIn < 0 || nExc < 0 || len(W) != nIn*nExc {
		panic("analysis: weight matrix size does not match nIn*nExc")
	}
	if j < 0 || j >= nExc {
		panic("analysis: neuron index out of range")
	}
	dst = resize(dst, nIn)
	for i := range dst {
		dst[i] = float64(W[i*nExc+j])
	}
	return dst
}

// NeighbourhoodVariance is the "average neighborhood pixel variance using 3x3 pixel
// squares" of Tadros, Krishnan & Bazhenov (2019), Fig. 5B: for every 3x3 window lying
// wholly inside the row-major w x h image, the population variance (denominator 9) of
// its nine values, averaged over the (w-2)(h-2) windows. Smooth fields score low, noisy
// ones high. It returns NaN when the image has no full window (w < 3 or h < 3) and
// panics if len(img) != w*h. Cost O(w·h).
func NeighbourhoodVariance(img []float64, w, h int) float64 {
	if w < 0 || h < 0 || len(img) != w*h {
		panic("analysis: image size does not match w*h")
	}
	if w < 3 || h < 3 {
		return math.NaN()
	}
	var sum float64
	for y := 1; y < h-1; y++ {
		for x := 1; x < w-1; x++ {
			var m float64
			for dy := -1; dy <= 1; dy++ {
				row := img[(y+dy)*w+x-1 : (y+dy)*w+x+2]
				m += row[0] + row[1] + row[2]
			}
			m /= 9
			var v float64
			for dy := -1; dy <= 1; dy++ {
				for _, p := range img[(y+dy)*w+x-1 : (y+dy)*w+x+2] {
					v += (p - m) * (p - m)
				}
			}
			sum += v / 9
		}
	}
	return sum / float64((w-2)*(h-2))
}

// RFGrid draws every neuron's receptive field as one grayscale image: neuron j is the
// tile in row j/cols, column j%cols, each tile the w x h field (pixel i at x = i%w,
// y = i/w) scaled so that its own largest weight is white (255) and weights <= 0 are
// black. Tiles are separated and framed by 1-pixel black lines, so the image is
// cols*(w+1)+1 pixels wide and rows*(h+1)+1 high, rows = ceil(nExc/cols); unused tiles
// in the last row stay black, as do NaN weights and tiles whose largest weight is <= 0
// or +Inf.
// W may hold float32 (a network's) or float64 weights. It panics if len(W) != nIn*nExc,
// nIn != w*h or cols < 1.
func RFGrid[F float32 | float64](W []F, nIn, nExc, w, h, cols int) *image.Gray {
	if nIn < 0 || nExc < 0 || len(W) != nIn*nExc {
		panic("analysis: weight matrix size does not match nIn*nExc")
	}
	if w < 0 || h < 0 || nIn != w*h {
		panic("analysis: tile size does not match nIn")
	}
	if cols < 1 {
		panic("analysis: RFGrid needs at least one column")
	}
	rows := (nExc + cols - 1) / cols
	img := image.NewGray(image.Rect(0, 0, cols*(w+1)+1, rows*(h+1)+1))
	for j := range nExc {
		maxW := 0.0
		for i := range nIn {
			if v := float64(W[i*nExc+j]); v > maxW { // false for NaN: NaN weights are skipped
				maxW = v
			}
		}
		if !(maxW > 0) || math.IsInf(maxW, 1) {
			continue
		}
		x0, y0 := 1+(j%cols)*(w+1), 1+(j/cols)*(h+1)
		for i := range nIn {
			v := float64(W[i*nExc+j]) / maxW
			if !(v > 0) {
				continue
			}
			img.Pix[(y0+i/w)*img.Stride+x0+i%w] = uint8(math.Round(255 * math.Min(v, 1)))
		}
	}
	return img
}
