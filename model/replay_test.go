package model

import (
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestReplayHandComputed checks the replay rule on a case worked out by hand: inputs that
// spiked within the window of the post-synaptic spike are potentiated by Inc·Soft(w), the
// others (older spikes, none at all) depressed by Dec·Soft(w), with the bounds, and only
// the spiking neuron's column changes.
func TestReplayHandComputed(t *testing.T) {
	r := Awake()
	r.Plastic = false
	r.Replay = Replay{On: true, Inc: 0.1, Dec: 0.05, Scale: 0.2, Window: 5}
	if err := r.Validate(); err != nil {
		t.Fatal(err)
	}
	net := NewNetwork(5, 2, rand.New(rand.NewPCG(1, 1)))
	// Column 1 (the spiking neuron): w = 0, 0.4, 0.4, 0.999, 0.001; column 0 all 0.3.
	copy(net.W, ws(0.3, 0, 0.3, 0.4, 0.3, 0.4, 0.3, 0.999, 0.3, 0.001))
	net.WeightsChanged()
	// Spike of neuron 1 at t = 20: inputs 0 (at 20), 1 (at 15: exactly the window) and 3
	// (at 19) are active; 2 (at 14.9) and 4 (never) are silent.
	copy(net.LastPre, []float64{20, 15, 14.9, 19, math.Inf(-1)})
	r.ReplayPost(net, 1, 20)
	soft := func(w float64) float64 { return 2 / (1 + math.Exp(w/0.2)) }
	w4 := float64(float32(0.4)) // the stored weight
	want := []float64{
		0 + 0.1*1,          // soft(0) = 1
		w4 + 0.1*soft(w4),  // active
		w4 - 0.05*soft(w4), // silent: the same weight moves down by half the step
		1,                  // 0.999 + 0.1·soft(0.999) > WMax: clipped
		0,                  // 0.001 - 0.05·soft(0.001) < 0: clipped
	}
	for i, w := range want {
		if got := net.W[i*2+1]; !near32(got, w) {
			t.Errorf("w[%d][1] = %v, want %v", i, got, w)
		}
		if net.W[i*2] != float32(0.3) {
			t.Errorf("w[%d][0] = %v: the silent neuron's column changed", i, net.W[i*2])
		}
	}
	// The step shrinks as the weight grows (the rule's soft bound).
	if !(soft(0) > soft(0.1) && soft(0.1) > soft(0.5) && soft(0.5) > 0) || (&r.Replay).Soft(0) != 1 {
		t.Errorf("Soft is not 1 at 0 and falling: %v %v %v", soft(0), soft(0.1), soft(0.5))
	}
}

// TestSleepRule checks how SleepChanges selects the plasticity: the replay rule replaces
// STDP only with STDP on; the default rule leaves the regime (and its JSON) as before.
func TestSleepRule(t *testing.T) {
	awake := Awake()
	c := NeutralSleep()
	def := Sleep(awake, c)
	if def.Replay != (Replay{}) || !def.Plastic || def.TauTheta != awake.TauTheta {
		t.Fatalf("default sleep: Replay %+v, Plastic %v, TauTheta %v", def.Replay, def.Plastic, def.TauTheta)
	}
	for _, v := range []any{awake, def, c} {
		b, _ := json.Marshal(v)
		if strings.Contains(string(b), "Replay") || strings.Contains(string(b), "Rule") || strings.Contains(string(b), `"TauTheta":0`) {
			t.Errorf("JSON of %T names the new fields while they are unset: %s", v, b)
		}
	}
	c.Rule, c.Replay, c.TauTheta = RuleReplay, DefaultReplay(), 5000
	c.Replay.On = false // ignored: STDP and Rule decide
	s := Sleep(awake, c)
	if s.Plastic || !s.Replay.On || s.Replay.Inc != DefaultReplay().Inc || s.TauTheta != 5000 {
		t.Fatalf("replay sleep: Plastic %v, Replay %+v, TauTheta %v", s.Plastic, s.Replay, s.TauTheta)
	}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	c.STDP = false
	if s := Sleep(awake, c); s.Plastic || s.Replay.On {
		t.Fatalf("STDP off: Plastic %v, Replay.On %v", s.Plastic, s.Replay.On)
	}
	if s.Frozen().Replay.On {
		t.Fatal("Frozen left the replay rule on")
	}
}

// TestReplayValidate checks that bad rule parameters, an unknown rule name and the two
// rules at once are refused with errors that name the field.
func TestReplayValidate(t *testing.T) {
	r := Awake()
	r.Replay = DefaultReplay()
	var pe *ParamError
	if err := r.Validate(); !errors.As(err, &pe) || pe.Field != "Replay.On" {
		t.Fatalf("both rules on: %v", err)
	}
	r.Plastic = false
	for _, tc := range []struct {
		field string
		set   func(p *Replay)
	}{
		{"Replay.Inc", func(p *Replay) { p.Inc = -1 }},
		{"Replay.Dec", func(p *Replay) { p.Dec = math.NaN() }},
		{"Replay.Scale", func(p *Replay) { p.Scale = 0 }},
		{"Replay.Window", func(p *Replay) { p.Window = math.Inf(1) }},
	} {
		q := r
		tc.set(&q.Replay)
		if err := q.Validate(); !errors.As(err, &pe) || pe.Field != tc.field {
			t.Errorf("%s: %v", tc.field, err)
		}
		c := NeutralSleep()
		c.Rule, c.Replay = RuleReplay, q.Replay
		if err := c.Validate(); !errors.As(err, &pe) || pe.Field != tc.field {
			t.Errorf("sleep changes %s: %v", tc.field, err)
		}
	}
	c := NeutralSleep()
	c.Rule = "hebb"
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "Rule") {
		t.Errorf("unknown rule: %v", err)
	}
	c.Rule, c.TauTheta = "", -1
	if err := c.Validate(); !errors.As(err, &pe) || pe.Field != "TauTheta" {
		t.Errorf("negative TauTheta: %v", err)
	}
}
