package main

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/evsim/evsim/cmd/sleeplab/internal/labtest"
)

// TestStats: one line per snapshot, with quantiles that agree with the snapshot's θ and
// weights, for any population size (3 neurons: the quantile indices stay in range).
func TestStats(t *testing.T) {
	dir := t.TempDir()
	a := labtest.Snapshot(t, dir, 3, 20, 1)
	b := labtest.Snapshot(t, dir, 8, 20, 2)
	pa, pb := dir+"/awake1.snap", dir+"/awake2.snap"
	stdout, _, err := labtest.Run(run, pa, pb)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("got %d lines, want one per snapshot:\n%s", len(lines), stdout)
	}
	num := `(-?\d+\.\d+)`
	for i, c := range []struct {
		path  string
		theta []float64
		w     []float32
		n     int
	}{{pa, a.Net.Theta, a.Net.W, 3}, {pb, b.Net.Theta, b.Net.W, 8}} {
		re := regexp.MustCompile("^" + regexp.QuoteMeta(c.path) + " θ q0 " + strings.Repeat(num+" q\\d+ ", 4) + num +
			" \\| colmax q10 " + num + " q50 " + num + " q90 " + num + " \\| colsum q10 " + num + " q50 " + num + " q90 " + num + "$")
		v := labtest.Floats(t, re, lines[i])
		th := v[:5]
		if want := fmt.Sprintf("%.2f %.2f", slices.Min(c.theta), slices.Max(c.theta)); fmt.Sprintf("%.2f %.2f", th[0], th[4]) != want {
			t.Errorf("%s: θ q0, q100 = %v, %v, want %s", c.path, th[0], th[4], want)
		}
		if !slices.IsSorted(th) || !slices.IsSorted(v[5:8]) || !slices.IsSorted(v[8:11]) {
			t.Errorf("%s: quantiles out of order: %v", c.path, v)
		}
		// Every neuron's largest weight is at most the largest weight of the network, and
		// the q90 column sum at most the largest column sum.
		sum := make([]float64, c.n)
		for k, w := range c.w {
			sum[k%c.n] += float64(w)
		}
		if maxW := float64(slices.Max(c.w)); v[7] > maxW+0.005 || v[7] <= 0 {
			t.Errorf("%s: colmax q90 %v, want in (0, %.2f]", c.path, v[7], maxW)
		}
		if maxS := slices.Max(sum); v[10] > maxS+0.05 || v[8] < slices.Min(sum)-0.05 {
			t.Errorf("%s: colsum q10..q90 %v..%v outside the column sums [%.1f, %.1f]", c.path, v[8], v[10], slices.Min(sum), maxS)
		}
	}

	if _, _, err := labtest.Run(run, dir+"/none.snap"); err == nil || !strings.Contains(err.Error(), "none.snap") {
		t.Errorf("missing snapshot: got %v, want an error naming it", err)
	}
	labtest.Refuses(t, run, "flag provided but not defined: -x", "-x", pa)
}
