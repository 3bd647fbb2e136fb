package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/evsim/evsim/runner/experiment"
)

// paperFlags configure -phase paper.
type paperFlags struct {
	dir     string
	seeds   int
	levels  string
	distort int
}

func parseLevels(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || v <= 0 || v > 10_000_000 {
			return nil, usagef("-levels %q: must be a comma-separated list of increasing training-image counts in [1, 10000000]", s)
		}
		if len(out) > 0 && v <= out[len(out)-1] {
			return nil, usagef("-levels %q: must be a comma-separated list of increasing training-image counts in [1, 10000000]", s)
		}
		out = append(out, v)
	}
	return out, nil
}

// paperSeeds are the seeds of the paper's networks: -seed, -seed+1, ...
func (o *options) paperSeeds() []uint64 {
	var seeds []uint64
	for s := range o.paper.seeds {
		seeds = append(seeds, o.seed+uint64(s))
	}
	return seeds
}

// paperPhase runs (or resumes) the reproduction and writes the report.
func (e *env) paperPhase() error {
	o := e.o
	cfg := experiment.DefaultPaper()
	cfg.Dir, cfg.NExc, cfg.Engine, cfg.Workers = o.paper.dir, o.n, e.spec, o.workers
	cfg.WarmupImages, cfg.WarmupInh = o.warmup, o.warmInh
	cfg.Seeds = o.paperSeeds()
	levels, err := parseLevels(o.paper.levels)
	if err != nil {
		return err
	}
	cfg.Levels, cfg.Focus = levels, levels[0]
	cfg.Label, cfg.Test = o.label, o.test
	cfg.Distort = min(o.paper.distort, cfg.Test)
	// The preset (validated by default), with any sleep flag given applied on top.
	cfg.Sleep = o.sleep.config(o.set)
	cfg.Train, cfg.TestSet = e.trainSet, e.testSet
	cfg.Command = e.res.Provenance.Command
	t0 := time.Now()
	logged := 0
	cfg.Log = func(format string, a ...any) {
		logged++
		if testHook != nil {
			testHook("paper", float64(logged))
		}
		if !o.quiet {
			fmt.Fprintf(e.stderr, "[%6.0fs] %s\n", time.Since(t0).Seconds(), fmt.Sprintf(format, a...))
		}
	}
	switch {
	case o.slurm.submit || o.slurm.dryRun:
		return e.slurmSubmit(cfg)
	case o.set["chain"] || o.set["cell"]:
		if err := e.paperTask(cfg); err != nil {
			return err
		}
		e.res.Timing["paper"] = time.Since(t0).Seconds()
		e.res.NExc = cfg.NExc
		e.res.Out = cfg.Dir
		return nil
	case o.slurm.report:
		todo, err := experiment.PaperPending(cfg)
		if err != nil {
			return err
		}
		if len(todo) > 0 {
			return missingCells(cfg, todo)
		}
	}
	var cells []experiment.Cell
	if err := e.stage("paper", func() error {
		cells, err = experiment.Paper(e.ctx, cfg)
		return err
	}); err != nil {
		return err
	}
	rep, err := experiment.WriteReport(cfg, cells)
	if err != nil {
		return err
	}
	e.res.Timing["paper"] = time.Since(t0).Seconds()
	e.res.NExc = cfg.NExc
	short := *rep
	short.Cells = nil // all of it is in DIR/results.json
	e.res.Paper = &short
	e.res.Out = cfg.Dir
	return nil
}
