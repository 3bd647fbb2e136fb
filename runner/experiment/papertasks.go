package experiment

import (
	"context"
	"fmt"
	"os"
	"slices"
)

// The paper as independent tasks, for a scheduler that runs them on other machines over a
// shared Dir: one chain per seed (PaperChain), then one cell per seed and level
// (PaperCell), then the report from the cells (PaperPending says nothing is left, Paper
// reuses every product, WriteReport). Each task writes its files atomically and is keyed
// like Paper's products, so the files are byte for byte those of a Paper run with the
// same settings, and a task whose products are already in Dir computes nothing.

// PaperChain trains (or resumes) the awake snapshots of one seed through every level.
func PaperChain(ctx context.Context, cfg PaperConfig, seed uint64) error {
	p, err := newPaperRun(cfg, seed, 0)
	if err != nil {
		return err
	}
	return p.trainLevels(ctx, seed, nil)
}

// PaperCell computes (or reuses) the cell of one seed and level. The seed's awake snapshot
// at that level must be in Dir (its chain has run).
func PaperCell(ctx context.Context, cfg PaperConfig, seed uint64, level int) (Cell, error) {
	p, err := newPaperRun(cfg, seed, level)
	if err != nil {
		return Cell{}, err
	}
	path := cfg.path(seed, awakeName(level))
	if s, why := p.checkAwake(path, seed, level); s == "" {
		if why == "" {
			why = "it is missing"
		}
		return Cell{}, fmt.Errorf("experiment: cell seed %d level %d needs the awake snapshot %s, which cannot be used: %s", seed, level, path, why)
	}
	return p.cell(ctx, seed, level)
}

// newPaperRun validates cfg and checks that seed (and level, unless 0) belong to it.
func newPaperRun(cfg PaperConfig, seed uint64, level int) (*paperRun, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if !slices.Contains(cfg.Seeds, seed) {
		return nil, fmt.Errorf("experiment: seed %d is not one of PaperConfig.Seeds %v", seed, cfg.Seeds)
	}
	if level != 0 && !slices.Contains(cfg.Levels, level) {
		return nil, fmt.Errorf("experiment: level %d is not one of PaperConfig.Levels %v", level, cfg.Levels)
	}
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("experiment: results folder: %w", err)
	}
	return &paperRun{cfg: &cfg, program: Program(), trainSum: setSum(cfg.Train), testSum: setSum(cfg.TestSet)}, nil
}

// PaperTodo is what is left of one seed: its chain (some awake snapshot is missing or
// cannot be reused) and the cells to compute.
type PaperTodo struct {
	Seed  uint64
	Chain bool
	// ChainWhy says why the chain must run ("" when Chain is false): the first level
	// whose snapshot cannot be reused, and why.
	ChainWhy string
	Cells    []PendingCell
}

// PendingCell is a cell that is missing or cannot be reused.
type PendingCell struct {
	Level int
	Why   string
}

// PaperPending lists, per seed in the order of cfg.Seeds, what a run of cfg would still
// compute; seeds with nothing left are left out. A cell whose awake snapshot cannot be
// reused is pending (its chain recomputes the snapshot, and the cell task then reuses the
// cell if the snapshot comes out the same). It reads Dir and computes nothing.
func PaperPending(cfg PaperConfig) ([]PaperTodo, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	p := &paperRun{cfg: &cfg, program: Program(), trainSum: setSum(cfg.Train), testSum: setSum(cfg.TestSet)}
	var out []PaperTodo
	for _, seed := range cfg.Seeds {
		t := PaperTodo{Seed: seed}
		for _, level := range cfg.Levels {
			awake := cfg.path(seed, awakeName(level))
			s, why := p.checkAwake(awake, seed, level)
			if s == "" {
				if why == "" {
					why = "not computed yet"
				}
				if !t.Chain {
					t.Chain, t.ChainWhy = true, fmt.Sprintf("%s: %s", p.rel(awake), why)
				}
				t.Cells = append(t.Cells, PendingCell{Level: level, Why: "its awake snapshot " + p.rel(awake) + " is missing or cannot be reused"})
				continue
			}
			config := p.cellConfig(seed, level, s)
			hash, err := hashJSON(config)
			if err != nil {
				return nil, err
			}
			out := cfg.path(seed, fmt.Sprintf("cell-%d.json", level))
			if _, why := loadCell(out, config, hash); why != "ok" {
				if why == "" {
					why = "not computed yet"
				}
				t.Cells = append(t.Cells, PendingCell{Level: level, Why: p.rel(out) + ": " + why})
			}
		}
		if t.Chain || len(t.Cells) > 0 {
			out = append(out, t)
		}
	}
	return out, nil
}
