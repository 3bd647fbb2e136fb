// Command sleeplab runs sleep configurations on the validation split (a research tool, not part
// of evsim): labels from the first -label training images, accuracy on the last -val
// training images, never the test set. It loads snaps/awakeS.snap for each seed S, scores
// it, then, for each -cfg, sleeps a copy, relabels and scores it again.
//
//	go run ./cmd/sleeplab -seeds 1,2,3 -cfg 'exc=1,ms=5000,tp=4' -cfg 'exc=1,ms=5000;exc=1,ms=5000,stdp=1,theta=0,pot=0,dep=30'
//
// A configuration is one or more stages separated by ';', run one after the other. Keys
// (defaults: the validated sleep, inhibition off, STDP off, 5 s): gain, leak, exc, inh, ms,
// stdp, theta, norm (0/1), pot, dep, tp (step-size scales), input (seen/all).
package main

import (
	"context"
	"encoding/gob"
	"flag"
	"fmt"
	"log"
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

type counts struct{ Label, Val [][]int32 }

func main() {
	var cfgs multi
	flag.Var(&cfgs, "cfg", "configuration (repeatable)")
	seeds := flag.String("seeds", "1,2,3", "seeds")
	dir := flag.String("snaps", "snaps", "snapshot folder (awakeS.snap)")
	nLabel := flag.Int("label", 2000, "labelling images (first of the training set)")
	nVal := flag.Int("val", 2000, "validation images (last of the training set)")
	dump := flag.String("dump", "", "folder to write response counts (gob) into")
	save := flag.String("save", "", "folder to write slept snapshots into")
	flag.Parse()
	ctx := context.Background()
	set := lab.MustLoad("train", 0)
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
			f, err := os.Create(filepath.Join(*dump, name+".gob"))
			if err != nil {
				return 0, err
			}
			if err := gob.NewEncoder(f).Encode(counts{lc, vc}); err != nil {
				return 0, err
			}
			f.Close()
		}
		return analysis.Evaluate(vc, val.Labels, labels).Accuracy, nil
	}
	var snaps []*runner.Snapshot
	var before []float64
	for _, s := range strings.Split(*seeds, ",") {
		sn, err := runner.LoadSnapshot(filepath.Join(*dir, "awake"+s+".snap"))
		if err != nil {
			log.Fatal(err)
		}
		snaps = append(snaps, sn)
		a, err := eval(sn.Net, sn.Meta.Regime, sn.Meta.Seed, fmt.Sprintf("s%d_awake", sn.Meta.Seed))
		if err != nil {
			log.Fatal(err)
		}
		before = append(before, a)
	}
	fmt.Printf("before %v\n", before)
	for ci, cs := range cfgs {
		t0 := time.Now()
		var after []float64
		mean := 0.0
		for k, sn := range snaps {
			net := sn.Net.Clone()
			var rate []string
			for si, st := range strings.Split(cs, ";") {
				c, input, err := stage(st)
				if err != nil {
					log.Fatal(err)
				}
				n := min(sn.Meta.ImagesSeen, set.Len())
				if input == "all" {
					n = set.Len()
				}
				c.Mean = runner.MeanImage(set, n)
				c.Seed, c.Engine, c.Awake = sn.Meta.Seed+uint64(1000*si), spec, sn.Meta.Regime
				ss, err := runner.Sleep(ctx, net, c)
				if err != nil {
					log.Fatal(err)
				}
				rate = append(rate, fmt.Sprintf("%.1fHz dθ%.1f dW%.0f", ss.MeanRateHz, ss.MeanDTheta, ss.WeightChange))
			}
			a, err := eval(net, sn.Meta.Regime, sn.Meta.Seed, fmt.Sprintf("s%d_c%d", sn.Meta.Seed, ci))
			if err != nil {
				log.Fatal(err)
			}
			if *save != "" {
				s2 := &runner.Snapshot{Meta: sn.Meta, Net: net}
				if err := s2.Save(filepath.Join(*save, fmt.Sprintf("s%d_c%d.snap", sn.Meta.Seed, ci))); err != nil {
					log.Fatal(err)
				}
			}
			after = append(after, a)
			mean += a / float64(len(snaps))
			fmt.Fprintf(os.Stderr, "  seed %d: %.4f -> %.4f  %s\n", sn.Meta.Seed, before[k], a, strings.Join(rate, " | "))
		}
		fmt.Printf("%-70s after %v mean %.4f (%.0fs)\n", cs, after, mean, time.Since(t0).Seconds())
	}
}
