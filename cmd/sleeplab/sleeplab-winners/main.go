// Command sleeplab-winners asks, for each snapshot, what decides which neuron wins an image
// in the frozen network (a research tool, not part of evsim): its receptive field or its
// threshold. It presents the first -images training images as labelling does (plasticity
// and threshold rule off, each image from rest, the labelling spike stream) and, for the
// neuron with the most spikes on each image, reports
//   - the rank of its input drive w_j·x among all neurons (0: the best match), and
//   - the quantile of its threshold θ_j among all neurons (0: the lowest).
//
// A network that selects by receptive field has small drive ranks and winners spread over
// the θ quantiles; one that selects by threshold has winners at the lowest θ whatever
// their match. It gave docs/model.md's section "What limits 6,400 neurons" (seed 1,
// 1,000 images): after 8 passes the 6,400-neuron winner has median drive rank 943 and
// median θ quantile 0.14; after the validated sleep 9 and 0.43; 1,600 neurons after 7
// passes: 4 and 0.41.
//
//	go run ./cmd/sleeplab/sleeplab-winners -images 1000 n6400.snap n6400-slept.snap
//
// One line per snapshot: the path; the neurons that fired at least once; the neurons that
// fired per image (median); the winner's drive rank: share of images where it is the best
// match, in the best 10, median and 90th percentile; the winner's θ quantile at the 10th,
// 50th and 90th percentiles.
package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"sort"
	"sync"

	"github.com/evsim/evsim/cmd/sleeplab/internal/lab"
	"github.com/evsim/evsim/runner"
)

func main() { lab.Main("sleeplab-winners", run) }

func run(args []string, stdout, stderr io.Writer) error {
	cmd := lab.NewCommand("sleeplab-winners", "SNAPSHOT...")
	images := cmd.Flags.Int("images", 1000, "the first N training images, in [1, 60000]")
	if err := cmd.Parse(args, stderr); err != nil {
		return err
	}
	if *images < 1 || *images > 60000 {
		return lab.Usagef("-images %d: must be in [1, 60000]", *images)
	}
	if cmd.Flags.NArg() == 0 {
		return lab.Usagef("give one or more snapshots")
	}
	set, err := lab.Load("train", *images)
	if err != nil {
		return err
	}
	for _, p := range cmd.Flags.Args() {
		sn, err := runner.LoadSnapshot(p)
		if err != nil {
			return err
		}
		w, err := winners(sn, set, *images)
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		fmt.Fprintf(stdout, "%s: %d of %d neurons fired; %d per image (median); winner's drive rank: best %.1f %%, best 10 %.1f %%, median %d, p90 %d; winner's θ quantile: p10 %.2f, median %.2f, p90 %.2f\n",
			p, w.fired, sn.Meta.NExc, w.perImage, 100*w.best, 100*w.best10, w.rankMedian, w.rankP90, w.thetaQ[0], w.thetaQ[1], w.thetaQ[2])
	}
	return nil
}

// result summarizes the winners of one snapshot.
type result struct {
	fired, perImage     int
	best, best10        float64 // shares of images
	rankMedian, rankP90 int
	thetaQ              [3]float64 // the winner's θ quantile at the 10th, 50th and 90th percentiles
}

// winners presents the first n images of set to sn's network frozen, on one core.
func winners(sn *runner.Snapshot, set runner.Dataset, n int) (result, error) {
	net := sn.Net
	N, nIn := net.NExc, net.NIn
	sorted := slices.Clone(net.Theta)
	sort.Float64s(sorted)
	var (
		mu       sync.Mutex
		fired    = make([]bool, N)
		ranks    []int
		thetaQ   []float64
		perImage []int
	)
	drive := make([]float64, N)
	cfg := runner.RespondConfig{Set: set, Count: n, Seed: sn.Meta.Seed, Stream: runner.StreamLabel, Engine: sn.Meta.Engine, Regime: sn.Meta.Regime.Frozen(), Workers: 1,
		Each: func(_, k int, counts []int32) {
			mu.Lock()
			defer mu.Unlock()
			top, firing := -1, 0
			for j, c := range counts {
				if c > 0 {
					firing++
					fired[j] = true
					if top < 0 || c > counts[top] {
						top = j
					}
				}
			}
			perImage = append(perImage, firing)
			if top < 0 {
				return
			}
			clear(drive)
			img := set.Image(k)
			for i := range nIn {
				if p := float64(img[i]); p > 0 {
					for j, x := range net.W[i*N : (i+1)*N] {
						drive[j] += p * float64(x)
					}
				}
			}
			r := 0
			for _, d := range drive {
				if d > drive[top] {
					r++
				}
			}
			ranks = append(ranks, r)
			thetaQ = append(thetaQ, float64(sort.SearchFloat64s(sorted, net.Theta[top]))/float64(N))
		}}
	if _, err := runner.Responses(context.Background(), net, cfg); err != nil {
		return result{}, err
	}
	var res result
	for _, f := range fired {
		if f {
			res.fired++
		}
	}
	sort.Ints(perImage)
	res.perImage = perImage[len(perImage)/2]
	if len(ranks) == 0 {
		return res, fmt.Errorf("no neuron fired on any of the %d images", n)
	}
	sort.Ints(ranks)
	sort.Float64s(thetaQ)
	m := len(ranks)
	for _, r := range ranks {
		if r == 0 {
			res.best++
		}
		if r < 10 {
			res.best10++
		}
	}
	res.best /= float64(m)
	res.best10 /= float64(m)
	res.rankMedian, res.rankP90 = ranks[m/2], ranks[9*m/10]
	res.thetaQ = [3]float64{thetaQ[m/10], thetaQ[m/2], thetaQ[9*m/10]}
	return res, nil
}
