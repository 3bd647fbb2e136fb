package main

import (
	"context"
	"flag"
	"fmt"
	"math"
	"sort"
	"strings"
	"testing"

	"github.com/evsim/evsim/analysis"
	"github.com/evsim/evsim/model"
	"github.com/evsim/evsim/runner"
	"github.com/evsim/evsim/runner/mnist"
)

var (
	inhPeak  = flag.Float64("inh", 14, "")
	nExc     = flag.Int("nexc", 100, "")
	levels   = flag.String("levels", "2000,6000,12000", "")
	tauS     = flag.Float64("taus", 1, "")
	relay    = flag.Float64("relay", 30, "")
	pair     = flag.Bool("pair", false, "")
	excPeak  = flag.Float64("exc", 0.65, "")
	thplus   = flag.Float64("thplus", 0.05, "")
	nuPre    = flag.Float64("nupre", 0.0001, "")
	nuPost   = flag.Float64("nupost", 0.01, "")
	tauTheta = flag.Float64("tautheta", 1e7, "")
	trefE    = flag.Float64("tref", 5, "")
	colSum   = flag.Float64("colsum", 78, "")
	tauPost2 = flag.Float64("taupost2", 40, "")
	seed     = flag.Uint64("seed", 1, "")
	tag      = flag.String("tag", "", "")
	rfs      = flag.Int("rfs", 0, "print this many receptive fields at the end")
	checkDet = flag.Bool("checkdet", false, "compare labelling responses with 1 and 2 workers")
)

func TestExp(t *testing.T) {
	dir, _ := mnist.DefaultDir()
	set, _ := mnist.Load(dir, "train", 0)
	test, _ := mnist.Load(dir, "t10k", 3000)
	r := model.Awake()
	r.TauS = *tauS
	r.JIn = *excPeak / model.PSPPeak(r.Exc.TauM, r.TauS)
	r.JEI = *relay / model.PSPPeak(r.Inh.TauM, r.TauS)
	r.JIE = *inhPeak / model.PSPPeak(r.Exc.TauM, r.TauS)
	r.PairSTDP = *pair
	r.ThetaPlus = *thplus
	r.NuPre, r.NuPost = *nuPre, *nuPost
	r.TauTheta = *tauTheta
	r.Exc.TRef = *trefE
	r.ColumnSum = *colSum
	r.TauPost2 = *tauPost2
	net := runner.NewNetwork(784, *nExc, *seed)
	var lv []int
	for _, f := range strings.Split(*levels, ",") {
		var v int
		fmt.Sscan(f, &v)
		lv = append(lv, v)
	}
	// pixel classes: centre = mean pixel > 60 over the first 5000 images; border = mean < 0.5
	meanPix := make([]float64, 784)
	for k := 0; k < 5000; k++ {
		for i, p := range set.Image(k) {
			meanPix[i] += float64(p) / 5000
		}
	}
	fmt.Printf("RUN %s flags: exc=%v inh=%v relay=%v taus=%v pair=%v thplus=%v nupre=%v nupost=%v tautheta=%v tref=%v colsum=%v taupost2=%v n=%d seed=%d\n",
		*tag, *excPeak, *inhPeak, *relay, *tauS, *pair, *thplus, *nuPre, *nuPost, *tauTheta, *trefE, *colSum, *tauPost2, *nExc, *seed)
	seen := 0
	spec := runner.EngineSpec{Kind: "event"}
	th0 := make([]float64, *nExc)
	for _, L := range lv {
		var st runner.TrainStats
		// train image by image to measure per-image activity from θ increments
		var distinct, share, nimg float64
		chunk := 1
		if *thplus <= 0 {
			chunk = L - seen
		}
		for seen < L {
			copy(th0, net.Theta)
			s, err := runner.Train(context.Background(), net, runner.TrainConfig{Set: set, Start: seen, Count: chunk, Seed: 1, Engine: spec, Regime: r})
			if err != nil {
				t.Fatal(err)
			}
			seen += chunk
			st.Images += s.Images
			st.Presentations += s.Presentations
			st.Spikes += s.Spikes
			st.GaveUp += s.GaveUp
			st.MaxIntensity = max(st.MaxIntensity, s.MaxIntensity)
			if chunk == 1 {
				d, tot, mx := 0, 0.0, 0.0
				for j := range net.Theta {
					c := math.Round((net.Theta[j] - th0[j]) / *thplus)
					if c > 0 {
						d++
						tot += c
						mx = max(mx, c)
					}
				}
				if tot > 0 {
					distinct += float64(d)
					share += mx / tot
					nimg++
				}
			}
		}
		cnt, _ := runner.Responses(context.Background(), net, runner.RespondConfig{Set: set, Count: 5000, Seed: 1, Stream: runner.StreamLabel, Engine: spec, Regime: r.Frozen()})
		lab, _ := analysis.Assign(cnt, set.Labels[:5000], 10)
		tc, _ := runner.Responses(context.Background(), net, runner.RespondConfig{Set: test, Count: 3000, Seed: 1, Stream: runner.StreamTest, Engine: spec, Regime: r.Frozen()})
		sc := analysis.Evaluate(tc, test.Labels, lab)
		// the same with θ held constant during the frozen presentations (workaround: the
		// engines decay θ with τθ even when AdaptTheta is off, so each worker's clone drifts)
		rf := r.Frozen()
		rf.TauTheta = math.Inf(1)
		cntF, _ := runner.Responses(context.Background(), net, runner.RespondConfig{Set: set, Count: 5000, Seed: 1, Stream: runner.StreamLabel, Engine: spec, Regime: rf})
		labF, _ := analysis.Assign(cntF, set.Labels[:5000], 10)
		tcF, _ := runner.Responses(context.Background(), net, runner.RespondConfig{Set: test, Count: 3000, Seed: 1, Stream: runner.StreamTest, Engine: spec, Regime: rf})
		scF := analysis.Evaluate(tcF, test.Labels, labF)
		if *checkDet {
			c1, _ := runner.Responses(context.Background(), net, runner.RespondConfig{Set: set, Count: 5000, Seed: 1, Stream: runner.StreamLabel, Engine: spec, Regime: r.Frozen(), Workers: 1})
			c2, _ := runner.Responses(context.Background(), net, runner.RespondConfig{Set: set, Count: 5000, Seed: 1, Stream: runner.StreamLabel, Engine: spec, Regime: r.Frozen(), Workers: 2})
			diff, diffF, s1, s2 := 0, 0, 0, 0
			for k := range c1 {
				for j := range c1[k] {
					s1 += int(c1[k][j])
					s2 += int(c2[k][j])
					if c1[k][j] != c2[k][j] {
						diff++
						break
					}
				}
				for j := range c1[k] {
					if c1[k][j] != cnt[k][j] {
						diffF++
						break
					}
				}
			}
			fmt.Printf("CHECKDET images differing 1 vs 2 workers: %d/5000 (total spikes %d vs %d); 1 worker vs first run: %d\n", diff, s1, s2, diffF)
		}
		// frozen response stats (test set)
		var fsp, fdist, fshare float64
		for _, c := range tc {
			d, tot, mx := 0, 0.0, 0.0
			for _, v := range c {
				if v > 0 {
					d++
					tot += float64(v)
					mx = max(mx, float64(v))
				}
			}
			fsp += tot
			fdist += float64(d)
			if tot > 0 {
				fshare += mx / tot
			}
		}
		nt := float64(len(tc))
		// receptive fields: centre/border weight ratio, fraction of weights near 0 / 1
		var cen, bor, ncen, nbor, w0, w1 float64
		for i := 0; i < 784; i++ {
			for j := 0; j < *nExc; j++ {
				w := net.W[i**nExc+j]
				if meanPix[i] > 60 {
					cen += w
					ncen++
				} else if meanPix[i] < 0.5 {
					bor += w
					nbor++
				}
				if w < 0.01 {
					w0++
				}
				if w > 0.9 {
					w1++
				}
			}
		}
		hist := make([]int, 11)
		for _, l := range lab {
			if l >= 0 && l < 10 {
				hist[l]++
			} else {
				hist[10]++
			}
		}
		th := append([]float64(nil), net.Theta...)
		sort.Float64s(th)
		nw := float64(784 * *nExc)
		fmt.Printf("%s n=%d images=%d accfix=%.3f\n", *tag, *nExc, L, scF.Accuracy)
		fmt.Printf("%s n=%d images=%d acc=%.3f pres/img=%.2f spikes/img=%.1f maxint=%v gaveup=%d theta=%.1f [%.1f %.1f %.1f] | train: distinct=%.1f topshare=%.2f | frozen: spikes=%.1f distinct=%.1f topshare=%.2f | W: cen/bor=%.2f w<.01=%.2f w>.9=%.3f | labels %v\n",
			*tag, *nExc, L, sc.Accuracy, float64(st.Presentations)/float64(st.Images), float64(st.Spikes)/float64(st.Images), st.MaxIntensity, st.GaveUp, mean(net.Theta), th[0], th[len(th)/2], th[len(th)-1],
			distinct/max(nimg, 1), share/max(nimg, 1), fsp/nt, fdist/nt, fshare/nt, (cen/ncen)/(bor/nbor), w0/nw, w1/nw, hist)
	}
	for j := 0; j < min(*rfs, *nExc); j++ {
		mx := 0.0
		for i := 0; i < 784; i++ {
			mx = max(mx, net.W[i**nExc+j])
		}
		fmt.Printf("neuron %d theta %.1f maxw %.3f\n", j, net.Theta[j], mx)
		for y := 0; y < 28; y += 2 {
			line := ""
			for x := 0; x < 28; x++ {
				w := net.W[(y*28+x)**nExc+j]
				line += string(" .:-=+*#%@"[min(9, int(w/mx*9.99))])
			}
			fmt.Println(line)
		}
	}
}
