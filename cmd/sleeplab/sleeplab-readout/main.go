// Command sleeplab-readout compares read-outs of the response counts that sleeplab -dump
// writes (a research tool, not part of evsim): Diehl & Cook's vote, the vote on counts
// normalized by each neuron's mean labelling count, a ridge-regression read-out of
// sqrt(counts) trained on the labelling images, and an optimistic oracle that greedily
// drops neurons from the vote to maximize accuracy on the validation images themselves. It
// gave the README's two further measurements (section "Sleep", after the template bound): a
// ridge read-out of the slept networks' counts, and greedy removal of neurons from the vote.
//
//	go run ./cmd/sleeplab -seeds 1,2,3 -cfg 'exc=1,ms=5000' -dump out
//	go run ./cmd/sleeplab/sleeplab-readout out/s1_awake.gob out/s1_c0.gob
//
// -val must be the -val of the sleeplab run that wrote the files: the labels of the
// validation rows are those of the last -val training images. One line per file: the
// path, the accuracy of each read-out, the neurons that never fired on the labelling
// images, and the mean spikes per validation image.
package main

import (
	"encoding/gob"
	"fmt"
	"io"
	"math"
	"os"
	"sort"

	"github.com/evsim/evsim/analysis"
	"github.com/evsim/evsim/cmd/sleeplab/internal/lab"
	"gonum.org/v1/gonum/mat"
)

func main() { lab.Main("sleeplab-readout", run) }

func run(args []string, stdout, stderr io.Writer) error {
	cmd := lab.NewCommand("sleeplab-readout", "COUNTS.gob...")
	nVal := cmd.Flags.Int("val", 2000, "validation images (the last of the training set), as given to sleeplab")
	if err := cmd.Parse(args, stderr); err != nil {
		return err
	}
	set, err := lab.Load("train", 0)
	if err != nil {
		return err
	}
	if *nVal < 1 || *nVal > set.Len() {
		return lab.Usagef("-val %d: must be in [1, %d]", *nVal, set.Len())
	}
	vl := set.Labels[set.Len()-*nVal:]
	for _, p := range cmd.Flags.Args() {
		c, err := readCounts(p)
		if err != nil {
			return err
		}
		if len(c.Label) == 0 || len(c.Label) > set.Len() {
			return fmt.Errorf("%s: %d labelling rows, want 1 to %d", p, len(c.Label), set.Len())
		}
		if len(c.Val) != *nVal {
			return fmt.Errorf("%s: %d validation rows, but -val is %d", p, len(c.Val), *nVal)
		}
		n := len(c.Label[0])
		for k, r := range append(c.Label[:len(c.Label):len(c.Label)], c.Val...) {
			if len(r) != n {
				return fmt.Errorf("%s: row %d has %d neurons, row 0 has %d", p, k, len(r), n)
			}
		}
		ll := set.Labels[:len(c.Label)]
		assign, err := analysis.Assign(c.Label, ll, 10)
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		dc := analysis.Evaluate(c.Val, vl, assign).Accuracy
		// per-neuron normalization by mean label-set count (readout-level homeostasis)
		mean := make([]float64, n)
		for _, r := range c.Label {
			for j, v := range r {
				mean[j] += float64(v) / float64(len(c.Label))
			}
		}
		norm := func(cs [][]int32) [][]float64 {
			out := make([][]float64, len(cs))
			for k, r := range cs {
				out[k] = make([]float64, n)
				for j, v := range r {
					if mean[j] > 0 {
						out[k][j] = float64(v) / mean[j]
					}
				}
			}
			return out
		}
		nl, nv := norm(c.Label), norm(c.Val)
		nAssign := assignF(nl, ll)
		normAcc := evalF(nv, vl, nAssign)
		// linear ridge read-out trained on label-set counts
		lin := ridge(c.Label, ll, c.Val, vl, 1)
		// oracle: greedy neuron removal on the validation set (upper bound, optimistic)
		greedy := greedyDrop(c.Val, vl, assign)
		silent := 0
		for j := range n {
			if mean[j] == 0 {
				silent++
			}
		}
		sp := 0.0
		for _, r := range c.Val {
			for _, v := range r {
				sp += float64(v)
			}
		}
		fmt.Fprintf(stdout, "%-28s DC %.4f  norm %.4f  ridge %.4f  greedy-drop(val oracle) %.4f  silent-on-label %d  spikes/img %.1f\n", p, dc, normAcc, lin, greedy, silent, sp/float64(len(c.Val)))
	}
	return nil
}

func readCounts(path string) (lab.Counts, error) {
	var c lab.Counts
	f, err := os.Open(path)
	if err != nil {
		return c, err
	}
	defer f.Close()
	if err := gob.NewDecoder(f).Decode(&c); err != nil {
		return c, fmt.Errorf("%s: not response counts (gob): %w", path, err)
	}
	return c, nil
}

func assignF(c [][]float64, labels []uint8) []int {
	n := len(c[0])
	sum := make([]float64, 10*n)
	per := make([]float64, 10)
	for k, r := range c {
		per[labels[k]]++
		for j, v := range r {
			sum[int(labels[k])*n+j] += v
		}
	}
	out := make([]int, n)
	for j := range n {
		best, arg := 0.0, -1
		for y := range 10 {
			if m := sum[y*n+j] / per[y]; m > best {
				best, arg = m, y
			}
		}
		out[j] = arg
	}
	return out
}

func evalF(c [][]float64, labels []uint8, assign []int) float64 {
	ok := 0
	for k, r := range c {
		var s [10]float64
		var num [10]int
		for j, y := range assign {
			if y >= 0 {
				s[y] += r[j]
				num[y]++
			}
		}
		best, arg := 0.0, -1
		for y := range 10 {
			if num[y] > 0 && s[y]/float64(num[y]) > best {
				best, arg = s[y]/float64(num[y]), y
			}
		}
		if arg == int(labels[k]) {
			ok++
		}
	}
	return float64(ok) / float64(len(c))
}

func ridge(xl [][]int32, yl []uint8, xv [][]int32, yv []uint8, lambda float64) float64 {
	n := len(xl[0]) + 1
	X := mat.NewDense(len(xl), n, nil)
	Y := mat.NewDense(len(xl), 10, nil)
	for k, r := range xl {
		for j, v := range r {
			X.Set(k, j, math.Sqrt(float64(v)))
		}
		X.Set(k, n-1, 1)
		Y.Set(k, int(yl[k]), 1)
	}
	var A mat.Dense
	A.Mul(X.T(), X)
	for j := range n {
		A.Set(j, j, A.At(j, j)+lambda)
	}
	var B mat.Dense
	B.Mul(X.T(), Y)
	var Wt mat.Dense
	if err := Wt.Solve(&A, &B); err != nil {
		return math.NaN()
	}
	ok := 0
	for k, r := range xv {
		var s [10]float64
		for y := range 10 {
			s[y] = Wt.At(n-1, y)
			for j, v := range r {
				s[y] += math.Sqrt(float64(v)) * Wt.At(j, y)
			}
		}
		arg := 0
		for y := range 10 {
			if s[y] > s[arg] {
				arg = y
			}
		}
		if arg == int(yv[k]) {
			ok++
		}
	}
	return float64(ok) / float64(len(xv))
}

// greedyDrop removes, one at a time, the neuron whose removal most improves validation
// accuracy, until nothing improves (an optimistic oracle).
func greedyDrop(xv [][]int32, yv []uint8, assign []int) float64 {
	a := append([]int(nil), assign...)
	cur := analysis.Evaluate(xv, yv, a).Accuracy
	for {
		type cand struct {
			j   int
			acc float64
		}
		var cs []cand
		for j := range a {
			if a[j] < 0 {
				continue
			}
			y := a[j]
			a[j] = -1
			cs = append(cs, cand{j, analysis.Evaluate(xv, yv, a).Accuracy})
			a[j] = y
		}
		sort.Slice(cs, func(p, q int) bool { return cs[p].acc > cs[q].acc })
		if len(cs) == 0 || cs[0].acc <= cur {
			return cur
		}
		// drop the best few at once to go faster
		dropped := 0
		for _, c := range cs[:min(5, len(cs))] {
			if c.acc > cur {
				a[c.j] = -1
				dropped++
			}
		}
		cur = analysis.Evaluate(xv, yv, a).Accuracy
	}
}
