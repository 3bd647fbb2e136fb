package runner

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/evsim/evsim/analysis"
	"github.com/evsim/evsim/model"
)

// RespondConfig says which images to present to a frozen network. Set, Engine and a
// frozen Regime are required (Responses returns an error without them); Seed, Stream,
// Workers and Progress may be left zero.
type RespondConfig struct {
	Set     Dataset
	Count   int // the first Count images of Set
	Seed    uint64
	Stream  uint64 // StreamLabel or StreamTest: labelling and testing draw different spikes
	Engine  EngineSpec
	Regime  model.Regime // frozen (plasticity, threshold rule, normalization off)
	Workers int          // 0: GOMAXPROCS
	// Slots, if not nil, bounds the presentations running at once across every call that
	// shares it: a worker takes a slot before each image and gives it back after, so that
	// concurrent jobs can share the cores. The caller must not hold one of its slots during
	// the call (it would wait for itself). A worker copies the network only once it has
	// its first slot. It does not change the result.
	Slots Slots
	// Progress, if not nil, is called (from any worker) with the number of images done.
	Progress func(done int)
	// Each, if not nil, receives each image's counts instead of the result (Responses
	// then returns nil), so that memory does not grow with Count: worker w, in [0, W)
	// with W = min(Workers (GOMAXPROCS if 0), Count), calls Each(w, k, counts) once for
	// each image k it presents, in no set order. counts is valid only during the call.
	// The calls of one worker never overlap; those of different workers do.
	Each func(w, k int, counts []int32)
}

// workers is the number of goroutines over which Responses spreads cfg's images.
func (cfg RespondConfig) workers() int {
	w := cfg.Workers
	if w <= 0 {
		w = runtime.GOMAXPROCS(0)
	}
	return max(1, min(w, cfg.Count))
}

// Slots bound the jobs that run at once: one slot per core, shared by the jobs that
// take them (make(Slots, n) makes n). A nil Slots bounds nothing.
type Slots chan struct{}

// Take waits for a free slot, or for ctx to end (its error). A nil Slots returns at once.
func (s Slots) Take(ctx context.Context) error {
	if s == nil {
		return nil
	}
	select {
	case s <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Give frees the slot of a Take.
func (s Slots) Give() {
	if s != nil {
		<-s
	}
}

// Responses presents images to copies of net with plasticity and thresholds frozen and
// returns each image's spike counts (of the accepted presentation: Diehl & Cook's intensity
// rule applies here too). Every image starts from the resting state, so the images are
// independent: they are spread over Workers goroutines, each with its own copy of net,
// and the result does not depend on the number of workers. net is not modified. An image
// whose length is not net.NIn stops it with an error.
func Responses(ctx context.Context, net *model.Network, cfg RespondConfig) ([][]int32, error) {
	if err := checkNet(net); err != nil {
		return nil, err
	}
	if cfg.Regime.Plastic || cfg.Regime.AdaptTheta || cfg.Regime.ColumnSum > 0 {
		return nil, fmt.Errorf("runner: responses need a frozen regime (got %q with plasticity, thresholds or normalization on)", cfg.Regime.Name)
	}
	if isNil(cfg.Set) {
		return nil, fmt.Errorf("runner: no images (RespondConfig.Set is nil)")
	}
	if cfg.Count < 0 || cfg.Count > cfg.Set.Len() {
		return nil, fmt.Errorf("runner: %d images requested, the set holds %d", cfg.Count, cfg.Set.Len())
	}
	if cfg.Count == 0 {
		if cfg.Each != nil {
			return nil, nil
		}
		return [][]int32{}, nil
	}
	workers := cfg.workers()
	var out [][]int32
	if cfg.Each == nil {
		out = make([][]int32, cfg.Count)
		flat := make([]int32, cfg.Count*net.NExc)
		for k := range out {
			out[k] = flat[k*net.NExc : (k+1)*net.NExc : (k+1)*net.NExc]
		}
	}
	var next, done atomic.Int64
	var wg sync.WaitGroup
	errs := make([]error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine *model.Network // copied at the first image this worker presents
			var eng Engine
			var in inputs
			var counts []int32 // the image's counts with Each
			// present shows image k (again at a higher intensity while it draws fewer than
			// MinSpikes spikes) and writes its counts into out[k], or counts with Each.
			present := func(k int, img []uint8) error {
				if mine == nil {
					mine = net.Clone()
					var err error
					if eng, err = cfg.Engine.New(mine, cfg.Regime); err != nil {
						return err
					}
					counts = make([]int32, net.NExc)
				}
				dst := counts
				if out != nil {
					dst = out[k]
				}
				intensity := StartIntensity
				for attempt := 0; ; attempt++ {
					toRest(mine)
					tr := in.Trial(img, intensity, imageRNG(cfg.Seed, cfg.Stream, k, attempt))
					if err := eng.Present(tr, dst); err != nil {
						return fmt.Errorf("runner: image %d: %w", k, err)
					}
					if sum(dst) >= MinSpikes || intensity+1 > MaxIntensity {
						if cfg.Each != nil {
							cfg.Each(w, k, dst)
						}
						return nil
					}
					intensity += 1
				}
			}
			for {
				k := int(next.Add(1) - 1)
				if k >= cfg.Count || ctx.Err() != nil {
					return
				}
				img := cfg.Set.Image(k)
				if err := checkImage("image", k, img, net.NIn); err != nil {
					errs[w] = err
					return
				}
				if cfg.Slots.Take(ctx) != nil {
					return // the context's error is returned below
				}
				err := present(k, img)
				cfg.Slots.Give()
				if err != nil {
					errs[w] = err
					return
				}
				if d := done.Add(1); cfg.Progress != nil {
					cfg.Progress(int(d))
				}
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// toRest puts every membrane and current at rest and clears refractoriness;
// weights and thresholds are untouched.
func toRest(n *model.Network) {
	clear(n.U)
	clear(n.I)
	clear(n.UI)
	clear(n.II)
	clear(n.RefEnd)
	clear(n.RefEndI)
}

// Evaluator labels and scores frozen networks the Diehl & Cook way: labels from the mean
// responses to training images, then classification of other images by those labels.
// Labelling and scoring draw their input spikes from different streams. Engine is
// required (the zero EngineSpec is refused with an error); Seed, Workers and Progress may
// be zero.
type Evaluator struct {
	Engine  EngineSpec
	Seed    uint64
	Workers int
	Slots   Slots // see RespondConfig.Slots
	// Progress, if not nil, is called with the images done in the current call.
	Progress func(done int)
}

// Label assigns each neuron of net the class of its highest mean response to the first n
// images of set, under regime r frozen: a slice of NExc classes, analysis.Unassigned for a
// neuron that never fired.
func (ev Evaluator) Label(ctx context.Context, net *model.Network, r model.Regime, set Dataset, n int) ([]int, error) {
	ys, err := ev.labels(set, n)
	if err != nil {
		return nil, err
	}
	// Per-class sums, one set per worker: memory does not grow with n.
	cfg := ev.respond(set, n, StreamLabel, r)
	sums := make([]*analysis.ClassSums, cfg.workers())
	cfg.Each = func(w, k int, counts []int32) {
		if sums[w] == nil {
			sums[w] = analysis.NewClassSums(net.NExc, Classes)
		}
		if err := sums[w].Add(counts, ys[k]); err != nil {
			panic("runner: Label: " + err.Error()) // NExc counts, labels checked by labelsOf
		}
	}
	if _, err := Responses(ctx, net, cfg); err != nil {
		return nil, err
	}
	all := analysis.NewClassSums(net.NExc, Classes)
	for _, s := range sums {
		if s != nil {
			all.Merge(s)
		}
	}
	return all.Assign()
}

// Score classifies the first n images of set with labels (one class per neuron of net,
// from Label) and scores the result.
func (ev Evaluator) Score(ctx context.Context, net *model.Network, r model.Regime, labels []int, set Dataset, n int) (analysis.Score, error) {
	if net != nil && len(labels) != net.NExc {
		return analysis.Score{}, fmt.Errorf("runner: %d neuron labels for %d neurons", len(labels), net.NExc)
	}
	for j, y := range labels {
		if y < analysis.Unassigned || y >= Classes {
			return analysis.Score{}, fmt.Errorf("runner: neuron %d has label %d, want 0..%d or %d (unassigned)", j, y, Classes-1, analysis.Unassigned)
		}
	}
	ys, err := ev.labels(set, n)
	if err != nil {
		return analysis.Score{}, err
	}
	cfg := ev.respond(set, n, StreamTest, r)
	scores := make([]analysis.Score, cfg.workers()) // one per worker: memory does not grow with n
	cfg.Each = func(w, k int, counts []int32) { scores[w].Add(counts, ys[k], labels) }
	if _, err := Responses(ctx, net, cfg); err != nil {
		return analysis.Score{}, err
	}
	var s analysis.Score
	for _, p := range scores {
		s.Merge(p)
	}
	return s, nil
}

// respond is the RespondConfig of the first n images of set from stream, under r frozen.
func (ev Evaluator) respond(set Dataset, n int, stream uint64, r model.Regime) RespondConfig {
	return RespondConfig{Set: set, Count: n, Seed: ev.Seed, Stream: stream, Engine: ev.Engine, Regime: r.Frozen(), Workers: ev.Workers, Slots: ev.Slots, Progress: ev.Progress}
}

// labels checks set and n and returns the first n labels of set.
func (ev Evaluator) labels(set Dataset, n int) ([]uint8, error) {
	if isNil(set) {
		return nil, fmt.Errorf("runner: no images (the data set is nil)")
	}
	if n < 0 || n > set.Len() {
		return nil, fmt.Errorf("runner: %d images requested, the set holds %d", n, set.Len())
	}
	return labelsOf(set, n)
}
