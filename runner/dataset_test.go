package runner

import (
	"context"
	"strings"
	"testing"

	"github.com/evsim/evsim/model"
	"github.com/evsim/evsim/runner/mnist"
)

// images is a Dataset that is not an *mnist.Set: explicit images and labels.
type images struct {
	pix    [][]uint8
	labels []uint8
}

func (s images) Len() int            { return len(s.labels) }
func (s images) Image(i int) []uint8 { return s.pix[i] }
func (s images) Label(i int) uint8   { return s.labels[i] }

// copyOf copies the first n images of set into an images data set.
func copyOf(set *mnist.Set, n int) images {
	var s images
	for k := range n {
		s.pix = append(s.pix, append([]uint8(nil), set.Image(k)...))
		s.labels = append(s.labels, set.Label(k))
	}
	return s
}

var eventSpec = EngineSpec{Kind: "event"}

// TestAnyDataset: training, labelling, scoring and the mean image read a Dataset only
// through its interface: a copy of MNIST images in another type gives the same network,
// labels and score as the *mnist.Set it copies.
func TestAnyDataset(t *testing.T) {
	set := trainSet(t, 20)
	cp := copyOf(set, 20)
	ctx := context.Background()
	run := func(ds Dataset) ([]float32, []int, float64, []float64) {
		net := NewNetwork(mnist.Pixels, 10, 5)
		if _, err := Train(ctx, net, TrainConfig{Set: ds, Count: 20, Seed: 5, Engine: eventSpec, Regime: model.AwakeN(10)}); err != nil {
			t.Fatal(err)
		}
		ev := Evaluator{Engine: eventSpec, Seed: 5}
		labels, err := ev.Label(ctx, net, model.AwakeN(10), ds, 20)
		if err != nil {
			t.Fatal(err)
		}
		sc, err := ev.Score(ctx, net, model.AwakeN(10), labels, ds, 20)
		if err != nil {
			t.Fatal(err)
		}
		return net.W, labels, sc.Accuracy, MeanImage(ds, 20)
	}
	w1, l1, a1, m1 := run(set)
	w2, l2, a2, m2 := run(cp)
	if !equal(w1, w2) || !equal(m1, m2) || a1 != a2 || len(l1) != len(l2) {
		t.Fatal("a copy of the images gave another network, mean or score")
	}
	for j := range l1 {
		if l1[j] != l2[j] {
			t.Fatalf("neuron %d labelled %d from the *mnist.Set, %d from the copy", j, l1[j], l2[j])
		}
	}
	if a1 == 0 {
		t.Fatal("accuracy 0: the test exercises nothing")
	}
}

func equal[F float32 | float64](a, b []F) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestDatasetShape: images whose length is not the network's inputs, and labels outside
// 0..9, are reported as errors (naming the image) by every phase, never as a panic or a
// silently shorter input.
func TestDatasetShape(t *testing.T) {
	ctx := context.Background()
	net := NewNetwork(16, 3, 1)
	good := make([]uint8, 16)
	short := images{pix: [][]uint8{good, make([]uint8, 15)}, labels: []uint8{0, 1}}
	long := images{pix: [][]uint8{good, make([]uint8, 17)}, labels: []uint8{0, 1}}
	for name, ds := range map[string]images{"short": short, "long": long} {
		if _, err := Train(ctx, net.Clone(), TrainConfig{Set: ds, Count: 2, Engine: eventSpec, Regime: model.Awake()}); err == nil || !strings.Contains(err.Error(), "training image 1 has") {
			t.Errorf("%s image: Train returned %v", name, err)
		}
		ev := Evaluator{Engine: eventSpec}
		if _, err := ev.Label(ctx, net, model.Awake(), ds, 2); err == nil || !strings.Contains(err.Error(), "image 1 has") {
			t.Errorf("%s image: Label returned %v", name, err)
		}
		if _, err := ev.Score(ctx, net, model.Awake(), []int{0, 1, 0}, ds, 2); err == nil || !strings.Contains(err.Error(), "image 1 has") {
			t.Errorf("%s image: Score returned %v", name, err)
		}
		if m := MeanImage(ds, 2); m != nil {
			t.Errorf("%s image: MeanImage of images of two sizes = %d values, want nil", name, len(m))
		}
	}
	badLabel := images{pix: [][]uint8{good, good}, labels: []uint8{0, 10}}
	ev := Evaluator{Engine: eventSpec}
	if _, err := ev.Label(ctx, net, model.Awake(), badLabel, 2); err == nil || !strings.Contains(err.Error(), "label 10") {
		t.Errorf("label 10: Label returned %v", err)
	}
	if _, err := ev.Score(ctx, net, model.Awake(), []int{0, 1, 0}, badLabel, 2); err == nil || !strings.Contains(err.Error(), "label 10") {
		t.Errorf("label 10: Score returned %v", err)
	}
	// The sleep input must match the network too.
	cfg := DefaultSleep()
	cfg.Mean, cfg.Engine, cfg.Awake = MeanImage(images{pix: [][]uint8{make([]uint8, 15)}, labels: []uint8{0}}, 1), eventSpec, model.Awake()
	if _, err := Sleep(ctx, net, cfg); err == nil || !strings.Contains(err.Error(), "15 pixels") {
		t.Errorf("a 15-pixel sleep input for 16 inputs: %v", err)
	}
}

// TestZeroConfigs: the zero value of every config, a nil data set (typed or not), a nil
// or malformed network and negative counts are refused with an error, before any work
// and without a panic.
func TestZeroConfigs(t *testing.T) {
	ctx := context.Background()
	net := NewNetwork(16, 3, 1)
	ds := images{pix: [][]uint8{make([]uint8, 16)}, labels: []uint8{0}}
	var nilSet *mnist.Set
	must := func(what string, err error, want string) {
		t.Helper()
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want one containing %q", what, err, want)
		}
	}
	_, err := Train(ctx, net, TrainConfig{})
	must("Train, zero config", err, "TrainConfig.Set")
	_, err = Train(ctx, net, TrainConfig{Set: nilSet, Count: 1})
	must("Train, nil *mnist.Set", err, "TrainConfig.Set")
	_, err = Train(ctx, net, TrainConfig{Set: ds, Count: 1})
	must("Train, zero engine", err, "EngineSpec.Kind")
	_, err = Train(ctx, net, TrainConfig{Set: ds, Count: 1, Engine: eventSpec})
	must("Train, zero regime", err, "model: regime")
	_, err = Train(ctx, net, TrainConfig{Set: ds, Count: -1, Engine: eventSpec, Regime: model.Awake()})
	must("Train, negative count", err, "Count -1")
	_, err = Train(ctx, nil, TrainConfig{Set: ds, Count: 1, Engine: eventSpec, Regime: model.Awake()})
	must("Train, nil network", err, "nil network")
	_, err = Train(ctx, &model.Network{}, TrainConfig{Set: ds, Count: 1, Engine: eventSpec, Regime: model.Awake()})
	must("Train, zero network", err, "NewNetwork")

	_, err = Responses(ctx, net, RespondConfig{})
	must("Responses, zero config", err, "RespondConfig.Set")
	_, err = Responses(ctx, net, RespondConfig{Set: nilSet, Count: 1})
	must("Responses, nil *mnist.Set", err, "RespondConfig.Set")
	_, err = Responses(ctx, net, RespondConfig{Set: ds, Count: -1})
	must("Responses, negative count", err, "-1 images")
	_, err = Responses(ctx, net, RespondConfig{Set: ds, Count: 1})
	must("Responses, zero engine", err, "EngineSpec.Kind")

	_, err = Evaluator{}.Label(ctx, net, model.Awake(), ds, 1)
	must("zero Evaluator", err, "EngineSpec.Kind")
	_, err = Evaluator{Engine: eventSpec}.Label(ctx, net, model.Awake(), nilSet, 1)
	must("Label, nil *mnist.Set", err, "nil")
	_, err = Evaluator{Engine: eventSpec}.Score(ctx, net, model.Awake(), []int{0}, ds, 1)
	must("Score, 1 label for 3 neurons", err, "1 neuron labels for 3")
	_, err = Evaluator{Engine: eventSpec}.Score(ctx, net, model.Awake(), []int{0, 10, -1}, ds, 1)
	must("Score, neuron label 10", err, "label 10")

	_, err = Sleep(ctx, net, SleepConfig{})
	must("Sleep, zero config", err, "DurationMS")
	cfg := DefaultSleep()
	_, err = Sleep(ctx, net, cfg)
	must("Sleep, no mean image", err, "SleepConfig.Mean")
	cfg.Mean, cfg.Engine, cfg.Awake = MeanImage(ds, 1), eventSpec, model.Awake()
	cfg.Changes = model.SleepChanges{}
	_, err = Sleep(ctx, net, cfg)
	must("Sleep, zero changes", err, "LeakScale")
	for _, f := range []struct {
		name string
		set  func(*SleepConfig)
	}{
		{"DurationMS", func(c *SleepConfig) { c.DurationMS = -1 }},
		{"StartMS", func(c *SleepConfig) { c.StartMS = c.DurationMS + 1 }},
		{"InputGain", func(c *SleepConfig) { c.InputGain = -1 }},
		{"SleepConfig.Mean", func(c *SleepConfig) { c.Mean = append([]float64(nil), c.Mean...); c.Mean[3] = -1 }},
	} {
		c := DefaultSleep()
		c.Mean, c.Engine, c.Awake = MeanImage(ds, 1), eventSpec, model.Awake()
		f.set(&c)
		before := net.Clone()
		_, err := Sleep(ctx, net, c)
		must("Sleep, bad "+f.name, err, f.name)
		if !equal(net.W, before.W) || !equal(net.Theta, before.Theta) {
			t.Errorf("Sleep with a bad %s changed the network", f.name)
		}
	}
	if m := MeanImage(ds, 0); m != nil {
		t.Errorf("MeanImage of 0 images = %v, want nil", m)
	}
	if m := MeanImage(nilSet, 5); m != nil {
		t.Errorf("MeanImage of a nil set = %v, want nil", m)
	}
}
