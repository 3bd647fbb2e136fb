// Command sleeplab-stats prints, for each snapshot, the quantiles of the thresholds θ and of
// each neuron's largest and summed input weight (a research tool, not part of evsim). It
// gave the README's remark (section "Sleep") that after 1,000 images most receptive fields
// are still close to their random start: largest weight 0.19-0.24 against 0.2 at the start
// (400 neurons without the warm-up, seeds 1-5):
//
//	for s in 1 2 3 4 5; do go run ./cmd/evsim -phase train -n 400 -train 1000 -warmup-images 0 -label 0 -seed $s -out s$s.snap; done
//	go run ./cmd/sleeplab/sleeplab-stats s1.snap s2.snap s3.snap s4.snap s5.snap
//
// One line per snapshot: the path, θ (mV) at quantiles 0, 0.25, 0.5, 0.75 and 1, then the
// largest (colmax) and summed (colsum) input weight of a neuron at quantiles 0.1, 0.5 and 0.9.
package main

import (
	"fmt"
	"io"
	"sort"

	"github.com/evsim/evsim/cmd/sleeplab/internal/lab"
	"github.com/evsim/evsim/runner"
)

func main() { lab.Main("sleeplab-stats", run) }

func run(args []string, stdout, stderr io.Writer) error {
	cmd := lab.NewCommand("sleeplab-stats", "SNAPSHOT...")
	if err := cmd.Parse(args, stderr); err != nil {
		return err
	}
	for _, p := range cmd.Flags.Args() {
		sn, err := runner.LoadSnapshot(p)
		if err != nil {
			return err
		}
		n := sn.Net
		th := append([]float64(nil), n.Theta...)
		sort.Float64s(th)
		q := func(f float64) float64 { return th[int(f*float64(len(th)-1))] }
		colsum := make([]float64, n.NExc)
		colmax := make([]float64, n.NExc)
		for i := range n.NIn {
			for j := range n.NExc {
				w := float64(n.W[i*n.NExc+j])
				colsum[j] += w
				colmax[j] = max(colmax[j], w)
			}
		}
		sort.Float64s(colmax)
		sort.Float64s(colsum)
		// Quantile f of the columns is element f·NExc (40, 200 and 360 of 400 neurons).
		c := func(f float64) int { return int(f * float64(n.NExc)) }
		fmt.Fprintf(stdout, "%s θ q0 %.2f q25 %.2f q50 %.2f q75 %.2f q100 %.2f | colmax q10 %.2f q50 %.2f q90 %.2f | colsum q10 %.1f q50 %.1f q90 %.1f\n", p, q(0), q(.25), q(.5), q(.75), q(1),
			colmax[c(.1)], colmax[c(.5)], colmax[c(.9)], colsum[c(.1)], colsum[c(.5)], colsum[c(.9)])
	}
	return nil
}
