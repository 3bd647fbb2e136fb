// Command sleeplab runs sleep configurations on the validation split (a research tool, not
// part of evsim): labels from the first -label training images, accuracy on the last -val
// training images, never the test set. It loads snaps/awakeS.snap for each seed S, scores
// it, then, for each -cfg, sleeps a copy, relabels and scores it again. It made the second
// sleep study of the README (section "Sleep", the table of sleeps with labels from 2,000
// and 10,000 images, on networks trained without the warm-up); `evsim -phase sleepsearch`
// reproduces its numbers exactly. The row "exc ×1, θ+ ×4, 5 s", labels from 2,000 images:
//
//	for s in 1 2 3; do go run ./cmd/evsim -phase train -n 400 -train 1000 -warmup-images 0 -label 0 -test 0 -seed $s -out snaps/awake$s.snap; done
//	go run ./cmd/sleeplab -seeds 1,2,3 -cfg 'exc=1,ms=5000,tp=4'
//
// Several configurations in one run, the second of two stages:
//
//	go run ./cmd/sleeplab -seeds 1,2,3 -cfg 'exc=1,ms=5000,tp=4' -cfg 'exc=1,ms=5000;exc=1,ms=5000,stdp=1,theta=0,pot=0,dep=30'
//
// A configuration is one or more stages separated by ';', run one after the other. Keys:
// gain, leak, exc, inh, ms, stdp, theta, norm (0/1), pot, dep, tp (step-size scales), input
// (seen/all). Defaults: the README's previous validated sleep (gain 1, leak ×2, exc ×2,
// inhibition off, STDP off, threshold rule on, 5 s, the mean of the images seen).
//
// Output: "before [accuracies]" (one per seed), then per configuration one line with the
// configuration, the accuracies after sleep, their mean and the seconds taken; per seed, on
// stderr, the accuracy before and after and each stage's rate, mean θ change and weight
// change. -dump writes the response counts (lab.Counts, gob) as DIR/sS_awake.gob and
// DIR/sS_cC.gob for sleeplab-readout; -save writes the slept networks as DIR/sS_cC.snap.
package main

import (
	"context"
	"encoding/gob"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/evsim/evsim/analysis"
	"github.com/evsim/evsim/cmd/sleeplab/internal/lab"
	"github.com/evsim/evsim/model"
	"github.com/evsim/evsim/runner"
)

type multi []string

func (m *multi) String() string     { return strings.Join(*m, " | ") }
func (m *multi) Set(s string) error { *m = append(*m, s); return nil }

func stage(s string) (runner.SleepConfig, string, error) {
	c := runner.DefaultSleep()
	c.Changes.InhScale, c.Changes.STDP, c.DurationMS = 0, false, 5000
	input := "seen"
	for _, kv := range strings.Split(s, ",") {
		kv = strings.TrimSpace(kv)
		if kv == "" {
			continue
		}
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return c, input, fmt.Errorf("bad %q", kv)
		}
		if k == "input" {
			input = v
			continue
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return c, input, err
		}
		switch k {
		case "gain":
			c.InputGain = f
		case "leak":
			c.Changes.LeakScale = f
		case "exc":
			c.Changes.ExcGain = f
		case "inh":
			c.Changes.InhScale = f
		case "ms":
			c.DurationMS = f
		case "stdp":
			c.Changes.STDP = f != 0
		case "theta":
			c.Changes.Threshold = f != 0
		case "norm":
			c.Changes.Normalize = f != 0
		case "pot":
			c.Changes.PotScale = f
		case "dep":
			c.Changes.DepScale = f
		case "tp":
			c.Changes.ThetaPlusScale = f
		default:
			return c, input, fmt.Errorf("unknown key %q", k)
		}
	}
	return c, input, nil
}

// config is a parsed -cfg: its stages, and the input of each ("seen" or "all").
type config struct {
	text   string
	stages []runner.SleepConfig
	inputs []string
}

func parseConfig(cs string) (config, error) {
	c := config{text: cs}
	for _, st := range strings.Split(cs, ";") {
		sc, input, err := stage(st)
		if err != nil {
			return c, lab.Usagef("-cfg %q: %v", cs, err)
		}
		if input != "seen" && input != "all" {
			return c, lab.Usagef("-cfg %q: input %q: must be seen or all", cs, input)
		}
		c.stages, c.inputs = append(c.stages, sc), append(c.inputs, input)
	}
	return c, nil
}

func main() { lab.Main("sleeplab", run) }

func run(args []string, stdout, stderr io.Writer) error {
	var cfgText multi
	cmd := lab.NewCommand("sleeplab", "")
	fl := cmd.Flags
	fl.Var(&cfgText, "cfg", "configuration (repeatable)")
	seeds := fl.String("seeds", "1,2,3", "seeds")
	dir := fl.String("snaps", "snaps", "snapshot folder (awakeS.snap)")
	nLabel := fl.Int("label", 2000, "labelling images (first of the training set)")
	nVal := fl.Int("val", 2000, "validation images (last of the training set)")
	dump := fl.String("dump", "", "folder to write response counts (gob) into (created if missing)")
	save := fl.String("save", "", "folder to write slept snapshots into (created if missing)")
	if err := cmd.Parse(args, stderr); err != nil {
		return err
	}
	var cfgs []config
	for _, cs := range cfgText {
		c, err := parseConfig(cs)
		if err != nil {
			return err
		}
		cfgs = append(cfgs, c)
	}
	for _, d := range []string{*dump, *save} {
		if d != "" {
			if err := os.MkdirAll(d, 0o755); err != nil {
				return err
			}
		}
	}
	ctx := context.Background()
	set, err := lab.TrainSplit(*nLabel, *nVal)
	if err != nil {
		return err
	}
	val := set.Last(*nVal)
	spec := runner.EngineSpec{Kind: "event"}
	eval := func(net *model.Network, r model.Regime, seed uint64, name string) (float64, error) {
		rc := runner.RespondConfig{Set: set, Count: *nLabel, Seed: seed, Stream: runner.StreamLabel, Engine: spec, Regime: r.Frozen(), Workers: 1}
		lc, err := runner.Responses(ctx, net, rc)
		if err != nil {
			return 0, err
		}
		labels, err := analysis.Assign(lc, set.Labels[:*nLabel], 10)
		if err != nil {
			return 0, err
		}
		rc.Set, rc.Count, rc.Stream = val, val.Len(), runner.StreamTest
		vc, err := runner.Responses(ctx, net, rc)
		if err != nil {
			return 0, err
		}
		if *dump != "" {
			if err := writeCounts(filepath.Join(*dump, name+".gob"), lab.Counts{Label: lc, Val: vc}); err != nil {
				return 0, err
			}
		}
		return analysis.Evaluate(vc, val.Labels, labels).Accuracy, nil
	}
	var snaps []*runner.Snapshot
	var before []float64
	for _, s := range strings.Split(*seeds, ",") {
		sn, err := runner.LoadSnapshot(filepath.Join(*dir, "awake"+s+".snap"))
		if err != nil {
			return err
		}
		snaps = append(snaps, sn)
		a, err := eval(sn.Net, sn.Meta.Regime, sn.Meta.Seed, fmt.Sprintf("s%d_awake", sn.Meta.Seed))
		if err != nil {
			return err
		}
		before = append(before, a)
	}
	fmt.Fprintf(stdout, "before %v\n", before)
	for ci, cfg := range cfgs {
		t0 := time.Now()
		var after []float64
		mean := 0.0
		for k, sn := range snaps {
			net := sn.Net.Clone()
			var rate []string
			for si, c := range cfg.stages {
				n := min(sn.Meta.ImagesSeen, set.Len())
				if cfg.inputs[si] == "all" {
					n = set.Len()
				}
				c.Mean = runner.MeanImage(set, n)
				c.Seed, c.Engine, c.Awake = sn.Meta.Seed+uint64(1000*si), spec, sn.Meta.Regime
				ss, err := runner.Sleep(ctx, net, c)
				if err != nil {
					return err
				}
				rate = append(rate, fmt.Sprintf("%.1fHz dθ%.1f dW%.0f", ss.MeanRateHz, ss.MeanDTheta, ss.WeightChange))
			}
			a, err := eval(net, sn.Meta.Regime, sn.Meta.Seed, fmt.Sprintf("s%d_c%d", sn.Meta.Seed, ci))
			if err != nil {
				return err
			}
			if *save != "" {
				s2 := &runner.Snapshot{Meta: sn.Meta, Net: net}
				if err := s2.Save(filepath.Join(*save, fmt.Sprintf("s%d_c%d.snap", sn.Meta.Seed, ci))); err != nil {
					return err
				}
			}
			after = append(after, a)
			mean += a / float64(len(snaps))
			fmt.Fprintf(stderr, "  seed %d: %.4f -> %.4f  %s\n", sn.Meta.Seed, before[k], a, strings.Join(rate, " | "))
		}
		fmt.Fprintf(stdout, "%-70s after %v mean %.4f (%.0fs)\n", cfg.text, after, mean, time.Since(t0).Seconds())
	}
	return nil
}

// counts is lab.Counts under the type name that gob has always written into the files.
type counts lab.Counts

func writeCounts(path string, c lab.Counts) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := gob.NewEncoder(f).Encode(counts(c)); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	return f.Close()
}
