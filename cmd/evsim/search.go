package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

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
	if e.pend != nil && len(e.pend.Nets) > 0 {
		for k, b := range e.pend.Nets {
			s, err := runner.DecodeSnapshot(b)
			if err != nil {
				return &badInput{fmt.Errorf("-resume %s: network %d: %w", e.resumeFile, k, err)}
			}
			nets = append(nets, s)
		}
		e.searchNets = e.pend.Nets
	} else {
		for _, p := range strings.Split(o.in, ",") {
			s, err := runner.LoadSnapshot(strings.TrimSpace(p))
			if err != nil {
				return &badInput{err}
			}
			if s.Meta.ImagesSeen == 0 {
				return usagef("-in %s: the network is untrained (it has seen no training images): sleep searches need trained networks", p)
			}
			b, err := encodeSnap(s)
			if err != nil {
				return err
			}
			e.searchNets = append(e.searchNets, b)
			nets = append(nets, s)
		}
	}
	base := o.sleep.config(o.set) // the grid then sets gain, leak, excitation, inhibition and duration
	total := sp.Size()
	if o.search.samples > 0 {
		total = min(total, o.search.samples)
	}
	progress := e.progressIn("search", "units", total)
	// Finished units: those of the checkpoint, then each one as it finishes, for the next
	// checkpoint.
	var prior []experiment.SearchUnit
	if e.pend != nil && len(e.pend.Units) > 0 {
		if err := json.Unmarshal(e.pend.Units, &prior); err != nil {
			return &badInput{fmt.Errorf("-resume %s: damaged search record: %v", e.resumeFile, err)}
		}
	}
	dir := o.paper.dir
	if dir != "" {
		kept, err := e.readUnits(dir)
		if err != nil {
			return err
		}
		prior = append(prior, kept...)
		if err := os.MkdirAll(filepath.Join(dir, "units"), 0o755); err != nil {
			return fmt.Errorf("-dir %s: %w", dir, err)
		}
	}
	var mu sync.Mutex
	var keepErr error
	units := slices.Clone(prior)
	e.searchUnits = func() ([]byte, error) {
		mu.Lock()
		defer mu.Unlock()
		return json.Marshal(units)
	}
	cfg := experiment.SearchConfig{
		Nets: nets, Space: sp, Base: base, Samples: o.search.samples,
		Label: o.label, Validation: o.search.validation, Set: e.trainSet, Engine: e.spec, Workers: o.workers, Seed: o.seed,
		Progress: func(done, _ int) { progress(done) },
		Prior:    prior,
		OnUnit: func(u experiment.SearchUnit) {
			mu.Lock()
			defer mu.Unlock()
			units = append(units, u)
			if dir != "" && keepErr == nil {
				keepErr = writeUnit(dir, u)
			}
		},
	}
	switch {
	case o.slurm.submit || o.slurm.dryRun:
		return e.searchSubmit(cfg)
	case o.set["unit"]:
		return e.searchTask(cfg)
	case o.slurm.merge:
		cfg.PriorOnly = true
	}
	var rows []experiment.SearchRow
	err = e.stage("search", func() error {
		rows, err = experiment.SearchSleep(e.ctx, cfg)
		return err
	})
	var me *experiment.MissingUnitsError
	if errors.As(err, &me) {
		return missingUnits(dir, me)
	}
	if err != nil {
		return err
	}
	if keepErr != nil {
		return fmt.Errorf("-dir %s: a finished unit could not be kept: %w", dir, keepErr)
	}
	e.res.Search = rows
	return nil
}
