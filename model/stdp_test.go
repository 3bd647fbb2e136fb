package model

import (
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"sort"
	"testing"
)

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-12*(1+math.Abs(b)) }

// near32 reports whether a stored weight is b rounded to float32 (within one rounding).
func near32(a float32, b float64) bool { return math.Abs(float64(a)-b) <= 0x1p-24*math.Abs(b)+1e-45 }

// ws converts float64 literals to a weight slice.
func ws(v ...float64) []float32 {
	out := make([]float32, len(v))
	for k, x := range v {
		out[k] = float32(x)
	}
	return out
}

// TestSTDPHandComputed checks the Diehl & Cook rule on cases worked out by hand.
func TestSTDPHandComputed(t *testing.T) {
	r := Awake()
	net := NewNetwork(2, 2, rand.New(rand.NewPCG(1, 1)))
	copy(net.W, ws(0.5, 0.5, 0.5, 0.999))
	net.WeightsChanged()

	// Post neuron 1 spiked at t = 10; input 0 spikes at t = 30: depression by
	// NuPre·e^{-20/20} = 1e-4·0.367879441... on w[0][1] only (neuron 0 is not in the set).
	net.LastPost[1] = 10
	r.Depress(net, 0, 30, []int32{1})
	if want := 0.5 - 1e-4*math.Exp(-1); !near32(net.W[1], want) || net.W[0] != 0.5 {
		t.Fatalf("after depression W = %v, want w01 = %v and w00 untouched", net.W, want)
	}

	// Neuron 1 spikes again at t = 50 (previous spike at 10: post2 = e^{-40/40}); input 0 last
	// spiked at 30 (pre = e^{-20/20}), input 1 at 45 (pre = e^{-5/20}).
	net.LastPre[0], net.LastPre[1] = 30, 45
	w01, w11 := float64(net.W[1]), float64(net.W[3])
	r.Potentiate(net, 1, 50, []int32{0, 1})
	post2 := math.Exp(-1)
	if want := w01 + 0.01*math.Exp(-1)*post2; !near32(net.W[1], want) {
		t.Fatalf("w01 = %v, want %v", net.W[1], want)
	}
	if net.W[3] != 1 || w11+0.01*math.Exp(-0.25)*post2 < 1 {
		t.Fatalf("w11 = %v, want clipped at WMax = 1", net.W[3])
	}

	// A first spike (no earlier post spike) potentiates nothing: post2 = 0.
	before := net.W[0]
	r.Potentiate(net, 0, 50, []int32{0, 1})
	if net.W[0] != before {
		t.Fatalf("first spike changed w00: %v -> %v", before, net.W[0])
	}

	// Depression clips at 0.
	net.W[2] = 1e-6
	net.LastPost[0] = 49.9
	r.Depress(net, 1, 50, []int32{0})
	if net.W[2] != 0 {
		t.Fatalf("w10 = %v, want clipped at 0", net.W[2])
	}

	// Traces below the cut count as zero: 20·ln(1e6) ≈ 276 ms.
	if Trace(300, 0, 20, 1e-6) != 0 || Trace(270, 0, 20, 1e-6) == 0 {
		t.Fatal("trace cut misplaced")
	}
}

func TestNormalizeColumns(t *testing.T) {
	net := NewNetwork(784, 30, rand.New(rand.NewPCG(2, 2)))
	net.W[5] = 0 // a column can hold zeros
	net.NormalizeColumns(78, nil)
	for j := range 30 {
		s := 0.0
		for i := range 784 {
			s += float64(net.W[i*30+j])
		}
		if math.Abs(s-78) > 78*0x1p-23 {
			t.Fatalf("column %d sums to %v, want 78", j, s)
		}
	}
}

// TestNormalizeChangedColumns: after STDP, normalizing only the columns the rule touched
// gives, bit for bit, what a full pass gives (a resumed run does the full pass), and a
// second normalization changes nothing. Direct writes announced by WeightsChanged and a
// new target are normalized in full.
func TestNormalizeChangedColumns(t *testing.T) {
	const nIn, nExc = 50, 12
	r := Awake()
	rng := rand.New(rand.NewPCG(4, 4))
	net := NewNetwork(nIn, nExc, rng)
	net.NormalizeColumns(78, nil)
	for round := range 20 {
		// A few neurons spike and a few inputs spike around them.
		before := append([]float32(nil), net.W...)
		tm := float64(round * 10)
		for range 3 {
			j := rng.IntN(nExc)
			pres := []int32{int32(rng.IntN(nIn)), int32(rng.IntN(nIn))}
			for _, i := range pres {
				net.LastPre[i] = tm - rng.Float64()*5
			}
			r.Potentiate(net, j, tm, pres)
			net.LastPost[j] = tm
		}
		r.Depress(net, rng.IntN(nIn), tm+1, []int32{0, 1})
		touched := map[int]bool{}
		for k := range before {
			if net.W[k] != before[k] {
				touched[k%nExc] = true
			}
		}
		if round > 2 && len(touched) == 0 {
			t.Fatalf("round %d: the rule changed no weight: the test exercises nothing", round)
		}
		full := net.Clone()
		full.WeightsChanged()
		full.NormalizeColumns(78, nil)
		net.NormalizeColumns(78, nil)
		for j := range nExc {
			s := 0.0
			for i := range nIn {
				w, f := net.W[i*nExc+j], full.W[i*nExc+j]
				if w != f {
					t.Fatalf("round %d: column %d (touched %v) differs from the full pass: %v vs %v", round, j, touched[j], w, f)
				}
				s += float64(w)
			}
			// A column that STDP moved by less than NormalizeTol is left alone, so the
			// contract here is the tolerance; a rescaled column (the other tests) lands
			// within the float32 rounding, 2^-24, of the target.
			if math.Abs(s-78) > 78*NormalizeTol {
				t.Fatalf("round %d: column %d sums to %v", round, j, s)
			}
		}
	}
	again := net.Clone()
	again.WeightsChanged()
	again.NormalizeColumns(78, nil)
	if !reflect.DeepEqual(again.W, net.W) {
		t.Fatal("normalizing a normalized network changed it")
	}
	// A direct write, announced, is normalized even though no STDP touched it.
	net.W[3*nExc+5] += 10
	net.WeightsChanged()
	net.NormalizeColumns(78, nil)
	s := 0.0
	for i := range nIn {
		s += float64(net.W[i*nExc+5])
	}
	if math.Abs(s-78) > 78*0x1p-23 {
		t.Fatalf("after WeightsChanged column 5 sums to %v, want 78", s)
	}
	// A new target rescales every column.
	net.NormalizeColumns(39, nil)
	for j := range nExc {
		s := 0.0
		for i := range nIn {
			s += float64(net.W[i*nExc+j])
		}
		if math.Abs(s-39) > 39*0x1p-23 {
			t.Fatalf("after a new target column %d sums to %v, want 39", j, s)
		}
	}
}

func TestActiveSet(t *testing.T) {
	var a ActiveSet
	a.Reset(5)
	last := []float64{0, 10, 20, 30, 40}
	for _, k := range []int{3, 1, 3, 4} {
		a.Add(k)
	}
	if got := a.Members(); len(got) != 3 {
		t.Fatalf("members %v, want 3 distinct", got)
	}
	a.Prune(last, 45, 20) // keeps spikes within 20 ms of 45: 30, 40
	if got := a.Members(); len(got) != 2 || got[0] != 3 || got[1] != 4 {
		t.Fatalf("after prune %v, want [3 4]", got)
	}
	a.Add(1) // pruned members can come back
	if len(a.Members()) != 3 {
		t.Fatal("re-adding a pruned member failed")
	}

	// With AddAt the set knows its oldest member's spike and skips passes that could drop
	// nothing, but never one that could: member 0 (spike at 0) goes at 20+, not before.
	var b ActiveSet
	b.Reset(5)
	last = []float64{0, 5, 10, 15, 20}
	for k := range last {
		b.AddAt(k, last[k])
	}
	b.Prune(last, 20, 20)
	if len(b.Members()) != 5 {
		t.Fatalf("pruned %v at the horizon", b.Members())
	}
	b.Prune(last, 25.5, 20) // spikes at 0 and 5 are more than 20 ms old
	if got := b.Members(); !slices.Equal(got, []int32{2, 3, 4}) {
		t.Fatalf("after prune %v, want [2 3 4]", got)
	}
	last[2] = 25 // member 2 spikes again: its spike moves forward
	b.Prune(last, 35.5, 20)
	if got := b.Members(); !slices.Equal(got, []int32{2, 4}) {
		t.Fatalf("after prune %v, want [2 4]", got)
	}
	// A plain Add makes the next Prune look at every member again.
	last[0] = -100
	b.Add(0)
	b.Prune(last, 36, 20)
	if got := b.Members(); !slices.Equal(got, []int32{2, 4}) {
		t.Fatalf("after Add and prune %v, want [2 4]", got)
	}
}

// TestPoisson: counts per input match rate·duration (a z-test per input, seeded), the
// output is sorted, and the same seed reproduces the train exactly.
func TestPoisson(t *testing.T) {
	rates := []float64{0, 5, 20, 63.75}
	const dur = 200000.0 // ms
	rng := rand.New(rand.NewPCG(9, 9))
	ins, _ := Poisson(nil, nil, rates, dur, rng)
	counts := make([]float64, len(rates))
	for k, s := range ins {
		counts[s.Idx]++
		if k > 0 && !(ins[k-1].T < s.T || (ins[k-1].T == s.T && ins[k-1].Idx < s.Idx)) {
			t.Fatalf("spike %d out of order", k)
		}
	}
	for i, r := range rates {
		mean := r * dur / 1000
		if z := (counts[i] - mean) / math.Sqrt(max(mean, 1)); math.Abs(z) > 4 {
			t.Errorf("input %d: %v spikes, expected %v (z = %.1f)", i, counts[i], mean, z)
		}
	}
	again, _ := Poisson(nil, nil, rates, dur, rand.New(rand.NewPCG(9, 9)))
	if len(again) != len(ins) || again[len(ins)/2] != ins[len(ins)/2] {
		t.Fatal("same seed, different train")
	}
	tr := Trial{Inputs: ins, Duration: dur}
	if err := tr.Check(len(rates)); err != nil {
		t.Fatal(err)
	}
}

// TestPoissonMatchesLinearScan: the search over active inputs picks, spike for spike, the
// input that the definition picks (the first input whose cumulative rate exceeds the draw,
// scanning every input), on rates with many silent inputs as in MNIST.
func TestPoissonMatchesLinearScan(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	for trial := range 50 {
		rates := make([]float64, 1+rng.IntN(800))
		for i := range rates {
			if rng.Float64() < 0.2 {
				rates[i] = float64(rng.IntN(256)) / 8 * 2
			}
		}
		got, _ := Poisson(nil, nil, rates, 350, rand.New(rand.NewPCG(uint64(trial), 1)))
		// The definition, drawing from the same stream.
		r := rand.New(rand.NewPCG(uint64(trial), 1))
		total := 0.0
		for _, x := range rates {
			total += x
		}
		var want []InputSpike
		for tm := 0.0; total > 0; {
			tm += r.ExpFloat64() / (total / 1000)
			if tm >= 350 {
				break
			}
			u, c, pick := r.Float64()*total, 0.0, -1
			for i, x := range rates {
				c += x
				if x > 0 {
					pick = i
					if c > u {
						break
					}
				}
			}
			want = append(want, InputSpike{T: tm, Idx: int32(pick)})
		}
		if !reflect.DeepEqual(got, want) && !(len(got) == 0 && len(want) == 0) {
			t.Fatalf("trial %d: %d spikes, definition %d; they differ", trial, len(got), len(want))
		}
	}
}

func TestValidate(t *testing.T) {
	if err := Awake().Validate(); err != nil {
		t.Fatal(err)
	}
	bad := []func(*Regime){
		func(r *Regime) { r.TauS = 0 },
		func(r *Regime) { r.TauS = math.NaN() },
		func(r *Regime) { r.Exc.TauM = r.TauS },
		func(r *Regime) { r.JIn = -1 },
		func(r *Regime) { r.Exc.VThresh = r.Exc.VRest - 1 },
		func(r *Regime) { r.Inh.VReset = r.Inh.VThresh },
		func(r *Regime) { r.TraceCut = 0 },
		func(r *Regime) { r.TauTheta = 0 },
		func(r *Regime) { r.WMax = math.Inf(1) },
		func(r *Regime) { r.WMax = 1e39 },      // finite, but no float32 weight can hold it
		func(r *Regime) { r.ColumnSum = 1e39 }, // likewise
	}
	for k, f := range bad {
		r := Awake()
		f(&r)
		if r.Validate() == nil {
			t.Errorf("bad regime %d accepted", k)
		}
	}
}

// TestSleepDiffersOnlyByItsChanges: the sleep regime is the awake one with exactly the
// fields that SleepChanges names changed, and nothing else.
func TestSleepDiffersOnlyByItsChanges(t *testing.T) {
	a := AwakeN(400)
	c := SleepChanges{LeakScale: 2, ExcGain: 3, InhScale: 0.5, STDP: false, Threshold: true}.AsAwakeRates()
	s := Sleep(a, c)
	want := map[string]bool{"Name": true, "Exc.TauM": true, "JIn": true, "JIE": true, "Plastic": true, "ColumnSum": true}
	scaled := c
	scaled.PotScale, scaled.DepScale, scaled.ThetaPlusScale = 0.5, 4, 0.25
	if r := Sleep(a, scaled); r.NuPost != a.NuPost*0.5 || r.NuPre != a.NuPre*4 || r.ThetaPlus != a.ThetaPlus*0.25 {
		t.Fatalf("scaled rates not applied: NuPost %v NuPre %v ThetaPlus %v", r.NuPost, r.NuPre, r.ThetaPlus)
	}
	var diff func(prefix string, x, y reflect.Value)
	diff = func(prefix string, x, y reflect.Value) {
		for i := range x.NumField() {
			name := prefix + x.Type().Field(i).Name
			fx, fy := x.Field(i), y.Field(i)
			if fx.Kind() == reflect.Struct {
				diff(name+".", fx, fy)
				continue
			}
			changed := !reflect.DeepEqual(fx.Interface(), fy.Interface())
			if changed != want[name] {
				t.Errorf("%s: changed = %v (awake %v, sleep %v), want changed = %v", name, changed, fx, fy, want[name])
			}
		}
	}
	diff("", reflect.ValueOf(a), reflect.ValueOf(s))
	if s.Exc.TauM != a.Exc.TauM/2 || s.JIn != 3*a.JIn || s.JIE != a.JIE/2 || s.Plastic || !s.AdaptTheta || s.ColumnSum != 0 {
		t.Fatalf("sleep regime %+v does not apply the changes %+v", s, c)
	}
}

// TestWarmupForImage: ForImage scales JIE for positions before WarmupImages only, and
// Validate refuses a negative warm-up or scale.
func TestWarmupForImage(t *testing.T) {
	r := Awake()
	r.WarmupImages, r.WarmupInh = 3, 0.25
	for pos, want := range []float64{0.25, 0.25, 0.25, 1, 1} {
		got := r.ForImage(pos)
		if got.JIE != r.JIE*want {
			t.Errorf("image %d: JIE %v, want %v", pos, got.JIE, r.JIE*want)
		}
		got.JIE = r.JIE
		if got != r {
			t.Errorf("image %d: ForImage changed more than JIE", pos)
		}
	}
	p := Awake()
	p.WarmupImages = 0
	if p.ForImage(0) != p {
		t.Error("no warm-up: ForImage(0) changed the regime")
	}
	for _, f := range []func(*Regime){
		func(r *Regime) { r.WarmupImages = -1 },
		func(r *Regime) { r.WarmupImages, r.WarmupInh = 5, -0.5 },
		func(r *Regime) { r.WarmupImages, r.WarmupInh = 5, math.NaN() },
	} {
		r := Awake()
		f(&r)
		if r.Validate() == nil {
			t.Errorf("bad warm-up %d/%v accepted", r.WarmupImages, r.WarmupInh)
		}
	}
}

// poissonBisect is Poisson as it was before the guide table: a binary search per spike.
// TestPoissonGuideExact holds the table to it, spike for spike.
func poissonBisect(rates []float64, dur float64, rng *rand.Rand) []InputSpike {
	var dst []InputSpike
	cum := make([]float64, len(rates))
	total := 0.0
	for i, r := range rates {
		total += r
		cum[i] = total
	}
	if total == 0 {
		return dst
	}
	perMS := total / 1000
	t := 0.0
	for {
		t += rng.ExpFloat64() / perMS
		if t >= dur {
			break
		}
		u := rng.Float64() * total
		i := sort.SearchFloat64s(cum, u)
		for i < len(cum)-1 && (cum[i] <= u || rates[i] == 0) {
			i++
		}
		if n := len(dst); n > 0 && dst[n-1].T == t && dst[n-1].Idx >= int32(i) {
			continue
		}
		dst = append(dst, InputSpike{T: t, Idx: int32(i)})
	}
	return dst
}

// The guide table draws exactly the spikes of the binary search it replaced, for sparse
// (MNIST-like), dense, single-input, tiny-and-huge and zero-ended rate vectors, reusing the
// scratch between calls of different lengths.
func TestPoissonGuideExact(t *testing.T) {
	gen := rand.New(rand.NewPCG(5, 6))
	var scratch []float64
	var got []InputSpike
	for c := range 60 {
		n := 1 + gen.IntN(900)
		rates := make([]float64, n)
		for i := range rates {
			switch {
			case c%4 == 0 && gen.IntN(5) > 0: // sparse: most inputs silent
			case c%4 == 1:
				rates[i] = float64(gen.IntN(256)) / 8 * 2
			case c%4 == 2:
				rates[i] = math.Ldexp(gen.Float64(), gen.IntN(36)-30) // up to 64 Hz
			default:
				rates[i] = float64(gen.IntN(3)) * 31.875
			}
		}
		if c%7 == 0 {
			clear(rates)
			rates[gen.IntN(n)] = 63.75
		}
		if c%5 == 0 {
			rates[n-1] = 0
		}
		want := poissonBisect(rates, 500, rand.New(rand.NewPCG(uint64(c), 7)))
		got, scratch = Poisson(got, scratch, rates, 500, rand.New(rand.NewPCG(uint64(c), 7)))
		if len(got) != len(want) {
			t.Fatalf("case %d (n %d): %d spikes, want %d", c, n, len(got), len(want))
		}
		for k := range got {
			if got[k] != want[k] {
				t.Fatalf("case %d (n %d): spike %d = %+v, want %+v", c, n, k, got[k], want[k])
			}
		}
	}
}

// TestAwakeNScaling: θ+ grows linearly up to 1,600 neurons, then stays while τθ grows as
// √(N/1600) (Diehl & Cook's values at 100 neurons and below; 0.8 mV and 2·10^7 ms at 6,400,
// the setting measured there), and the level θ settles at, θ+·τθ, never falls with N.
func TestAwakeNScaling(t *testing.T) {
	for _, c := range []struct {
		n         int
		tp, tauTh float64
	}{{1, 0.05, 1e7}, {100, 0.05, 1e7}, {400, 0.2, 1e7}, {1600, 0.8, 1e7}, {6400, 0.8, 2e7}, {25600, 0.8, 4e7}} {
		r := AwakeN(c.n)
		if !near(r.ThetaPlus, c.tp) || !near(r.TauTheta, c.tauTh) {
			t.Errorf("AwakeN(%d): θ+ %v mV, τθ %v ms; want %v, %v", c.n, r.ThetaPlus, r.TauTheta, c.tp, c.tauTh)
		}
		if err := r.Validate(); err != nil {
			t.Errorf("AwakeN(%d): %v", c.n, err)
		}
	}
	prev := 0.0
	for n := 1; n <= 20000; n += 97 {
		r := AwakeN(n)
		level := r.ThetaPlus * r.TauTheta
		if level < prev {
			t.Fatalf("θ+·τθ falls from %v to %v at %d neurons", prev, level, n)
		}
		prev = level
		r.ThetaPlus, r.TauTheta = Awake().ThetaPlus, Awake().TauTheta
		if !reflect.DeepEqual(r, Awake()) {
			t.Fatalf("AwakeN(%d) changes more than θ+ and τθ", n)
		}
	}
}
