package runner

import (
	"fmt"
	"reflect"
)

// Classes is the number of classes the runner labels and scores: labels are 0..Classes-1.
const Classes = 10

// Dataset is what the runner trains, labels, tests and sleeps on: a sequence of labelled
// grey-level images. *mnist.Set implements it; so can any other source of images, such as
// a synthetic set built in a test.
//
// Image i has one pixel per network input (0 black .. 255 white): a pixel p drives its
// input at p/8·intensity Hz. The runner checks the length of every image it presents
// against the network's inputs and returns an error on a mismatch. Labels lie in
// 0..Classes-1. The runner only reads a Dataset, from several goroutines at once during
// testing, and never keeps the slices Image returns.
type Dataset interface {
	Len() int            // number of images
	Image(i int) []uint8 // image i, 0 <= i < Len(); read-only
	Label(i int) uint8   // class of image i, 0 <= i < Len()
}

// isNil reports whether ds is nil or a nil pointer in an interface (a nil *mnist.Set).
func isNil(ds Dataset) bool {
	if ds == nil {
		return true
	}
	v := reflect.ValueOf(ds)
	switch v.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Func, reflect.Interface, reflect.Chan:
		return v.IsNil()
	}
	return false
}

// checkImage returns an error unless image k (what: "image", "training image") has nIn
// pixels.
func checkImage(what string, k int, img []uint8, nIn int) error {
	if len(img) != nIn {
		return fmt.Errorf("runner: %s %d has %d pixels, the network %d inputs", what, k, len(img), nIn)
	}
	return nil
}

// labelsOf returns the labels of the first n images of ds, checking that each is a class.
func labelsOf(ds Dataset, n int) ([]uint8, error) {
	out := make([]uint8, n)
	for k := range out {
		y := ds.Label(k)
		if int(y) >= Classes {
			return nil, fmt.Errorf("runner: image %d has label %d, want 0..%d", k, y, Classes-1)
		}
		out[k] = y
	}
	return out, nil
}
