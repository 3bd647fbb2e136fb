package event_test

import (
	"fmt"
	"testing"

	"github.com/evsim/evsim/event"
	"github.com/evsim/evsim/event/enginetest"
	"github.com/evsim/evsim/event/internal/vec"
	"github.com/evsim/evsim/event/stepped"
	"github.com/evsim/evsim/model"
)

// BenchmarkPresent times one 350 ms + 150 ms presentation of MNIST-like input, plasticity
// off, on both engines side by side (event, and stepped at dt = 0.5 ms).
func BenchmarkPresent(b *testing.B) {
	trials := enginetest.Trials(11, 32, 350, 150)
	r := model.Awake().Frozen()
	for _, n := range []int{100, 400} {
		b.Run(fmt.Sprintf("engine=event/n=%d", n), func(b *testing.B) {
			e, err := event.New(convergenceNet(n), r)
			if err != nil {
				b.Fatal(err)
			}
			benchPresent(b, e, n, trials, func() int64 { return e.Stats.SynEvents })
		})
		b.Run(fmt.Sprintf("engine=stepped/n=%d", n), func(b *testing.B) {
			s, err := stepped.New(convergenceNet(n), r, 0.5)
			if err != nil {
				b.Fatal(err)
			}
			benchPresent(b, s, n, trials, func() int64 { return s.Stats.SynEvents })
		})
	}
}

func benchPresent(b *testing.B, p enginetest.Presenter, n int, trials []model.Trial, syn func() int64) {
	counts := make([]int32, n)
	b.ReportAllocs()
	k := 0
	syn0 := syn()
	for b.Loop() {
		if err := p.Present(&trials[k%len(trials)], counts); err != nil {
			b.Fatal(err)
		}
		k++
	}
	sec := b.Elapsed().Seconds()
	b.ReportMetric(float64(k)/sec, "presentations/s")
	b.ReportMetric(float64(syn()-syn0)/sec, "synevents/s")
}

// BenchmarkFloor is the bare fan-out loop over the same input spikes as BenchmarkPresent:
// the kernel (vec.Axpy2) over each input's weight row, and nothing else. The engine's
// synevents/s divided by this one's says how close it runs to the hardware.
func BenchmarkFloor(b *testing.B) {
	trials := enginetest.Trials(11, 32, 350, 150)
	for _, n := range []int{100, 400} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			net := convergenceNet(n)
			a, c := make([]float64, n), make([]float64, n)
			var syn int64
			k := 0
			for b.Loop() {
				for _, in := range trials[k%len(trials)].Inputs {
					i := int(in.Idx)
					vec.Axpy2(a, c, net.W[i*n:(i+1)*n], 1e-9, -1e-9)
				}
				syn += int64(len(trials[k%len(trials)].Inputs) * n)
				k++
			}
			b.ReportMetric(float64(syn)/b.Elapsed().Seconds(), "synevents/s")
		})
	}
}
