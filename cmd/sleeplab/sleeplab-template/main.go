// Command sleeplab-template bounds what thresholds alone can do with a network's weights (a
// research tool, not part of evsim). It replaces the spiking winner-take-all by its
// noise-free limit: the winner for image x is argmax_j (w_j·x - b_j) (optionally divided by
// |w_j|), neurons are labelled by the class they win most often on the labelling images,
// and validation images are classified by the top-1 winner or a vote of the top 5. Biases
// b_j:
//
//   - mean-drive alpha: b_j = alpha·w_j·m, m the mean image (what the sleep threshold rule
//     converges to: θ_j rises until the mean image no longer drives neuron j);
//   - theta k (with -thetak): b_j = k·θ_j, the snapshot's own thresholds;
//   - equal-wins: unsupervised homeostasis, every neuron wins equally often;
//   - supervised-bias (oracle): biases trained on the labelled labelling images.
//
// With -test the scored images are the first -val test images instead of the last -val
// training images.
//
// -gamma first subtracts gamma·0.1·m_i/mean(m) from every weight (clipped at 0): what
// depression-only STDP under the mean image does to an active neuron.
//
// It made the README's noise-free bound (section "Sleep", the table "thresholds b_j", and
// the test-set bound after it) on networks trained without the warm-up, seeds 1-5, labels
// from 10,000 images; -gamma on seed 1, labels from 2,000 images:
//
//	go run ./cmd/evsim -phase train -n 400 -train 1000 -warmup-images 0 -label 0 -seed 1 -out s1.snap
//	go run ./cmd/sleeplab/sleeplab-template -label 10000 s1.snap
//	go run ./cmd/sleeplab/sleeplab-template -label 10000 -test -val 10000 s1.snap
//	go run ./cmd/sleeplab/sleeplab-template -label 2000 -gamma 0.3 s1.snap
//
// One line per snapshot, variant and read-out (top1, top5; with fewer than 5 neurons, a
// vote of all): the path, the variant, the accuracy and the neurons that won on some
// labelling image.
package main

import (
	"fmt"
	"io"
	"math"

	"github.com/evsim/evsim/cmd/sleeplab/internal/lab"
	"github.com/evsim/evsim/runner"
	"github.com/evsim/evsim/runner/mnist"
)

func main() { lab.Main("sleeplab-template", run) }

func run(args []string, stdout, stderr io.Writer) error {
	cmd := lab.NewCommand("sleeplab-template", "SNAPSHOT...")
	fl := cmd.Flags
	nLabel := fl.Int("label", 2000, "labelling images (the first of the training set)")
	nVal := fl.Int("val", 2000, "scored images: the last of the training set (with -test: the first of the test set, 0: all)")
	gamma := fl.Float64("gamma", 0, "subtract gamma·0.1·m_i/mean(m) from every weight first")
	thetaK := fl.Float64("thetak", 0, "drive units per mV of θ (0: skip the θ variants)")
	test := fl.Bool("test", false, "score the first -val test images instead of the last -val training images")
	if err := cmd.Parse(args, stderr); err != nil {
		return err
	}
	set, err := lab.TrainSplit(*nLabel, *nVal)
	if err != nil {
		return err
	}
	valSet := set.Last(*nVal) // the scored images
	if *test {
		if valSet, err = lab.Load("t10k", *nVal); err != nil {
			return err
		}
		*nVal = valSet.Len()
	}
	for _, p := range fl.Args() {
		sn, err := runner.LoadSnapshot(p)
		if err != nil {
			return err
		}
		if sn.Meta.NIn != mnist.Pixels {
			return fmt.Errorf("%s: %d inputs, not MNIST's %d", p, sn.Meta.NIn, mnist.Pixels)
		}
		net := sn.Net
		n, nin := net.NExc, net.NIn
		mean := runner.MeanImage(set, sn.Meta.ImagesSeen)
		if *gamma > 0 {
			// per-pixel mean-image subtraction (what depression-only STDP under the
			// mean image does to an active neuron), clipped at 0
			mbar := 0.0
			for _, v := range mean {
				mbar += v / float64(len(mean))
			}
			net = net.Clone()
			for i := range nin {
				for j := range n {
					k := i*n + j
					net.W[k] = float32(max(float64(net.W[k])-*gamma*0.1*mean[i]/mbar, 0))
				}
			}
		}
		md := make([]float64, n)
		wn := make([]float64, n)
		for i := range nin {
			for j := range n {
				w := float64(net.W[i*n+j])
				md[j] += w * mean[i]
				wn[j] += w * w
			}
		}
		drives := func(src *mnist.Set, k int, dst []float64) {
			clear(dst)
			img := src.Image(k)
			for i, px := range img {
				if px == 0 {
					continue
				}
				row := net.W[i*n : (i+1)*n]
				for j, w := range row {
					dst[j] += float64(w) * float64(px)
				}
			}
		}
		labD := make([][]float64, *nLabel) // drives of the labelling images
		for k := range labD {
			labD[k] = make([]float64, n)
			drives(set, k, labD[k])
		}
		val := make([][]float64, *nVal)
		for k := range val {
			val[k] = make([]float64, n)
			drives(valSet, k, val[k])
		}
		type variant struct {
			name string
			bias []float64
			cos  bool
		}
		var vs []variant
		for _, alpha := range []float64{0, 0.5, 0.8, 0.9, 1, 1.1, 1.2} {
			b := make([]float64, n)
			for j := range b {
				b[j] = alpha * md[j]
			}
			vs = append(vs, variant{fmt.Sprintf("mean-drive alpha %.1f", alpha), b, false})
			vs = append(vs, variant{fmt.Sprintf("mean-drive alpha %.1f cos", alpha), b, true})
		}
		if *thetaK > 0 {
			for _, k := range []float64{0.5, 1, 2, 4} {
				b := make([]float64, n)
				for j := range b {
					b[j] = k * *thetaK * net.Theta[j]
				}
				vs = append(vs, variant{fmt.Sprintf("theta k %.1f", k**thetaK), b, false})
			}
		}
		// unsupervised homeostasis oracle: biases that make every neuron win equally often
		// on the labelling images (top-1)
		{
			b := make([]float64, n)
			for j := range b {
				b[j] = 0.8 * md[j]
			}
			scale := 0.0
			for _, v := range md {
				scale += v / float64(n)
			}
			for it := range 200 {
				wins := make([]float64, n)
				for _, d := range labD {
					best := 0
					for j := range n {
						if d[j]-b[j] > d[best]-b[best] {
							best = j
						}
					}
					wins[best]++
				}
				target := float64(len(labD)) / float64(n)
				eta := 0.02 * scale / (1 + float64(it)/20)
				for j := range n {
					b[j] += eta * (wins[j] - target) / target
				}
			}
			vs = append(vs, variant{"equal-wins", b, false})
		}
		// supervised oracle: biases tuned on the labelling images (LVQ-style on biases only),
		// neuron labels fixed from the mean-drive alpha 0.8 winners
		{
			b := make([]float64, n)
			for j := range b {
				b[j] = 0.8 * md[j]
			}
			wins := make([][10]float64, n)
			for k, d := range labD {
				best := 0
				for j := range n {
					if d[j]-b[j] > d[best]-b[best] {
						best = j
					}
				}
				wins[best][set.Labels[k]]++
			}
			lbl := make([]int, n)
			for j := range n {
				lbl[j] = -1
				bv := 0.0
				for y := range 10 {
					if wins[j][y] > bv {
						bv, lbl[j] = wins[j][y], y
					}
				}
			}
			scale := 0.0
			for _, v := range md {
				scale += v / float64(n)
			}
			for ep := range 30 {
				eta := 0.01 * scale / (1 + float64(ep))
				for k, d := range labD {
					y := int(set.Labels[k])
					best, bestOK := 0, -1
					for j := range n {
						if d[j]-b[j] > d[best]-b[best] {
							best = j
						}
						if lbl[j] == y && (bestOK < 0 || d[j]-b[j] > d[bestOK]-b[bestOK]) {
							bestOK = j
						}
					}
					if lbl[best] != y && bestOK >= 0 {
						b[best] += eta
						b[bestOK] -= eta
					}
				}
			}
			vs = append(vs, variant{"supervised-bias(oracle)", b, false})
		}
		for _, v := range vs {
			mode := v.name
			alpha := 0.0
			{
				for _, topk := range []int{1, min(5, n)} {
					score := func(d []float64, j int) float64 {
						s := d[j] - v.bias[j]
						if v.cos {
							s /= math.Sqrt(wn[j])
						}
						return s
					}
					top := func(d []float64) []int {
						var idx []int
						used := make([]bool, n)
						for range topk {
							b := -1
							for j := range n {
								if !used[j] && (b < 0 || score(d, j) > score(d, b)) {
									b = j
								}
							}
							used[b] = true
							idx = append(idx, b)
						}
						return idx
					}
					wins := make([][10]float64, n)
					var per [10]float64
					for k, d := range labD {
						y := set.Labels[k]
						per[y]++
						for _, j := range top(d) {
							wins[j][y]++
						}
					}
					assign := make([]int, n)
					for j := range n {
						assign[j] = -1
						best := 0.0
						for y := range 10 {
							if v := wins[j][y] / per[y]; v > best {
								best, assign[j] = v, y
							}
						}
					}
					ok, used := 0, 0
					for k, d := range val {
						var votes [10]float64
						for _, j := range top(d) {
							if assign[j] >= 0 {
								votes[assign[j]]++
							}
						}
						b := 0
						for y := range 10 {
							if votes[y] > votes[b] {
								b = y
							}
						}
						if b == int(valSet.Labels[k]) {
							ok++
						}
					}
					for j := range n {
						if assign[j] >= 0 {
							used++
						}
					}
					_ = alpha
					fmt.Fprintf(stdout, "%s %s top%d: %.4f (neurons used %d)\n", p, mode, topk, float64(ok)/float64(*nVal), used)
				}
			}
		}
	}
	return nil
}
