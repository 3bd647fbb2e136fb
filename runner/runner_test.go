package runner

import (
	"bytes"
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/evsim/evsim/analysis"
	"github.com/evsim/evsim/event"
	"github.com/evsim/evsim/model"
	"github.com/evsim/evsim/runner/mnist"
)

func trainSet(t testing.TB, n int) *mnist.Set {
	t.Helper()
	dir, err := mnist.DefaultDir()
	if err != nil {
		t.Fatalf("MNIST data not found (it ships with the GoMNIST module): %v", err)
	}
	s, err := mnist.Load(dir, "train", n)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func trainTiny(t testing.TB, set *mnist.Set, seed uint64, spec EngineSpec) []byte {
	t.Helper()
	net := NewNetwork(mnist.Pixels, 12, seed)
	if _, err := Train(context.Background(), net, TrainConfig{Set: set, Count: set.Len(), Seed: seed, Engine: spec, Regime: model.Awake()}); err != nil {
		t.Fatal(err)
	}
	s := Snapshot{Meta: Meta{NIn: mnist.Pixels, NExc: 12, Seed: seed, ImagesSeen: set.Len(), Regime: model.Awake(), Engine: spec}, Net: net}
	var b bytes.Buffer
	if err := s.Encode(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestTrainDeterministic: same seed and flags give a byte-identical snapshot; another seed
// gives another one. On both engines.
func TestTrainDeterministic(t *testing.T) {
	set := trainSet(t, 15)
	for _, spec := range []EngineSpec{{Kind: "event"}, {Kind: "stepped", Dt: 0.5}} {
		a := trainTiny(t, set, 7, spec)
		b := trainTiny(t, set, 7, spec)
		c := trainTiny(t, set, 8, spec)
		if !bytes.Equal(a, b) {
			t.Errorf("%v: same seed, different snapshots", spec)
		}
		if bytes.Equal(a, c) {
			t.Errorf("%v: different seeds, same snapshot", spec)
		}
	}
}

// TestIntensityRetry: an image that cannot drive the network is shown again at intensity
// 3, 4, ... up to MaxIntensity and then given up on; a normal image is accepted at once.
func TestIntensityRetry(t *testing.T) {
	real := trainSet(t, 1)
	set := &mnist.Set{Pixels: make([]uint8, 2*mnist.Pixels), Labels: []uint8{0, real.Labels[0]}}
	copy(set.Pixels[mnist.Pixels:], real.Pixels) // image 0 is black, image 1 a digit
	net := NewNetwork(mnist.Pixels, 20, 1)
	st, err := Train(context.Background(), net, TrainConfig{Set: set, Count: 2, Seed: 1, Engine: EngineSpec{Kind: "event"}, Regime: model.Awake()})
	if err != nil {
		t.Fatal(err)
	}
	black := int(MaxIntensity-StartIntensity) + 1
	if st.GaveUp != 1 || st.Presentations != black+1 || st.Images != 2 || st.Spikes < MinSpikes {
		t.Fatalf("stats %+v: want the black image shown %d times and given up, the digit once", st, black)
	}
}

// TestResponsesIndependentOfWorkers: frozen responses do not depend on how many workers
// share the images, and they leave the network untouched.
func TestResponsesIndependentOfWorkers(t *testing.T) {
	set := trainSet(t, 24)
	net := NewNetwork(mnist.Pixels, 16, 3)
	for j := range net.Theta { // a trained network's thresholds: frozen responses must not let them drift
		net.Theta[j] = float64(j)
	}
	before := net.Clone()
	cfg := RespondConfig{Set: set, Count: set.Len(), Seed: 3, Stream: StreamTest, Engine: EngineSpec{Kind: "event"}, Regime: model.Awake().Frozen()}
	cfg.Workers = 1
	a, err := Responses(context.Background(), net, cfg)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Workers = 3
	b, err := Responses(context.Background(), net, cfg)
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for k := range a {
		if !slices.Equal(a[k], b[k]) {
			t.Fatalf("image %d: counts differ between 1 and 3 workers", k)
		}
		for _, v := range a[k] {
			total += int(v)
		}
	}
	if total == 0 {
		t.Fatal("no spikes at all")
	}
	if !slices.Equal(net.W, before.W) || !slices.Equal(net.U, before.U) || !slices.Equal(net.Theta, before.Theta) {
		t.Fatal("Responses modified the network")
	}
	if _, err := Responses(context.Background(), net, RespondConfig{Set: set, Count: 1, Regime: model.Awake(), Engine: EngineSpec{Kind: "event"}}); err == nil {
		t.Fatal("a plastic regime was accepted for responses")
	}
}

// TestLabelScoreStreamed: Evaluator.Label and Score, which keep per-class sums and scores
// per worker instead of every image's counts, give what analysis.Assign and Evaluate give
// over the whole matrix of Responses, for 1, 2 and 3 workers; Each sees every image once,
// with its counts.
func TestLabelScoreStreamed(t *testing.T) {
	set := trainSet(t, 60)
	net := NewNetwork(mnist.Pixels, 16, 3)
	spec := EngineSpec{Kind: "event"}
	if _, err := Train(context.Background(), net, TrainConfig{Set: set, Count: 30, Seed: 2, Engine: spec, Regime: model.Awake()}); err != nil {
		t.Fatal(err)
	}
	r := model.Awake()
	ys, _ := labelsOf(set, set.Len())
	label := RespondConfig{Set: set, Count: set.Len(), Seed: 5, Stream: StreamLabel, Engine: spec, Regime: r.Frozen(), Workers: 1}
	lc, err := Responses(context.Background(), net, label)
	if err != nil {
		t.Fatal(err)
	}
	want, err := analysis.Assign(lc, ys, Classes)
	if err != nil {
		t.Fatal(err)
	}
	test := label
	test.Stream = StreamTest
	tc, err := Responses(context.Background(), net, test)
	if err != nil {
		t.Fatal(err)
	}
	wantScore := analysis.Evaluate(tc, ys, want)
	if wantScore.Correct == 0 || slices.Equal(want, make([]int, len(want))) {
		t.Fatalf("labels %v, score %+v: the case must classify something", want, wantScore)
	}
	for _, w := range []int{1, 2, 3} {
		ev := Evaluator{Engine: spec, Seed: 5, Workers: w}
		got, err := ev.Label(context.Background(), net, r, set, set.Len())
		if err != nil {
			t.Fatal(err)
		}
		score, err := ev.Score(context.Background(), net, r, want, set, set.Len())
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) || score != wantScore {
			t.Fatalf("%d workers: labels %v score %+v, want %v %+v", w, got, score, want, wantScore)
		}
		seen := make([]int, set.Len())
		var mu sync.Mutex
		busy := make([]atomic.Bool, w) // a worker's calls must not overlap
		each := test
		each.Workers = w
		each.Each = func(wk, k int, counts []int32) {
			if wk < 0 || wk >= w || busy[wk].Swap(true) {
				t.Errorf("%d workers: Each called as worker %d (out of range, or overlapping)", w, wk)
				return
			}
			defer busy[wk].Store(false)
			mu.Lock()
			defer mu.Unlock()
			seen[k]++
			if !slices.Equal(counts, tc[k]) {
				t.Errorf("%d workers: Each got other counts for image %d", w, k)
			}
		}
		if out, err := Responses(context.Background(), net, each); err != nil || out != nil {
			t.Fatalf("%d workers: Responses with Each: %v, %d count vectors (want none)", w, err, len(out))
		}
		for k, n := range seen {
			if n != 1 {
				t.Fatalf("%d workers: Each saw image %d %d times", w, k, n)
			}
		}
	}
}

// TestResponsesSlots: workers that share one slot give the counts of free workers, and a
// worker waiting for a slot that never comes stops with the context.
func TestResponsesSlots(t *testing.T) {
	set := trainSet(t, 12)
	net := NewNetwork(mnist.Pixels, 16, 3)
	cfg := RespondConfig{Set: set, Count: set.Len(), Seed: 3, Stream: StreamLabel, Engine: EngineSpec{Kind: "event"}, Regime: model.Awake().Frozen(), Workers: 3}
	want, err := Responses(context.Background(), net, cfg)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Slots = make(Slots, 1)
	got, err := Responses(context.Background(), net, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for k := range want {
		if !slices.Equal(got[k], want[k]) {
			t.Fatalf("image %d: counts differ with one shared slot", k)
		}
	}
	if len(cfg.Slots) != 0 {
		t.Fatalf("%d slots still taken after Responses returned", len(cfg.Slots))
	}
	loud := cfg
	loud.Regime.JIn *= 1000 // every neuron fires as fast as it can: a runaway error
	loud.Regime.JIE, loud.Regime.Exc.TRef = 0, 0.1
	// (a slot kept by the failed worker would leave the others waiting: the deadline ends that)
	lctx, lcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer lcancel()
	if _, err := Responses(lctx, net, loud); !errors.Is(err, event.ErrRunaway) {
		t.Fatalf("a runaway regime: %v, want ErrRunaway", err)
	}
	if len(cfg.Slots) != 0 {
		t.Fatalf("%d slots still taken after a failed presentation", len(cfg.Slots))
	}
	cfg.Slots <- struct{}{} // taken by someone else for good
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := Responses(ctx, net, cfg); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("waiting for a slot that never frees: %v, want the context's error", err)
	}
}

func TestSnapshotRoundTripAndDamage(t *testing.T) {
	net := NewNetwork(mnist.Pixels, 5, 9)
	net.Theta[2] = 1.5
	s := Snapshot{Meta: Meta{NIn: mnist.Pixels, NExc: 5, Seed: 9, ImagesSeen: 3, Regime: model.Awake(), Engine: EngineSpec{Kind: "event"}, Labels: []int{0, 1, -1, 3, 4}, LabelImages: 10}, Net: net}
	path := filepath.Join(t.TempDir(), "n.snap")
	if err := s.Save(path); err != nil {
		t.Fatal(err)
	}
	got, err := LoadSnapshot(path)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Net.W, net.W) || !slices.Equal(got.Net.Theta, net.Theta) || !slices.Equal(got.Meta.Labels, s.Meta.Labels) || got.Meta.ImagesSeen != 3 {
		t.Fatal("round trip lost data")
	}
	data, _ := os.ReadFile(path)
	damaged := map[string][]byte{
		"truncated":   data[:len(data)/2],
		"empty":       {},
		"foreign":     []byte("PK\x03\x04 this is a zip file, not a snapshot........"),
		"bit flipped": flip(data, len(data)/3),
		"version":     withVersion(data, 99),
	}
	for name, d := range damaged {
		if _, err := DecodeSnapshot(d); !errors.Is(err, ErrSnapshot) {
			t.Errorf("%s: error %v, want ErrSnapshot", name, err)
		}
	}
	if _, err := LoadSnapshot(filepath.Join(t.TempDir(), "missing.snap")); err == nil {
		t.Error("missing file accepted")
	}
}

func flip(d []byte, at int) []byte {
	c := slices.Clone(d)
	c[at] ^= 0x10
	return c
}

func withVersion(d []byte, v byte) []byte {
	c := slices.Clone(d)
	c[8] = v
	return c
}

// TestSaveFailureKeepsPreviousSnapshot: a snapshot that cannot be written leaves the file
// already at the path byte-identical, and no temporary file behind.
func TestSaveFailureKeepsPreviousSnapshot(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "net.snap")
	net := NewNetwork(mnist.Pixels, 3, 1)
	good := Snapshot{Meta: Meta{NIn: mnist.Pixels, NExc: 3, Regime: model.Awake()}, Net: net}
	if err := good.Save(path); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(path)
	bad := good
	bad.Meta.Regime.TauTheta = math.Inf(1) // cannot be encoded
	if err := bad.Save(path); err == nil {
		t.Fatal("an unencodable snapshot was saved")
	}
	after, _ := os.ReadFile(path)
	entries, _ := os.ReadDir(dir)
	if !bytes.Equal(before, after) || len(entries) != 1 {
		t.Fatalf("previous snapshot changed or temp files left: %d entries", len(entries))
	}
	if os.Geteuid() != 0 { // root writes into read-only folders
		os.Chmod(dir, 0o555)
		defer os.Chmod(dir, 0o755)
		if err := good.Save(path); err == nil {
			t.Fatal("saved into a read-only folder")
		}
		if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
			t.Fatal("previous snapshot changed")
		}
	}
}

// TestSleepRunawayGuard: a sleep input far too strong is refused before it runs, with the
// parameter to lower named.
func TestSleepRunawayGuard(t *testing.T) {
	net := NewNetwork(mnist.Pixels, 4, 1)
	cfg := DefaultSleep()
	cfg.Mean = make([]float64, mnist.Pixels)
	for i := range cfg.Mean {
		cfg.Mean[i] = 200
	}
	cfg.InputGain = 500
	cfg.Engine, cfg.Awake = EngineSpec{Kind: "event"}, model.Awake()
	_, err := Sleep(context.Background(), net, cfg)
	if err == nil || !strings.Contains(err.Error(), "SleepConfig.InputGain") {
		t.Fatalf("runaway input accepted or not explained: %v", err)
	}
}

// TestMeanImageOfSeenImages: the sleep input is the pixel-wise mean of the first count
// images (the ones a network has seen), not of the whole set.
func TestMeanImageOfSeenImages(t *testing.T) {
	set := &mnist.Set{Pixels: make([]uint8, 3*mnist.Pixels), Labels: []uint8{0, 1, 2}}
	for i := range mnist.Pixels {
		set.Pixels[i], set.Pixels[mnist.Pixels+i], set.Pixels[2*mnist.Pixels+i] = 10, 30, 250
	}
	m := MeanImage(set, 2)
	if m[0] != 20 || m[mnist.Pixels-1] != 20 {
		t.Fatalf("mean of the first 2 images = %v, want 20", m[0])
	}
	if all := MeanImage(set, 3); math.Abs(all[5]-290.0/3) > 1e-12 {
		t.Fatalf("mean of 3 = %v", all[5])
	}
}

// TestSleepWithRulesOffChangesNothing: with STDP and the threshold rule both off, a sleep
// leaves weights and thresholds bit-identical (on both engines), though neurons fire.
func TestSleepWithRulesOffChangesNothing(t *testing.T) {
	set := trainSet(t, 50)
	for _, spec := range []EngineSpec{{Kind: "event"}, {Kind: "stepped", Dt: 0.5}} {
		net := NewNetwork(mnist.Pixels, 20, 2)
		if _, err := Train(context.Background(), net, TrainConfig{Set: set, Count: 50, Seed: 2, Engine: spec, Regime: model.AwakeN(20)}); err != nil {
			t.Fatal(err)
		}
		before := net.Clone()
		cfg := DefaultSleep()
		cfg.Changes.STDP, cfg.Changes.Threshold, cfg.Changes.InhScale = false, false, 0
		cfg.Mean, cfg.Seed, cfg.Engine, cfg.Awake, cfg.DurationMS = MeanImage(set, 50), 2, spec, model.AwakeN(20), 2000
		st, err := Sleep(context.Background(), net, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if st.ExcSpikes == 0 {
			t.Fatalf("%v: no spikes in sleep: the test exercises nothing", spec)
		}
		if !slices.Equal(net.W, before.W) || !slices.Equal(net.Theta, before.Theta) {
			t.Fatalf("%v: weights or thresholds changed with both rules off", spec)
		}
		if st.ThetaRose+st.ThetaFell != 0 || st.WeightChange != 0 {
			t.Fatalf("%v: stats report changes: %+v", spec, st)
		}
	}
}

// TestSleepZeroStepSizes: with the rules on but their step sizes scaled to 0 (-sleep-pot 0
// -sleep-dep 0 -sleep-theta-plus 0), no weight changes and no threshold rises, though
// neurons fire; with the threshold increment scaled up, every spike raises θ by that much.
func TestSleepZeroStepSizes(t *testing.T) {
	set := trainSet(t, 50)
	net := NewNetwork(mnist.Pixels, 20, 3)
	if _, err := Train(context.Background(), net, TrainConfig{Set: set, Count: 50, Seed: 3, Engine: EngineSpec{Kind: "event"}, Regime: model.AwakeN(20)}); err != nil {
		t.Fatal(err)
	}
	cfg := DefaultSleep()
	cfg.Changes.InhScale, cfg.Changes.PotScale, cfg.Changes.DepScale, cfg.Changes.ThetaPlusScale = 0, 0, 0, 0
	cfg.Mean, cfg.Seed, cfg.Engine, cfg.Awake, cfg.DurationMS = MeanImage(set, 50), 3, EngineSpec{Kind: "event"}, model.AwakeN(20), 1000
	zero := net.Clone()
	st, err := Sleep(context.Background(), zero, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if st.ExcSpikes == 0 {
		t.Fatal("no spikes in sleep: the test exercises nothing")
	}
	if !slices.Equal(zero.W, net.W) || st.ThetaRose != 0 {
		t.Fatalf("zero step sizes changed the network: %+v", st)
	}
	cfg.Changes.ThetaPlusScale = 4
	up := net.Clone()
	st, err = Sleep(context.Background(), up, cfg)
	if err != nil {
		t.Fatal(err)
	}
	// θ decays by at most a factor e^{-1000/1e7} during the sleep: the rise is the
	// increment times the spikes, to that precision.
	rise := 0.0
	for j := range up.Theta {
		rise += up.Theta[j] - net.Theta[j]
	}
	want := 4 * model.AwakeN(20).ThetaPlus * float64(st.ExcSpikes)
	if math.Abs(rise-want) > 1e-3*want+1e-3 {
		t.Fatalf("θ rose by %v in all, want 4·θ+·spikes = %v", rise, want)
	}
}

// TestFrozenThresholdsDoNotDecay: with the threshold rule off (labelling, testing), a
// presentation leaves θ bit-identical on both engines; otherwise each worker's copy would
// drift and results would depend on the number of workers.
func TestFrozenThresholdsDoNotDecay(t *testing.T) {
	set := trainSet(t, 1)
	for _, spec := range []EngineSpec{{Kind: "event"}, {Kind: "stepped", Dt: 0.5}} {
		net := NewNetwork(mnist.Pixels, 8, 4)
		for j := range net.Theta {
			net.Theta[j] = 10 + float64(j)
		}
		before := slices.Clone(net.Theta)
		eng, err := spec.New(net, model.AwakeN(8).Frozen())
		if err != nil {
			t.Fatal(err)
		}
		var in inputs
		if err := eng.Present(in.Trial(set.Image(0), 2, imageRNG(4, StreamTest, 0, 0)), make([]int32, 8)); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(net.Theta, before) {
			t.Fatalf("%v: θ changed during a frozen presentation: %v -> %v", spec, before, net.Theta)
		}
	}
}

// TestInhibitionWarmup: with a warm-up, training images 0..WarmupImages-1 are presented
// with JIE ×WarmupInh and the rest with JIE itself, whichever way the sequence is split
// into Train calls. The reference is one Train call per image with an explicit regime and
// no warm-up. On both engines.
func TestInhibitionWarmup(t *testing.T) {
	set := trainSet(t, 10)
	const warm, scale = 4, 0.25
	r := model.Awake()
	r.WarmupImages, r.WarmupInh = warm, scale
	plain := model.Awake()
	plain.WarmupImages = 0
	weak := plain
	weak.JIE *= scale
	state := func(net *model.Network) [][]float64 { return stateArrays(net) }
	same := func(a, b *model.Network) bool {
		for i, x := range state(a) {
			if !slices.Equal(x, state(b)[i]) {
				return false
			}
		}
		return true
	}
	for _, spec := range []EngineSpec{{Kind: "event"}, {Kind: "stepped", Dt: 0.5}} {
		train := func(net *model.Network, start, count int, reg model.Regime) {
			t.Helper()
			if _, err := Train(context.Background(), net, TrainConfig{Set: set, Start: start, Count: count, Seed: 3, Engine: spec, Regime: reg}); err != nil {
				t.Fatal(err)
			}
		}
		ref := NewNetwork(mnist.Pixels, 12, 3)
		for k := range set.Len() {
			reg := plain
			if k < warm {
				reg = weak
			}
			train(ref, k, 1, reg)
		}
		whole := NewNetwork(mnist.Pixels, 12, 3)
		train(whole, 0, set.Len(), r)
		split := NewNetwork(mnist.Pixels, 12, 3)
		train(split, 0, 2, r)
		train(split, 2, 5, r) // crosses the end of the warm-up
		train(split, 7, set.Len()-7, r)
		none := NewNetwork(mnist.Pixels, 12, 3)
		train(none, 0, set.Len(), plain)
		if !same(whole, ref) {
			t.Errorf("%v: one Train call with the warm-up differs from the per-image reference", spec)
		}
		if !same(split, ref) {
			t.Errorf("%v: three Train calls with the warm-up differ from the per-image reference", spec)
		}
		if same(none, ref) {
			t.Errorf("%v: the warm-up changed nothing (the test cannot tell it is applied)", spec)
		}
	}
}
