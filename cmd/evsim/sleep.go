package main

import (
	"fmt"
	"time"

	"github.com/evsim/evsim/runner"
)

// sleepPhase: test before, sleep, relabel, test after.
func (e *env) sleepPhase() error {
	o, snap := e.o, e.snap
	set, err := e.training()
	if err != nil {
		return err
	}
	cfg := runner.DefaultSleep()
	o.sleep.apply(&cfg, nil)
	// The results report the configuration the sleep runs with, read from cfg, so that
	// apply stays the one mapping from the flags.
	c := cfg.Changes
	res := &SleepResult{Params: sleepParams{
		DurationMS: cfg.DurationMS, InputGain: cfg.InputGain, LeakScale: c.LeakScale, ExcGain: c.ExcGain,
		InhScale: c.InhScale, STDP: c.STDP, Threshold: c.Threshold, Normalize: c.Normalize,
		Input: o.sleep.input, PotScale: c.PotScale, DepScale: c.DepScale, ThetaPlusScale: c.ThetaPlusScale,
	}}
	e.res.Sleep = res
	startMS := 0.0
	if e.resume != nil {
		startMS = e.resume.SleptMS
		if e.resume.Baseline != nil {
			res.AccuracyBefore = *e.resume.Baseline
		}
	}
	if o.label == 0 {
		o.label = max(snap.Meta.LabelImages, 1000)
	}
	if startMS == 0 {
		// Before and after sleep are scored the same way: labels from the same o.label
		// training images, so that the comparison measures sleep and nothing else.
		if snap.Meta.Labels == nil || snap.Meta.LabelImages != o.label {
			if err := e.labelPhase("label"); err != nil {
				return err
			}
		}
		if o.test > 0 {
			score, err := e.testPhase("before")
			if err != nil {
				return err
			}
			res.TestBefore = &score
			res.AccuracyBefore = score.Accuracy
		}
	}
	// The awake firing rate, for the up-state comparison: frozen presentations of 200
	// training images.
	counts, err := runner.Responses(e.ctx, snap.Net, runner.RespondConfig{
		Set: set, Count: 200, Seed: o.seed, Stream: runner.StreamLabel,
		Engine: e.spec, Regime: snap.Meta.Regime.Frozen(), Workers: o.workers,
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

	meanOf := set.Len()
	if o.sleep.input == "seen" {
		meanOf = min(snap.Meta.ImagesSeen, set.Len())
		if meanOf == 0 {
			return usagef("-sleep-input seen: the snapshot %s has seen no training images: use -sleep-input all", o.in)
		}
	}
	res.Params.MeanOf = meanOf
	cfg.StartMS = startMS
	cfg.Mean = runner.MeanImage(set, meanOf)
	cfg.Seed, cfg.Engine, cfg.Awake = o.seed, e.spec, snap.Meta.Regime
	bar := newProgress("sleep", int(o.sleep.ms), o.quiet)
	cfg.Progress = func(ms float64) {
		bar.Update(int(ms))
		if testHook != nil {
			testHook("sleep", ms)
		}
	}
	t0 := time.Now()
	st, err := runner.Sleep(e.ctx, snap.Net, cfg)
	if err != nil {
		if e.ctx.Err() != nil {
			base := res.AccuracyBefore
			return e.checkpoint(&pending{Args: o.args, SleptMS: st.DurationMS, Baseline: &base},
				fmt.Sprintf("sleep interrupted after %.0f of %.0f ms", st.DurationMS, o.sleep.ms))
		}
		return err
	}
	e.res.Timing["sleep"] = time.Since(t0).Seconds()
	res.Stats = st
	if err := e.labelPhase("relabel"); err != nil {
		return err
	}
	if o.test > 0 {
		score, err := e.testPhase("after")
		if err != nil {
			return err
		}
		e.res.Test = &score
		res.AccuracyAfter = score.Accuracy
	}
	return nil
}
