package runner

import (
	"context"
	"fmt"
	"testing"

	"github.com/evsim/evsim/model"
)

// BenchmarkTrain: training with plasticity (normalization, STDP, threshold rule, intensity
// retries) on MNIST images, one core, both engines side by side.
func BenchmarkTrain(b *testing.B) {
	set := trainSet(b, 2000)
	for _, n := range []int{100, 400} {
		for _, spec := range []EngineSpec{{Kind: "event"}, {Kind: "stepped", Dt: 0.5}} {
			b.Run(fmt.Sprintf("engine=%s/n=%d", spec.Kind, n), func(b *testing.B) {
				net := NewNetwork(784, n, 1)
				// The steady state, without the inhibition warm-up: the warm-up is the first
				// 1,000 of a pass's 60,000 images (whole runs, with it, are in the README).
				r := model.Awake()
				r.WarmupImages = 0
				// Warm up past the first images, where an untrained network fires most.
				if _, err := Train(context.Background(), net, TrainConfig{Set: set, Count: 200, Seed: 1, Engine: spec, Regime: r}); err != nil {
					b.Fatal(err)
				}
				// One training run over b.N images, as evsim runs it: one engine, reused buffers.
				b.ResetTimer()
				if _, err := Train(context.Background(), net, TrainConfig{Set: set, Start: 200, Count: b.N, Seed: 1, Engine: spec, Regime: r}); err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "images/s")
			})
		}
	}
}

// BenchmarkTest: frozen responses (labelling and testing) at 400 neurons on 1 and 2
// workers, by a network trained on 1,000 images (the paper's focus level; the figures
// before this benchmark trained 300, whose thresholds are lower and neurons busier).
func BenchmarkTest(b *testing.B) {
	set := trainSet(b, 2000)
	net := NewNetwork(784, 400, 1)
	if _, err := Train(context.Background(), net, TrainConfig{Set: set, Count: 1000, Seed: 1, Engine: EngineSpec{Kind: "event"}, Regime: model.Awake()}); err != nil {
		b.Fatal(err)
	}
	const batch = 200
	for _, w := range []int{1, 2} {
		b.Run(fmt.Sprintf("workers=%d", w), func(b *testing.B) {
			for b.Loop() {
				if _, err := Responses(context.Background(), net, RespondConfig{Set: set, Count: batch, Seed: 1, Stream: StreamTest, Engine: EngineSpec{Kind: "event"}, Regime: model.Awake().Frozen(), Workers: w}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "images/s")
		})
	}
}

// BenchmarkTrainLarge: training at 6,400 neurons (Diehl & Cook's largest network) on one
// and two workers (TrainConfig.Workers), after a short warm-up, in the regime evsim trains
// it with (model.AwakeN; until session 12 this benchmark used model.Awake(), θ+ = 0.05 mV).
func BenchmarkTrainLarge(b *testing.B) {
	set := trainSet(b, 2000)
	r := model.AwakeN(6400)
	r.WarmupImages = 0
	base := NewNetwork(784, 6400, 1)
	if _, err := Train(context.Background(), base, TrainConfig{Set: set, Count: 10, Seed: 1, Engine: EngineSpec{Kind: "event"}, Regime: r}); err != nil {
		b.Fatal(err)
	}
	for _, w := range []int{1, 2} {
		b.Run(fmt.Sprintf("n=6400/workers=%d", w), func(b *testing.B) {
			net := base.Clone()
			b.ResetTimer()
			if _, err := Train(context.Background(), net, TrainConfig{Set: set, Start: 10, Count: b.N, Seed: 1, Engine: EngineSpec{Kind: "event"}, Regime: r, Workers: w}); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "images/s")
		})
	}
}
