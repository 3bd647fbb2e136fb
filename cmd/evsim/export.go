package main

import (
	"bytes"
	"fmt"
	"maps"
	"slices"

	"codeberg.org/sbinet/npyio/npz"
	"github.com/evsim/evsim/analysis/outfile"
	"gonum.org/v1/gonum/mat"
)

// export writes the weights, thresholds and labels as a NumPy .npz archive.
func (e *env) export() error {
	snap := e.snap
	n := snap.Net
	labels := make([]int64, n.NExc)
	for j := range labels {
		labels[j] = -1
		if snap.Meta.Labels != nil {
			labels[j] = int64(snap.Meta.Labels[j])
		}
	}
	w := make([]float64, len(n.W)) // float64 as before the network stored float32: exact
	for k, x := range n.W {
		w[k] = float64(x)
	}
	arrays := map[string]any{
		"weights.npy":    mat.NewDense(n.NIn, n.NExc, w),
		"thresholds.npy": append([]float64(nil), n.Theta...),
		"labels.npy":     labels,
	}
	if err := writeNPZ(e.o.out, arrays); err != nil {
		return fmt.Errorf("cannot write %s: %w", e.o.out, err)
	}
	e.res.Out = e.o.out
	e.res.NExc = n.NExc
	return nil
}

// writeNPZ writes the arrays, in name order, to an archive in memory, then to path
// atomically: a unique temporary file renamed over path, so that a crash or a concurrent
// export never leaves a partial archive.
func writeNPZ(path string, arrays map[string]any) error {
	var b bytes.Buffer
	w := npz.NewWriter(&b)
	for _, name := range slices.Sorted(maps.Keys(arrays)) {
		if err := w.Write(name, arrays[name]); err != nil {
			return err
		}
	}
	if err := w.Close(); err != nil {
		return err
	}
	return outfile.WriteFile(path, b.Bytes())
}
