package main

import (
	"fmt"
	"os"
	"sort"

	"github.com/evsim/evsim/runner"
)

func main() {
	s, err := runner.LoadSnapshot(os.Args[1])
	if err != nil {
		panic(err)
	}
	n := s.Net
	th := append([]float64(nil), n.Theta...)
	sort.Float64s(th)
	fmt.Println("theta quantiles:", th[0], th[len(th)/4], th[len(th)/2], th[3*len(th)/4], th[len(th)-1])
	fmt.Println("labels:", s.Meta.Labels)
	// weight stats per neuron: max weight, number of weights > 0.5
	for j := 0; j < min(n.NExc, 10); j++ {
		mx, big := 0.0, 0
		for i := 0; i < n.NIn; i++ {
			w := n.W[i*n.NExc+j]
			mx = max(mx, w)
			if w > 0.5 {
				big++
			}
		}
		fmt.Printf("neuron %d theta %.1f max w %.3f  #w>0.5 %d\n", j, n.Theta[j], mx, big)
		// ascii RF
		for y := 0; y < 28; y += 2 {
			line := ""
			for x := 0; x < 28; x++ {
				w := n.W[(y*28+x)*n.NExc+j]
				c := " .:-=+*#%@"[min(9, int(w/mx*9.99))]
				line += string(c)
			}
			fmt.Println(line)
		}
	}
}

func mean(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		s += v
	}
	return s / float64(len(x))
}
