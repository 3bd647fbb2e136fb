// Command warmgrid compares inhibition warm-ups (model.Regime.WarmupImages, WarmupInh) on
// the validation split (a research tool, not part of evsim): for each seed and warm-up it
// trains a new network level by level and, at each level, scores it before and after the
// validated sleep. Labels come from the first -label training images, accuracy from the
// last -val training images; the levels must stay below the validation split. Never the
// test set.
//
//	go run ./cmd/sleeplab/sleeplab-warmgrid -seeds 1,2,3 -levels 1000,5000,10000 -warm 0:1,1000:0.25,2000:0.5
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"strconv"
	"strings"

	"github.com/evsim/evsim/cmd/sleeplab/internal/lab"
	"github.com/evsim/evsim/model"
	"github.com/evsim/evsim/runner"
	"github.com/evsim/evsim/runner/experiment"
	"github.com/evsim/evsim/runner/mnist"
)

func ints(flagName, s string) []int {
	var out []int
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.Atoi(f)
		if err != nil {
			log.Fatalf("warmgrid: -%s: %v", flagName, err)
		}
		out = append(out, v)
	}
	return out
}

func main() {
	n := flag.Int("n", 400, "excitatory neurons")
	seeds := flag.String("seeds", "1,2,3", "seeds")
	levels := flag.String("levels", "1000,5000,10000", "training levels (ascending)")
	warm := flag.String("warm", "0:1,1000:0.25", "warm-ups to compare, IMAGES:SCALE, comma separated")
	nLabel := flag.Int("label", 5000, "labelling images (the first of the training set)")
	nVal := flag.Int("val", 2000, "validation images (the last of the training set)")
	workers := flag.Int("workers", 2, "")
	flag.Parse()
	ctx := context.Background()
	set := lab.MustLoad("train", 0)
	lv := ints("levels", *levels)
	if last := lv[len(lv)-1]; last > set.Len()-*nVal {
		log.Fatalf("warmgrid: level %d reaches into the validation split (the last %d images)", last, *nVal)
	}
	spec := runner.EngineSpec{Kind: "event"}
	// Scoring and sleeping go through experiment.SearchSleep with the validated sleep as its one
	// grid point: validation accuracy before, and after a sleep of a copy.
	v := runner.ValidatedSleep()
	one := experiment.SearchSpace{Gain: []float64{v.InputGain}, Leak: []float64{v.Changes.LeakScale},
		Exc: []float64{v.Changes.ExcGain}, Inh: []float64{v.Changes.InhScale}, DurationMS: []float64{v.DurationMS}}
	fmt.Println("warmup\tseed\tlevel\tawake\tslept")
	for _, w := range strings.Split(*warm, ",") {
		a, b, ok := strings.Cut(w, ":")
		images, err1 := strconv.Atoi(a)
		scale, err2 := strconv.ParseFloat(b, 64)
		if !ok || err1 != nil || err2 != nil {
			log.Fatalf("warmgrid: -warm %q: want IMAGES:SCALE", w)
		}
		for _, seed := range ints("seeds", *seeds) {
			r := model.AwakeN(*n)
			r.WarmupImages, r.WarmupInh = images, scale
			net, seen := runner.NewNetwork(mnist.Pixels, *n, uint64(seed)), 0
			for _, level := range lv {
				if _, err := runner.Train(ctx, net, runner.TrainConfig{Set: set, Start: seen, Count: level - seen, Seed: uint64(seed), Engine: spec, Regime: r}); err != nil {
					log.Fatal(err)
				}
				seen = level
				snap := &runner.Snapshot{Meta: runner.Meta{NIn: mnist.Pixels, NExc: *n, Seed: uint64(seed), ImagesSeen: seen, Regime: r, Engine: spec}, Net: net}
				rows, err := experiment.SearchSleep(ctx, experiment.SearchConfig{Nets: []*runner.Snapshot{snap}, Space: one, Base: v,
					Label: *nLabel, Validation: *nVal, Set: set, Engine: spec, Workers: *workers})
				if err != nil {
					log.Fatal(err)
				}
				if rows[0].Error != "" {
					log.Fatalf("warmgrid: %s, seed %d, level %d: %s", w, seed, level, rows[0].Error)
				}
				before, after := 100*rows[0].Before[0], 100*rows[0].After[0]
				fmt.Printf("%s\t%d\t%d\t%.2f\t%.2f\n", w, seed, level, before, after)
			}
		}
	}
}
