package main

import (
	"flag"

	"github.com/evsim/evsim/runner"
)

var defaultSleep = runner.DefaultSleep()

// sleepFlags are the sleep regime's parameters; every one is printed with the results.
type sleepFlags struct {
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
}

func (s *sleepFlags) register(fs *flag.FlagSet) {
	fs.Float64Var(&s.ms, "sleep-ms", defaultSleep.DurationMS, "sleep duration (ms of simulated time), in (0, 1e7]")
	fs.Float64Var(&s.gain, "sleep-gain", defaultSleep.InputGain, "sleep input gain: rates = mean image pixel/8 · 2 · gain, in (0, 1000]")
	fs.Float64Var(&s.leak, "sleep-leak", defaultSleep.Changes.LeakScale, "leak ×: the excitatory membrane time constant is divided by this, in [0.1, 100]")
	fs.Float64Var(&s.exc, "sleep-exc", defaultSleep.Changes.ExcGain, "excitatory (AMPA) input current ×, in [0, 100]")
	fs.Float64Var(&s.inh, "sleep-inh", defaultSleep.Changes.InhScale, "lateral inhibition ×, in [0, 10]")
	fs.BoolVar(&s.stdp, "sleep-stdp", defaultSleep.Changes.STDP, "STDP on during sleep")
	fs.BoolVar(&s.theta, "sleep-theta", defaultSleep.Changes.Threshold, "threshold rule on during sleep")
	fs.BoolVar(&s.normalize, "sleep-norm", defaultSleep.Changes.Normalize, "keep the awake weight normalization during sleep")
	fs.Float64Var(&s.pot, "sleep-pot", defaultSleep.Changes.PotScale, "STDP potentiation rate × during sleep, in [0, 1000]")
	fs.Float64Var(&s.dep, "sleep-dep", defaultSleep.Changes.DepScale, "STDP depression rate × during sleep, in [0, 1000]")
	fs.Float64Var(&s.thetaPlus, "sleep-theta-plus", defaultSleep.Changes.ThetaPlusScale, "threshold increment × during sleep, in [0, 1000]")
	fs.StringVar(&s.input, "sleep-input", "seen", "seen: mean of the training images the network has seen | all: of all 60000")
}

// apply writes the sleep flags into c: every one when given is nil, otherwise only those
// for which given(flag name) is true (the flags set on the command line, say). This is
// the one place that maps the flags to the sleep's fields.
func (s *sleepFlags) apply(c *runner.SleepConfig, given func(name string) bool) {
	for _, f := range []struct {
		name string
		set  func()
	}{
		{"sleep-ms", func() { c.DurationMS = s.ms }},
		{"sleep-gain", func() { c.InputGain = s.gain }},
		{"sleep-leak", func() { c.Changes.LeakScale = s.leak }},
		{"sleep-exc", func() { c.Changes.ExcGain = s.exc }},
		{"sleep-inh", func() { c.Changes.InhScale = s.inh }},
		{"sleep-stdp", func() { c.Changes.STDP = s.stdp }},
		{"sleep-theta", func() { c.Changes.Threshold = s.theta }},
		{"sleep-norm", func() { c.Changes.Normalize = s.normalize }},
		{"sleep-pot", func() { c.Changes.PotScale = s.pot }},
		{"sleep-dep", func() { c.Changes.DepScale = s.dep }},
		{"sleep-theta-plus", func() { c.Changes.ThetaPlusScale = s.thetaPlus }},
	} {
		if given == nil || given(f.name) {
			f.set()
		}
	}
}

func (s *sleepFlags) validate(phase string) error {
	if err := finite("sleep-ms", s.ms, 1e-3, 1e7); err != nil {
		return err
	}
	if err := finite("sleep-gain", s.gain, 1e-6, 1000); err != nil {
		return err
	}
	if err := finite("sleep-leak", s.leak, 0.1, 100); err != nil {
		return err
	}
	if err := finite("sleep-exc", s.exc, 0, 100); err != nil {
		return err
	}
	if err := finite("sleep-inh", s.inh, 0, 10); err != nil {
		return err
	}
	for _, f := range []struct {
		name string
		v    float64
	}{{"sleep-pot", s.pot}, {"sleep-dep", s.dep}, {"sleep-theta-plus", s.thetaPlus}} {
		if err := finite(f.name, f.v, 0, 1000); err != nil {
			return err
		}
	}
	switch s.input {
	case "seen", "all":
	default:
		return usagef("-sleep-input %q: must be seen or all", s.input)
	}
	return nil
}
