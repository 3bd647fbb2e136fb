package model

import (
	"fmt"
	"math"
)

// Replay is the sleep plasticity of the authors' later sleep code (Tadros, Krishnan,
// Ramyaa & Bazhenov 2022, "Sleep-like unsupervised replay"; their SleepReplayConsolidation
// and Sleep-Robustness repositories), translated to this network. Unlike the awake rule it
// acts only at a spike of the post-synaptic neuron j, at time t, and on every input
// synapse of j at once:
//
//	input i active (spiked in [t-Window, t]):  w_ij += Inc·Soft(w_ij), at most WMax
//	input i silent:                            w_ij -= Dec·Soft(w_ij), at least 0
//
// with Soft(w) = 2/(1+e^{w/Scale}): 1 at w = 0, falling towards 0 as w grows past Scale,
// so a strong synapse moves little and a weak one much. Nothing happens at an input spike.
// The rule has no traces and no dependence on spike timing beyond the window.
//
// The zero Replay is off; a regime with On runs it instead of the awake STDP rule (the
// two are exclusive: Validate refuses a regime with both).
type Replay struct {
	On     bool    `json:"on"`
	Inc    float64 `json:"inc"`       // potentiation step at w = 0 (weight units, >= 0)
	Dec    float64 `json:"dec"`       // depression step at w = 0 (weight units, >= 0)
	Scale  float64 `json:"scale"`     // weight over which the step falls (> 0)
	Window float64 `json:"window_ms"` // an input that spiked at most Window ms before counts as active (>= 0)
}

// DefaultReplay is the rule as evsim's validation search chose it for 400 neurons after
// 1,000 training images (docs/sleep-study.md, "The sleep replay rule"): equal steps of
// 0.003 (0.3 % of WMax) up and down, a fall over 0.2 (twice the mean weight of a trained
// column, 78/784), and a 10 ms window.
func DefaultReplay() Replay {
	return Replay{On: true, Inc: 0.003, Dec: 0.003, Scale: 0.2, Window: 10}
}

// Soft is the step factor 2/(1+e^{w/Scale}) of weight w.
func (p *Replay) Soft(w float64) float64 { return 2 / (1 + math.Exp(w/p.Scale)) }

// validate returns a *ParamError for the first bad parameter of a rule that is on.
func (p *Replay) validate(regime string) error {
	if !p.On {
		return nil
	}
	bad := func(field string, v float64, rule string) error {
		return &ParamError{Regime: regime, Field: "Replay." + field, Value: v, Rule: rule}
	}
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	for _, f := range []struct {
		name string
		v    float64
	}{{"Inc", p.Inc}, {"Dec", p.Dec}, {"Window", p.Window}} {
		if !finite(f.v) || f.v < 0 {
			return bad(f.name, f.v, "finite and >= 0")
		}
	}
	if !finite(p.Scale) || p.Scale <= 0 {
		return bad("Scale", p.Scale, "finite and > 0")
	}
	return nil
}

// ReplayPost applies r.Replay for a spike of excitatory neuron j at time t: each input i
// whose last spike n.LastPre[i] lies in [t-Window, t] is potentiated, every other input
// depressed. The engines call it only when r.Replay.On, and keep n.LastPre current at every
// input spike while it is. Cost: O(NIn).
func (r *Regime) ReplayPost(n *Network, j int, t float64) {
	p := &r.Replay
	n.mustShape()
	n.touch(j)
	for i, last := range n.LastPre {
		k := i*n.NExc + j
		w := float64(n.W[k])
		if t-last <= p.Window {
			w = min(w+p.Inc*p.Soft(w), r.WMax)
		} else {
			w = max(w-p.Dec*p.Soft(w), 0)
		}
		n.W[k] = float32(w)
	}
}

// The names of the sleep plasticity rules (SleepChanges.Rule).
const (
	RuleAwake  = "awake"  // the awake STDP rule with its sleep step scales
	RuleReplay = "replay" // the Replay rule
)

// checkRule returns an error for a rule name that is neither "" (awake), RuleAwake nor
// RuleReplay.
func checkRule(name string) error {
	switch name {
	case "", RuleAwake, RuleReplay:
		return nil
	}
	return fmt.Errorf("model: sleep changes: Rule = %q: must be %q or %q", name, RuleAwake, RuleReplay)
}
