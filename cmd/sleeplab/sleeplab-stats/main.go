// Command stats prints θ quantiles and the quantiles of each neuron's largest and summed
// input weight for snapshots (a research tool).
//
//	stats snaps/awake1.snap
package main

import (
	"flag"
	"fmt"
	"log"
	"sort"

	"github.com/evsim/evsim/runner"
)

func main() {
	flag.Parse()
	for _, p := range flag.Args() {
		sn, err := runner.LoadSnapshot(p)
		if err != nil {
			log.Fatal(err)
		}
		n := sn.Net
		th := append([]float64(nil), n.Theta...)
		sort.Float64s(th)
		q := func(f float64) float64 { return th[int(f*float64(len(th)-1))] }
		colsum := make([]float64, n.NExc)
		colmax := make([]float64, n.NExc)
		for i := range n.NIn {
			for j := range n.NExc {
				w := n.W[i*n.NExc+j]
				colsum[j] += w
				colmax[j] = max(colmax[j], w)
			}
		}
		sort.Float64s(colmax)
		sort.Float64s(colsum)
		fmt.Printf("%s θ q0 %.2f q25 %.2f q50 %.2f q75 %.2f q100 %.2f | colmax q10 %.2f q50 %.2f q90 %.2f | colsum q10 %.1f q50 %.1f q90 %.1f\n", p, q(0), q(.25), q(.5), q(.75), q(1),
			colmax[40], colmax[200], colmax[360], colsum[40], colsum[200], colsum[360])
	}
}
