package main

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/evsim/evsim/runner"
	"github.com/evsim/evsim/runner/experiment"
)

// searchFlags configure -phase sleepsearch.
type searchFlags struct {
	gain, leak, exc, inh, ms string
	samples                  int
	validation               int
}

func parseFloats(flagName, s string, lo, hi float64) ([]float64, error) {
	var out []float64
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil || math.IsNaN(v) || v < lo || v > hi {
			return nil, usagef("-%s %q: must be a comma-separated list of numbers in [%v, %v]", flagName, s, lo, hi)
		}
		out = append(out, v)
	}
	return out, nil
}

func (s *searchFlags) space() (experiment.SearchSpace, error) {
	var sp experiment.SearchSpace
	var err error
	if sp.Gain, err = parseFloats("grid-gain", s.gain, 1e-6, 1000); err != nil {
		return sp, err
	}
	if sp.Leak, err = parseFloats("grid-leak", s.leak, 0.1, 100); err != nil {
		return sp, err
	}
	if sp.Exc, err = parseFloats("grid-exc", s.exc, 0, 100); err != nil {
		return sp, err
	}
	if sp.Inh, err = parseFloats("grid-inh", s.inh, 0, 10); err != nil {
		return sp, err
	}
	if sp.DurationMS, err = parseFloats("grid-ms", s.ms, 1e-3, 1e7); err != nil {
		return sp, err
	}
	return sp, nil
}

// searchPhase runs the sleep-parameter search on a validation split.
func (e *env) searchPhase() error {
	o := e.o
	sp, err := o.search.space()
	if err != nil {
		return err
	}
	var nets []*runner.Snapshot
	for _, p := range strings.Split(o.in, ",") {
		s, err := runner.LoadSnapshot(strings.TrimSpace(p))
		if err != nil {
			return err
		}
		nets = append(nets, s)
	}
	set, err := e.training()
	if err != nil {
		return err
	}
	base := runner.DefaultSleep()
	o.sleep.apply(&base, nil) // the grid then sets gain, leak, excitation, inhibition and duration
	total := sp.Size()
	if o.search.samples > 0 {
		total = min(total, o.search.samples)
	}
	bar := newProgress("search", total, o.quiet)
	rows, err := experiment.SearchSleep(e.ctx, experiment.SearchConfig{
		Nets: nets, Space: sp, Base: base, Samples: o.search.samples,
		Label: o.label, Validation: o.search.validation, Set: set, Engine: e.spec, Workers: o.workers, Seed: o.seed,
		Progress: func(done, _ int) { bar.Update(done) },
	})
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(e.stderr, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "gain\tleak\texc\tinh\tms\trate Hz\tgain (points)\tsd\t")
	for _, r := range rows {
		if r.Error != "" {
			fmt.Fprintf(tw, "%g\t%g\t%g\t%g\t%g\t-\t%s\t\t\n", r.Gain, r.Leak, r.Exc, r.Inh, r.DurationMS, r.Error)
			continue
		}
		fmt.Fprintf(tw, "%g\t%g\t%g\t%g\t%g\t%.1f\t%+.2f\t%.2f\t\n", r.Gain, r.Leak, r.Exc, r.Inh, r.DurationMS, r.RateHz, 100*r.MeanGain, 100*r.SDGain)
	}
	tw.Flush()
	e.res.Search = rows
	return nil
}
