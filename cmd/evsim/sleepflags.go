package main

import (
	"flag"
	"slices"
	"strings"

	"github.com/evsim/evsim/model"
	"github.com/evsim/evsim/runner"
)

// Sleep presets: named starting points; each -sleep-* flag given overrides its field.
var sleepPresets = []struct {
	name, what string
	cfg        func() runner.SleepConfig
}{
	{"validated", "the sleep evsim's validation search ranked best: inhibition off, STDP off, threshold rule on with θ+ ×2, excitation ×1, leak ×2, 10 s", runner.ValidatedSleep},
	{"paper-text", "the paper's description taken literally: leak ×2, excitation ×2, inhibition ×1, STDP and threshold rule on, 10 s", runner.DefaultSleep},
	{"replay", "the sleep of the authors' later code: the replay rule instead of STDP (steps 0.003 up and down, scale 0.2, window 10 ms), inhibition off, θ frozen, input gain 0.6, leak ×2, 20 s; validated for 400 neurons after 1,000 images", runner.ReplaySleep},
	{"decay", "the validated sleep with θ decaying during sleep (τθ = 1000 ms) and θ+ ×1: thresholds can fall", runner.DecaySleep},
}

func presetNames() string {
	s := ""
	for k, p := range sleepPresets {
		if k > 0 {
			s += " | "
		}
		s += p.name
	}
	return s
}

// sleepFlags are the sleep regime's parameters; every one is printed with the results.
type sleepFlags struct {
	preset    string
	ms        float64
	gain      float64
	leak      float64
	exc       float64
	inh       float64
	stdp      bool
	theta     bool
	normalize bool
	input     string
	pot       float64
	dep       float64
	thetaPlus float64
	rule      string
	replayInc float64
	replayDec float64
	replayW   float64
	replayWin float64
	thetaTau  float64
}

// sleepField maps one flag to a field of the sleep configuration: the one place that does.
type sleepField struct {
	name, usage string
	reg         func(fs *flag.FlagSet, s *sleepFlags, name, usage string)
	set         func(s *sleepFlags, c *runner.SleepConfig)
	lo, hi      float64 // for float flags
	get         func(s *sleepFlags) float64
}

func floatField(name, usage string, lo, hi float64, p func(s *sleepFlags) *float64, set func(c *runner.SleepConfig, v float64)) sleepField {
	return sleepField{name: name, usage: usage, lo: lo, hi: hi,
		reg: func(fs *flag.FlagSet, s *sleepFlags, name, usage string) { fs.Float64Var(p(s), name, 0, usage) },
		set: func(s *sleepFlags, c *runner.SleepConfig) { set(c, *p(s)) },
		get: func(s *sleepFlags) float64 { return *p(s) },
	}
}

func boolField(name, usage string, p func(s *sleepFlags) *bool, set func(c *runner.SleepConfig, v bool)) sleepField {
	return sleepField{name: name, usage: usage,
		reg: func(fs *flag.FlagSet, s *sleepFlags, name, usage string) { fs.BoolVar(p(s), name, false, usage) },
		set: func(s *sleepFlags, c *runner.SleepConfig) { set(c, *p(s)) },
	}
}

func ruleField() sleepField {
	return sleepField{name: "sleep-rule", usage: "plasticity that -sleep-stdp turns on: awake (the awake STDP rule with -sleep-pot, -sleep-dep) | replay (the sleep replay rule: at a post-synaptic spike, inputs active within -sleep-replay-window potentiated, silent ones depressed; -sleep-rule replay turns -sleep-stdp on unless it is given)",
		reg: func(fs *flag.FlagSet, s *sleepFlags, name, usage string) { fs.StringVar(&s.rule, name, "", usage) },
		set: func(s *sleepFlags, c *runner.SleepConfig) {
			switch s.rule {
			case model.RuleReplay:
				c.Changes.Rule, c.Changes.STDP = model.RuleReplay, true
				if c.Changes.Replay == (model.Replay{}) {
					c.Changes.Replay = model.DefaultReplay()
				}
			default: // "awake" is the default rule, recorded as none so that settings keep their hash
				c.Changes.Rule, c.Changes.Replay = "", model.Replay{}
			}
		},
	}
}

// replayField is a parameter of the replay rule: it applies only with that rule selected.
func replayField(name, usage string, lo, hi float64, p func(s *sleepFlags) *float64, set func(r *model.Replay, v float64)) sleepField {
	return floatField(name, usage+" (with -sleep-rule replay)", lo, hi, p, func(c *runner.SleepConfig, v float64) {
		if c.Changes.Replay == (model.Replay{}) {
			c.Changes.Replay = model.DefaultReplay()
		}
		set(&c.Changes.Replay, v)
	})
}

var sleepFields = []sleepField{
	floatField("sleep-ms", "sleep duration (ms of simulated time), in [0.001, 1e7]", 1e-3, 1e7,
		func(s *sleepFlags) *float64 { return &s.ms }, func(c *runner.SleepConfig, v float64) { c.DurationMS = v }),
	floatField("sleep-gain", "sleep input gain: rates = mean image pixel/8 · 2 · gain, in [1e-6, 1000]", 1e-6, 1000,
		func(s *sleepFlags) *float64 { return &s.gain }, func(c *runner.SleepConfig, v float64) { c.InputGain = v }),
	floatField("sleep-leak", "leak ×: the excitatory membrane time constant is divided by this, in [0.1, 100]", 0.1, 100,
		func(s *sleepFlags) *float64 { return &s.leak }, func(c *runner.SleepConfig, v float64) { c.Changes.LeakScale = v }),
	floatField("sleep-exc", "excitatory (AMPA) input current ×, in [0, 100]", 0, 100,
		func(s *sleepFlags) *float64 { return &s.exc }, func(c *runner.SleepConfig, v float64) { c.Changes.ExcGain = v }),
	floatField("sleep-inh", "lateral inhibition ×, in [0, 10]", 0, 10,
		func(s *sleepFlags) *float64 { return &s.inh }, func(c *runner.SleepConfig, v float64) { c.Changes.InhScale = v }),
	ruleField(),
	boolField("sleep-stdp", "STDP on during sleep",
		func(s *sleepFlags) *bool { return &s.stdp }, func(c *runner.SleepConfig, v bool) { c.Changes.STDP = v }),
	boolField("sleep-theta", "threshold rule on during sleep",
		func(s *sleepFlags) *bool { return &s.theta }, func(c *runner.SleepConfig, v bool) { c.Changes.Threshold = v }),
	boolField("sleep-norm", "keep the awake weight normalization during sleep",
		func(s *sleepFlags) *bool { return &s.normalize }, func(c *runner.SleepConfig, v bool) { c.Changes.Normalize = v }),
	floatField("sleep-pot", "STDP potentiation rate × during sleep, in [0, 1000]", 0, 1000,
		func(s *sleepFlags) *float64 { return &s.pot }, func(c *runner.SleepConfig, v float64) { c.Changes.PotScale = v }),
	floatField("sleep-dep", "STDP depression rate × during sleep, in [0, 1000]", 0, 1000,
		func(s *sleepFlags) *float64 { return &s.dep }, func(c *runner.SleepConfig, v float64) { c.Changes.DepScale = v }),
	floatField("sleep-theta-plus", "threshold increment × during sleep, in [0, 1000]", 0, 1000,
		func(s *sleepFlags) *float64 { return &s.thetaPlus }, func(c *runner.SleepConfig, v float64) { c.Changes.ThetaPlusScale = v }),
	floatField("sleep-theta-tau", "time constant (ms) of the decay of θ during sleep, with the threshold rule on; 0: the awake 1e7, in [0, 1e9]", 0, 1e9,
		func(s *sleepFlags) *float64 { return &s.thetaTau }, func(c *runner.SleepConfig, v float64) { c.Changes.TauTheta = v }),
	replayField("sleep-replay-inc", "replay rule: potentiation step at weight 0, in [0, 1]", 0, 1,
		func(s *sleepFlags) *float64 { return &s.replayInc }, func(r *model.Replay, v float64) { r.Inc = v }),
	replayField("sleep-replay-dec", "replay rule: depression step at weight 0, in [0, 1]", 0, 1,
		func(s *sleepFlags) *float64 { return &s.replayDec }, func(r *model.Replay, v float64) { r.Dec = v }),
	replayField("sleep-replay-scale", "replay rule: weight over which the step falls, 2/(1+e^{w/scale}), in [1e-6, 100]", 1e-6, 100,
		func(s *sleepFlags) *float64 { return &s.replayW }, func(r *model.Replay, v float64) { r.Scale = v }),
	replayField("sleep-replay-window", "replay rule: an input that spiked at most this many ms before the post-synaptic spike counts as active, in [0, 1000]", 0, 1000,
		func(s *sleepFlags) *float64 { return &s.replayWin }, func(r *model.Replay, v float64) { r.Window = v }),
}

func sleepFlagDefs() []flagDef {
	defs := []flagDef{
		{name: "sleep-preset", phases: withSleep, reg: func(fs *flag.FlagSet, o *options) {
			fs.StringVar(&o.sleep.preset, "sleep-preset", "validated", "sleep to start from: "+presetNames()+"; the -sleep-* flags given override its values")
		}},
		{name: "sleep-input", phases: withSleep, reg: func(fs *flag.FlagSet, o *options) {
			fs.StringVar(&o.sleep.input, "sleep-input", "seen", "seen: mean of the training images the network has seen | all: of all 60000 (but those it holds out, -hold-out)")
		}},
	}
	for _, f := range sleepFields {
		defs = append(defs, flagDef{name: f.name, phases: withSleep, reg: func(fs *flag.FlagSet, o *options) {
			f.reg(fs, &o.sleep, f.name, f.usage+" (default: the preset's)")
		}})
	}
	return defs
}

// config is the sleep the flags ask for: the preset, then every -sleep-* flag given.
func (s *sleepFlags) config(given map[string]bool) runner.SleepConfig {
	var c runner.SleepConfig
	for _, p := range sleepPresets {
		if p.name == s.preset {
			c = p.cfg()
		}
	}
	for _, f := range sleepFields {
		if given[f.name] {
			f.set(s, &c)
		}
	}
	return c
}

// overrides lists the -sleep-* flags given, in the order of sleepFields.
func (s *sleepFlags) overrides(given map[string]bool) []string {
	var out []string
	for _, f := range sleepFields {
		if given[f.name] {
			out = append(out, f.name)
		}
	}
	return out
}

func (s *sleepFlags) validate(given map[string]bool) error {
	if !slices.ContainsFunc(sleepPresets, func(p struct {
		name, what string
		cfg        func() runner.SleepConfig
	}) bool {
		return p.name == s.preset
	}) && s.preset != "" {
		return usagef("-sleep-preset %q: must be one of %s", s.preset, presetNames())
	}
	for _, f := range sleepFields {
		if f.get != nil && given[f.name] {
			if err := finite(f.name, f.get(s), f.lo, f.hi); err != nil {
				return err
			}
		}
	}
	switch s.rule {
	case "", model.RuleAwake, model.RuleReplay:
	default:
		return usagef("-sleep-rule %q: must be %s or %s", s.rule, model.RuleAwake, model.RuleReplay)
	}
	if s.config(given).Changes.Rule != model.RuleReplay {
		for _, f := range sleepFields {
			if given[f.name] && strings.HasPrefix(f.name, "sleep-replay-") {
				return usagef("-%s: applies only to the replay rule: add -sleep-rule replay (or -sleep-preset replay)", f.name)
			}
		}
	}
	switch s.input {
	case "seen", "all", "":
	default:
		return usagef("-sleep-input %q: must be seen or all", s.input)
	}
	return nil
}
