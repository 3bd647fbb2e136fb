package main

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/evsim/evsim/cmd/sleeplab/internal/labtest"
	"github.com/evsim/evsim/model"
	"github.com/evsim/evsim/runner"
	"github.com/evsim/evsim/runner/mnist"
)

// TestWarmgrid: a header and one row per warm-up, seed and level, in that order, with
// accuracies that are whole numbers of the 20 validation images. The awake score is the
// Evaluator's on the network trained directly; a warm-up as long as the level gives the
// same network as a longer one.
func TestWarmgrid(t *testing.T) {
	const nLabel, nVal = 20, 20
	stdout, _, err := labtest.Run(run, "-n", "5", "-seeds", "1,2", "-levels", "10,20", "-warm", "0:1,10:0.25,20:0.25",
		"-label", "20", "-val", "20", "-workers", "1")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	if len(lines) != 1+3*2*2 || lines[0] != "warmup\tseed\tlevel\tawake\tslept" {
		t.Fatalf("got\n%s\nwant a header and 12 rows", stdout)
	}
	got := map[string][]float64{}
	i := 1
	for _, w := range []string{"0:1", "10:0.25", "20:0.25"} {
		for _, seed := range []string{"1", "2"} {
			for _, level := range []string{"10", "20"} {
				re := regexp.MustCompile(fmt.Sprintf(`^%s\t%s\t%s\t(\d+\.\d\d)\t(\d+\.\d\d)$`, w, seed, level))
				v := labtest.Floats(t, re, lines[i])
				for _, a := range v {
					if a > 100 || a*nVal/100 != float64(int(a*nVal/100+0.5)) {
						t.Errorf("row %q: %v is not a share of %d images", lines[i], a, nVal)
					}
				}
				got[w+" "+seed+" "+level] = v
				i++
			}
		}
	}
	for _, seed := range []string{"1", "2"} {
		if a, b := got["10:0.25 "+seed+" 10"], got["20:0.25 "+seed+" 10"]; fmt.Sprint(a) != fmt.Sprint(b) {
			t.Errorf("seed %s, level 10: warm-ups 10:0.25 and 20:0.25 give %v and %v, want the same network", seed, a, b)
		}
	}
	// The awake score of 0:1 (no warm-up in effect), seed 1, level 10, through the runner.
	set := labtest.Set(t, "train", 0)
	r := model.AwakeN(5)
	r.WarmupImages, r.WarmupInh = 0, 1
	spec := runner.EngineSpec{Kind: "event"}
	net := runner.NewNetwork(mnist.Pixels, 5, 1)
	if _, err := runner.Train(context.Background(), net, runner.TrainConfig{Set: set, Count: 10, Seed: 1, Engine: spec, Regime: r}); err != nil {
		t.Fatal(err)
	}
	ev := runner.Evaluator{Engine: spec, Seed: 1, Workers: 1}
	labels, err := ev.Label(context.Background(), net, r, set, nLabel)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := ev.Score(context.Background(), net, r, labels, set.Last(nVal), nVal)
	if err != nil {
		t.Fatal(err)
	}
	if a, want := fmt.Sprintf("%.2f", got["0:1 1 10"][0]), fmt.Sprintf("%.2f", 100*sc.Accuracy); a != want {
		t.Errorf("0:1, seed 1, level 10: awake %s, the Evaluator gives %s", a, want)
	}

	// Refusals.
	labtest.Refuses(t, run, `-warm "x"`, "-warm", "x")
	labtest.Refuses(t, run, `-warm "10:-1"`, "-warm", "10:-1")
	labtest.Refuses(t, run, `-levels "20,10": must be ascending`, "-levels", "20,10")
	labtest.Refuses(t, run, `-levels "0"`, "-levels", "0")
	labtest.Refuses(t, run, "level 59990 reaches into the validation split", "-levels", "59990", "-val", "20")
	labtest.Refuses(t, run, `-seeds "a"`, "-seeds", "a")
	labtest.Refuses(t, run, "-n 0", "-n", "0")
	labtest.Refuses(t, run, "-label 0", "-label", "0")
	labtest.Refuses(t, run, "flag provided but not defined: -train", "-train", "3")
}
