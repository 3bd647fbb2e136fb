package main

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/evsim/evsim/event"
	"github.com/evsim/evsim/model"
	"github.com/evsim/evsim/runner"
	"github.com/evsim/evsim/runner/mnist"
)

func TestISI(t *testing.T) {
	dir, _ := mnist.DefaultDir()
	set, _ := mnist.Load(dir, "train", 3000)
	net := runner.NewNetwork(784, 100, 1)
	runner.Train(context.Background(), net, runner.TrainConfig{Set: set, Count: 2000, Seed: 1, Engine: runner.EngineSpec{Kind: "event"}, Regime: model.Awake()})
	r := model.Awake()
	e, _ := event.New(net, r)
	var rec []model.Spike
	e.Record = &rec
	counts := make([]int32, 100)
	var post2sum float64
	nsp := 0
	for k := 0; k < 50; k++ {
		rates := runner.Rates(nil, set.Image(2000+k), 2)
		ins, _ := model.Poisson(nil, nil, rates, 350, nil2(k))
		tr := model.Trial{Inputs: ins, Duration: 350, Rest: 150}
		rec = rec[:0]
		net.NormalizeColumns(78, nil)
		e.Present(&tr, counts)
		last := map[int32]float64{}
		for _, s := range rec {
			if s.Inh {
				continue
			}
			nsp++
			if tl, ok := last[s.Idx]; ok {
				post2sum += math.Exp(-(s.T - tl) / 40)
			}
			last[s.Idx] = s.T
		}
		if k < 5 {
			fmt.Println("image", k, "spikes:", len(rec)/2, "distinct:", len(last), "label", set.Labels[2000+k])
		}
	}
	fmt.Printf("mean post2before per exc spike: %.3f over %d spikes; mean theta %.2f\n", post2sum/float64(nsp), nsp, mean(net.Theta))
}

func nil2(k int) *rand.Rand { return rand.New(rand.NewPCG(99, uint64(k))) }
