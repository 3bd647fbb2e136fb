package model_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/evsim/evsim/event"
	"github.com/evsim/evsim/event/stepped"
	"github.com/evsim/evsim/model"
)

// Build a small network, draw one Poisson trial from an image and present it to the
// event-driven engine and to the time-stepped reference, each on its own copy of the
// network. Both engines run the same regime on the same input spikes.
func Example() {
	const side, nExc = 28, 5
	net := model.NewNetwork(side*side, nExc, rand.New(rand.NewPCG(1, 1)))

	// A vertical bar, 3 pixels wide, and Diehl & Cook's rates: pixel/8 · intensity Hz.
	rates := make([]float64, side*side)
	for y := range side {
		for x := 12; x < 15; x++ {
			rates[y*side+x] = 255.0 / 8 * 4
		}
	}
	var tr model.Trial
	tr.Inputs, _ = model.Poisson(nil, nil, rates, 350, rand.New(rand.NewPCG(2, 2)))
	tr.Duration, tr.Rest = 350, 150

	r := model.AwakeN(nExc).Frozen() // no learning: the network is the same after the trial
	ev, err := event.New(net.Clone(), r)
	if err != nil {
		fmt.Println(err)
		return
	}
	st, err := stepped.New(net.Clone(), r, 0.5)
	if err != nil {
		fmt.Println(err)
		return
	}
	evCounts, stCounts := make([]int32, nExc), make([]int32, nExc)
	if err := ev.Present(&tr, evCounts); err != nil {
		fmt.Println(err)
		return
	}
	if err := st.Present(&tr, stCounts); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("input spikes:", len(tr.Inputs))
	fmt.Println("event:  ", evCounts)
	fmt.Println("stepped:", stCounts)
	// Output:
	// input spikes: 3729
	// event:   [0 1 19 0 2]
	// stepped: [0 1 19 0 2]
}
