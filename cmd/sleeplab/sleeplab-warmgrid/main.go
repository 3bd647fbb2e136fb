// Command sleeplab-warmgrid compares inhibition warm-ups (model.Regime.WarmupImages,
// WarmupInh) on the validation split (a research tool, not part of evsim): for each seed and
// warm-up it trains a new network level by level and, at each level, scores it before and
// after the validated sleep. Labels come from the first -label training images, accuracy
// from the last -val training images; the levels must stay below the validation split.
// Never the test set. It made the README's warm-up table (section "Inhibition warm-up",
// "How it was chosen"):
//
//	go run ./cmd/sleeplab/sleeplab-warmgrid -seeds 1,2 -levels 1000,5000 -warm 0:1,500:0.25,1000:0.25,2000:0.25,1000:0.125,1000:0.5,2000:0.5
//
// Output: a tab-separated table with a header line and one row per warm-up, seed and level:
// the warm-up, seed, level, and the validation accuracy (%) awake and after sleep.
package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/evsim/evsim/cmd/sleeplab/internal/lab"
	"github.com/evsim/evsim/model"
	"github.com/evsim/evsim/runner"
	"github.com/evsim/evsim/runner/experiment"
	"github.com/evsim/evsim/runner/mnist"
)

// ints parses a comma-separated list of non-negative integers, strictly increasing if
// ascending.
func ints(flagName, s string, ascending bool) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.Atoi(f)
		if err != nil || v < 0 {
			return nil, lab.Usagef("-%s %q: want non-negative integers, comma separated", flagName, s)
		}
		if ascending && len(out) > 0 && v <= out[len(out)-1] {
			return nil, lab.Usagef("-%s %q: must be ascending", flagName, s)
		}
		out = append(out, v)
	}
	return out, nil
}

// warmup is one -warm entry.
type warmup struct {
	text   string
	images int
	scale  float64
}

func main() { lab.Main("sleeplab-warmgrid", run) }

func run(args []string, stdout, stderr io.Writer) error {
	cmd := lab.NewCommand("sleeplab-warmgrid", "")
	fl := cmd.Flags
	n := fl.Int("n", 400, "excitatory neurons")
	seedList := fl.String("seeds", "1,2,3", "seeds")
	levels := fl.String("levels", "1000,5000,10000", "training levels (ascending)")
	warm := fl.String("warm", "0:1,1000:0.25", "warm-ups to compare, IMAGES:SCALE, comma separated")
	nLabel := fl.Int("label", 5000, "labelling images (the first of the training set)")
	nVal := fl.Int("val", 2000, "validation images (the last of the training set)")
	workers := fl.Int("workers", 2, "goroutines for labelling and scoring")
	if err := cmd.Parse(args, stderr); err != nil {
		return err
	}
	if *n < 1 || *n > 100000 {
		return lab.Usagef("-n %d: must be in [1, 100000]", *n)
	}
	lv, err := ints("levels", *levels, true)
	if err != nil {
		return err
	}
	if lv[0] < 1 {
		return lab.Usagef("-levels %q: a level must be at least 1", *levels)
	}
	seeds, err := ints("seeds", *seedList, false)
	if err != nil {
		return err
	}
	var warms []warmup
	for _, w := range strings.Split(*warm, ",") {
		a, b, ok := strings.Cut(w, ":")
		images, err1 := strconv.Atoi(a)
		scale, err2 := strconv.ParseFloat(b, 64)
		if !ok || err1 != nil || err2 != nil {
			return lab.Usagef("-warm %q: want IMAGES:SCALE", w)
		}
		r := model.AwakeN(*n)
		r.WarmupImages, r.WarmupInh = images, scale
		if err := r.Validate(); err != nil {
			return lab.Usagef("-warm %q: %v", w, err)
		}
		warms = append(warms, warmup{w, images, scale})
	}
	ctx := context.Background()
	set, err := lab.Load("train", 0)
	if err != nil {
		return err
	}
	if *nVal < 1 || *nVal > set.Len() {
		return lab.Usagef("-val %d: must be in [1, %d]", *nVal, set.Len())
	}
	if *nLabel < 1 || *nLabel > set.Len() {
		return lab.Usagef("-label %d: must be in [1, %d]", *nLabel, set.Len())
	}
	if last := lv[len(lv)-1]; last > set.Len()-*nVal {
		return lab.Usagef("-levels: level %d reaches into the validation split (the last %d images)", last, *nVal)
	}
	spec := runner.EngineSpec{Kind: "event"}
	// Scoring and sleeping go through experiment.SearchSleep with the validated sleep as its one
	// grid point: validation accuracy before, and after a sleep of a copy.
	v := runner.ValidatedSleep()
	one := experiment.SearchSpace{Gain: []float64{v.InputGain}, Leak: []float64{v.Changes.LeakScale},
		Exc: []float64{v.Changes.ExcGain}, Inh: []float64{v.Changes.InhScale}, DurationMS: []float64{v.DurationMS}}
	fmt.Fprintln(stdout, "warmup\tseed\tlevel\tawake\tslept")
	for _, w := range warms {
		for _, seed := range seeds {
			r := model.AwakeN(*n)
			r.WarmupImages, r.WarmupInh = w.images, w.scale
			net, seen := runner.NewNetwork(mnist.Pixels, *n, uint64(seed)), 0
			for _, level := range lv {
				if _, err := runner.Train(ctx, net, runner.TrainConfig{Set: set, Start: seen, Count: level - seen, Seed: uint64(seed), Engine: spec, Regime: r}); err != nil {
					return err
				}
				seen = level
				snap := &runner.Snapshot{Meta: runner.Meta{NIn: mnist.Pixels, NExc: *n, Seed: uint64(seed), ImagesSeen: seen, Regime: r, Engine: spec}, Net: net}
				rows, err := experiment.SearchSleep(ctx, experiment.SearchConfig{Nets: []*runner.Snapshot{snap}, Space: one, Base: v,
					Label: *nLabel, Validation: *nVal, Set: set, Engine: spec, Workers: *workers})
				if err != nil {
					return err
				}
				if rows[0].Error != "" {
					return fmt.Errorf("warm-up %s, seed %d, level %d: %s", w.text, seed, level, rows[0].Error)
				}
				before, after := 100*rows[0].Before[0], 100*rows[0].After[0]
				fmt.Fprintf(stdout, "%s\t%d\t%d\t%.2f\t%.2f\n", w.text, seed, level, before, after)
			}
		}
	}
	return nil
}
