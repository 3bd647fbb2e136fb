package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/evsim/evsim/model"
	"github.com/evsim/evsim/runner"
)

// sleepPhase: label, test before, the awake rate, sleep, relabel, test after; each a stage.
func (e *env) sleepPhase() error {
	o, snap := e.o, e.snap
	cfg := e.sleepCfg
	if e.res.Sleep == nil {
		c := cfg.Changes
		e.res.Sleep = &SleepResult{Preset: o.sleep.preset, Overrides: o.sleep.overrides(o.set), Params: sleepParams{
			DurationMS: cfg.DurationMS, InputGain: cfg.InputGain, LeakScale: c.LeakScale, ExcGain: c.ExcGain,
			InhScale: c.InhScale, STDP: c.STDP, Threshold: c.Threshold, Normalize: c.Normalize,
			Input: o.sleep.input, MeanOf: 0, PotScale: c.PotScale, DepScale: c.DepScale, ThetaPlusScale: c.ThetaPlusScale,
			Rule: model.RuleAwake, TauTheta: c.TauTheta,
		}}
		if c.Rule == model.RuleReplay {
			rp := c.Replay
			e.res.Sleep.Params.Rule, e.res.Sleep.Params.Replay = c.Rule, &rp
		}
	}
	res := e.res.Sleep
	if o.label == 0 {
		o.label = max(snap.Meta.LabelImages, 1000)
		if h := snap.Meta.HeldOut; h > 0 {
			o.label = min(o.label, e.fit().Len()) // the default labels no held-out image
		}
	}
	// Before and after sleep are scored the same way: labels from the same o.label training
	// images, so that the comparison measures sleep and nothing else.
	if err := e.stage("label", func() error {
		if snap.Meta.Labels != nil && snap.Meta.LabelImages == o.label {
			return nil
		}
		return e.labelPhase("label")
	}); err != nil {
		return err
	}
	if o.test > 0 {
		if err := e.stage("before", func() error {
			score, err := e.testPhase("before")
			if err != nil {
				return err
			}
			res.TestBefore = &score
			res.AccuracyBefore = score.Accuracy
			return nil
		}); err != nil {
			return err
		}
	}
	// The awake firing rate, for the up-state comparison: frozen presentations of 200
	// training images.
	if err := e.stage("awake-rate", func() error {
		fit := e.fit()
		counts, err := runner.Responses(e.ctx, snap.Net, runner.RespondConfig{
			Set: fit, Count: min(200, fit.Len()), Seed: o.seed, Stream: runner.StreamLabel,
			Engine: e.spec, Regime: snap.Meta.Regime.Frozen(), Workers: o.workers,
			Progress: e.progress("awake-rate", 200),
		})
		if err != nil {
			return err
		}
		var spikes int64
		for _, c := range counts {
			for _, v := range c {
				spikes += int64(v)
			}
		}
		res.AwakeRateHz = float64(spikes) / float64(len(counts)*snap.Net.NExc) / (runner.PresentationMS / 1000)
		return nil
	}); err != nil {
		return err
	}
	if err := e.stage("sleep", e.sleepStage); err != nil {
		return err
	}
	if err := e.stage("relabel", func() error { return e.labelPhase("relabel") }); err != nil {
		return err
	}
	if o.test > 0 {
		if err := e.stage("after", func() error {
			score, err := e.testPhase("after")
			if err != nil {
				return err
			}
			e.res.Test = &score
			res.AccuracyAfter = score.Accuracy
			return nil
		}); err != nil {
			return err
		}
	}
	return nil
}

// sleepStage runs the sleep itself, continuing a checkpointed one; the statistics cover
// the whole sleep, measured against the network as sleep began.
func (e *env) sleepStage() error {
	snap, res := e.snap, e.res.Sleep
	cfg := e.sleepCfg
	var prior runner.SleepStats
	before := snap.Net.Clone()
	if e.pend != nil && e.pend.SleepStart != nil {
		s, err := runner.DecodeSnapshot(e.pend.SleepStart)
		if err != nil {
			return &badInput{fmt.Errorf("-resume %s: the network as sleep began: %w", e.resumeFile, err)}
		}
		before = s.Net
		cfg.StartMS = e.pend.SleptMS
		if e.pend.SleepSoFar != nil {
			prior = *e.pend.SleepSoFar
		}
	}
	start := &runner.Snapshot{Meta: snap.Meta, Net: before}
	var err error
	if e.sleepStart, err = encodeSnap(start); err != nil {
		return err
	}
	res.Params.MeanOf = e.sleepMeanOf
	progress := e.progressIn("sleep", "ms", int(cfg.DurationMS))
	cfg.Progress = func(ms float64) { progress(int(ms)) }
	cfg.Before, cfg.Prior, cfg.Workers = before, prior, e.fanWorkers
	t0 := time.Now()
	st, err := runner.Sleep(e.ctx, snap.Net, cfg)
	e.sleepSoFar = st
	if err != nil {
		return err
	}
	e.res.Timing["sleep"] = time.Since(t0).Seconds()
	res.Stats = st
	return nil
}

// checkSleep refuses, before any work, a sleep that cannot run: an invalid regime or an
// input that exceeds the simulator's event-rate bound.
func checkSleep(cfg runner.SleepConfig, nIn int) error {
	err := cfg.Check(nIn)
	var re *runner.RateError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &re):
		return usagef("-sleep-gain %v: the sleep input would deliver %.3g spikes per simulated second, above the bound %.0e: lower -sleep-gain to at most %.3g",
			re.Gain, re.Rate, runner.MaxEventRate, re.Gain*runner.MaxEventRate/re.Rate)
	default:
		return usagef("the sleep is invalid: %v (check the -sleep-* flags)", err)
	}
}
