package vec

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"slices"
	"testing"
)

// ref is the definition: each weight widened, each product rounded, then added.
func ref(a, c []float64, w []float32, alpha, beta float64) {
	for k := range w {
		x := float64(w[k])
		p, q := alpha*x, beta*x
		a[k], c[k] = a[k]+p, c[k]+q
	}
}

func randSlice(rng *rand.Rand, n int) []float64 {
	s := make([]float64, n)
	for k := range s {
		// Mixed magnitudes, so that rounding differences would show.
		s[k] = (rng.Float64() - 0.3) * math.Ldexp(1, rng.IntN(40)-20)
	}
	return s
}

// randSlice32 is randSlice rounded to float32 (the weights).
func randSlice32(rng *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for k := range s {
		s[k] = float32((rng.Float64() - 0.3) * math.Ldexp(1, rng.IntN(40)-20))
	}
	return s
}

func same(x, y []float64) bool {
	for k := range x {
		if math.Float64bits(x[k]) != math.Float64bits(y[k]) {
			return false
		}
	}
	return len(x) == len(y)
}

// Both paths equal the definition bit for bit, at every length (every tail) and with
// special values; the untouched elements beyond len(w) stay untouched.
func TestAxpy2BothPaths(t *testing.T) {
	if !hasAVX2 {
		t.Log("no AVX2 on this CPU: only the portable path is tested")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, portable := range []bool{false, true} {
		ForcePortable(portable)
		for n := range 70 {
			w := randSlice32(rng, n)
			if n > 3 {
				w[1], w[2], w[3] = math.SmallestNonzeroFloat32, float32(math.Inf(1)), float32(math.Copysign(0, -1))
			}
			a0, c0 := randSlice(rng, n+3), randSlice(rng, n+3)
			alpha, beta := rng.NormFloat64()*1e3, -rng.Float64()
			wantA, wantC := append([]float64(nil), a0...), append([]float64(nil), c0...)
			ref(wantA, wantC, w, alpha, beta)
			a, c := append([]float64(nil), a0...), append([]float64(nil), c0...)
			Axpy2(a, c, w, alpha, beta)
			if !same(a, wantA) || !same(c, wantC) {
				t.Fatalf("portable=%v n=%d: Axpy2 differs from the definition", portable, n)
			}
			wantA, wantC = append(wantA[:0], a0...), append(wantC[:0], c0...)
			for k := range wantA {
				wantA[k] += alpha
				wantC[k] += beta
			}
			a, c = append(a[:0], a0...), append(c[:0], c0...)
			AddConst2(a, c, alpha, beta)
			if !same(a, wantA) || !same(c, wantC) {
				t.Fatalf("portable=%v n=%d: AddConst2 differs from the definition", portable, n)
			}
		}
	}
	ForcePortable(false)
	if SIMD() != hasAVX2 {
		t.Fatal("ForcePortable(false) did not restore the CPU's choice")
	}
}

// The comparison above can tell a fused multiply-add from a rounded product: the fused
// kernel (measurement only) disagrees with the definition on random data.
// Axpy equals its definition bit for bit on both paths, at every length, and leaves the
// elements beyond len(w) alone.
func TestAxpyBothPaths(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, portable := range []bool{false, true} {
		ForcePortable(portable)
		for n := range 70 {
			w := randSlice32(rng, n)
			a0 := randSlice(rng, n+3)
			alpha := rng.NormFloat64() * 1e3
			want := append([]float64(nil), a0...)
			for k := range w {
				want[k] += float64(alpha * float64(w[k])) // rounded product, then the sum
			}
			a := append([]float64(nil), a0...)
			Axpy(a, w, alpha)
			if !same(a, want) {
				t.Fatalf("portable=%v n=%d: Axpy differs from the definition", portable, n)
			}
		}
	}
	ForcePortable(false)
}

func TestFusedDiffers(t *testing.T) {
	if !hasFMA {
		t.Skip("no FMA on this CPU")
	}
	rng := rand.New(rand.NewPCG(3, 4))
	w, a0, c0 := randSlice32(rng, 1000), randSlice(rng, 1000), randSlice(rng, 1000)
	a, c := append([]float64(nil), a0...), append([]float64(nil), c0...)
	ref(a0, c0, w, 0.1, 0.7)
	axpy2FMA(a, c, w, 0.1, 0.7)
	if same(a, a0) && same(c, c0) {
		t.Fatal("fused and rounded kernels agree on 1000 random values: the exactness test cannot see fusion")
	}
}

func TestLengthPanics(t *testing.T) {
	defer func() {
		if r := recover(); r == nil {
			t.Fatal("Axpy2 with a short a did not panic")
		}
	}()
	Axpy2(make([]float64, 3), make([]float64, 8), make([]float32, 8), 1, 1)
}

// Axpy2Budget equals its definition on both paths, at every length: the fan-out as Axpy2,
// the budget decrement by Units, and the mask bit of every negative budget (the largest
// budgets, weights beyond the cap, zero and negative weights, and budgets that land exactly
// on zero included), with the mask's unused high bits clear and the elements beyond len(w)
// untouched.
func TestAxpy2BudgetBothPaths(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, portable := range []bool{false, true} {
		ForcePortable(portable)
		for n := range 70 {
			w := make([]float32, n)
			for k := range w {
				w[k] = float32(rng.Float64() * math.Ldexp(1, rng.IntN(8)-4))
			}
			if n > 2 {
				w[1] = 0
			}
			if n > 5 {
				w[4] = -0.5 // negative: the budget is left alone
			}
			if n > 9 {
				w[8] = 1e30 // beyond the cap: uses up BudgetMax
			}
			if n > 12 {
				w[11] = float32(math.Copysign(0, -1))
			}
			if n > 20 {
				w[19] = 1e-10 // below one unit: uses up one
			}
			a0, c0 := randSlice(rng, n+3), randSlice(rng, n+3)
			b0 := make([]int32, n+3)
			for k := range b0 {
				switch rng.IntN(5) {
				case 0:
					b0[k] = BudgetMax
				case 1:
					b0[k] = -1
				case 2:
					if k < n {
						b0[k] = Units(w[k]) // lands on exactly 0: not negative
					}
				default:
					b0[k] = BudgetOf(rng.Float64() * 2)
				}
			}
			alpha, beta := rng.NormFloat64()*1e3, -rng.Float64()
			wantA, wantC, wantB := append([]float64(nil), a0...), append([]float64(nil), c0...), append([]int32(nil), b0...)
			ref(wantA, wantC, w, alpha, beta)
			wantM := make([]uint8, (n+7)/8+1)
			for k := range w {
				use := int32(math.Ceil(math.Min(math.Max(float64(w[k]), 0)*(1<<24), 1<<30)))
				if wantB[k] -= use; wantB[k] < 0 {
					wantM[k/8] |= 1 << (k % 8)
				}
			}
			wantM[len(wantM)-1] = 0xAA // beyond (n+7)/8: untouched
			a, c, b := append([]float64(nil), a0...), append([]float64(nil), c0...), append([]int32(nil), b0...)
			m := make([]uint8, len(wantM))
			for k := range m {
				m[k] = 0xFF
			}
			m[len(m)-1] = 0xAA
			Axpy2Budget(a, c, b, w, m, alpha, beta)
			if !same(a, wantA) || !same(c, wantC) || !slices.Equal(b, wantB) {
				t.Fatalf("portable=%v n=%d: Axpy2Budget's arrays differ from the definition", portable, n)
			}
			for k := range m {
				if m[k] != wantM[k] {
					t.Fatalf("portable=%v n=%d: mask byte %d = %08b, want %08b", portable, n, k, m[k], wantM[k])
				}
			}
			// Out of place: the same bits in fresh arrays (their elements beyond len(w)
			// untouched), the sources unchanged.
			a1, c1 := randSlice(rng, n+3), randSlice(rng, n+3)
			b1 := make([]int32, n+3)
			for k := range b1 {
				b1[k] = int32(rng.Uint32())
			}
			tailA, tailC, tailB := slices.Clone(a1[n:]), slices.Clone(c1[n:]), slices.Clone(b1[n:])
			srcA, srcC, srcB := slices.Clone(a0), slices.Clone(c0), slices.Clone(b0)
			for k := range m {
				m[k] = 0xFF // every bit that must be clear, set
			}
			m[len(m)-1] = 0xAA
			Axpy2BudgetTo(a1, c1, b1, srcA, srcC, srcB, w, m, alpha, beta)
			if !same(a1[:n], wantA[:n]) || !same(c1[:n], wantC[:n]) || !slices.Equal(b1[:n], wantB[:n]) {
				t.Fatalf("portable=%v n=%d: Axpy2BudgetTo's arrays differ from Axpy2Budget's", portable, n)
			}
			if !same(a1[n:], tailA) || !same(c1[n:], tailC) || !slices.Equal(b1[n:], tailB) {
				t.Fatalf("portable=%v n=%d: Axpy2BudgetTo wrote beyond len(w)", portable, n)
			}
			if !same(srcA, a0) || !same(srcC, c0) || !slices.Equal(srcB, b0) {
				t.Fatalf("portable=%v n=%d: Axpy2BudgetTo changed its sources", portable, n)
			}
			if !slices.Equal(m, wantM) {
				t.Fatalf("portable=%v n=%d: Axpy2BudgetTo's mask %v, want %v", portable, n, m, wantM)
			}
			// In place (each destination its own source): Axpy2Budget's bits.
			for k := range m {
				m[k] = 0xFF
			}
			m[len(m)-1] = 0xAA
			Axpy2BudgetTo(srcA, srcC, srcB, srcA, srcC, srcB, w, m, alpha, beta)
			if !same(srcA, wantA) || !same(srcC, wantC) || !slices.Equal(srcB, wantB) || !slices.Equal(m, wantM) {
				t.Fatalf("portable=%v n=%d: Axpy2BudgetTo in place differs from Axpy2Budget", portable, n)
			}
		}
	}
	ForcePortable(false)
}

// TestBudgetUnits: an input uses up at least its weight, and a budget is at most what it
// stands for: the rounding is always on the side of examining too early.
func TestBudgetUnits(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for range 100_000 {
		w := float32(rng.Float64() * math.Ldexp(1, rng.IntN(40)-30))
		want := math.Min(float64(w)*BudgetScale, BudgetMax)
		if u := Units(w); float64(u) < want || float64(u) > want+1 {
			t.Fatalf("Units(%g) = %d, want ⌈%g⌉", w, u, want)
		}
		x := rng.Float64() * math.Ldexp(1, rng.IntN(12)-6)
		if b := BudgetOf(x); float64(b) > x*BudgetScale || float64(b) < x*BudgetScale-1 {
			t.Fatalf("BudgetOf(%g) = %d, want ⌊%g⌋", x, b, x*BudgetScale)
		}
	}
	for _, c := range []struct {
		w    float32
		want int32
	}{{0, 0}, {-1, 0}, {float32(math.Copysign(0, -1)), 0}, {1, BudgetScale}, {64, BudgetMax}, {1e30, BudgetMax}, {float32(math.Inf(1)), BudgetMax}, {1e-30, 1}} {
		if got := Units(c.w); got != c.want {
			t.Errorf("Units(%g) = %d, want %d", c.w, got, c.want)
		}
	}
	if BudgetOf(1e9) != BudgetMax || BudgetOf(math.Inf(1)) != BudgetMax || BudgetOf(0) != 0 {
		t.Error("BudgetOf does not cap at BudgetMax or floor at 0")
	}
	if BudgetOf(-1e-3) != 0 || BudgetOf(math.NaN()) != 0 || BudgetOf(math.Inf(-1)) != 0 {
		t.Error("BudgetOf of a negative or NaN gap is not 0 (examine at the next input)")
	}
	if BudgetOf(1-1.0/BudgetScale) != BudgetScale-1 || BudgetOf(1-0.5/BudgetScale) != BudgetScale-1 || BudgetOf(1) != BudgetScale || BudgetOf(1.5/BudgetScale) != 1 {
		t.Error("BudgetOf does not round down")
	}
}

// TestExpIsMathExp: Exp gives math.Exp's bits on both paths, for every length (4-lane body
// and tail) and in place, over the engine's arguments and the whole kernel domain; an
// argument outside it (NaN, ±Inf, overflow, subnormal results) sends the call to math.Exp.
func TestExpIsMathExp(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	draw := func(k int) float64 {
		switch k % 4 {
		case 0:
			return -18 * rng.Float64() // the engine's input factors
		case 1:
			return -0.2 * rng.Float64()
		case 2:
			return 1400 * (rng.Float64() - 0.5)
		}
		return []float64{0, -0, 700, -700, 1e-300, -1e-17, 0.5 * math.Ln2, -0.5 * math.Ln2}[rng.IntN(8)]
	}
	check := func(what string, x []float64) {
		t.Helper()
		want := make([]float64, len(x))
		for k, v := range x {
			want[k] = math.Exp(v)
		}
		for _, portable := range []bool{false, true} {
			ForcePortable(portable)
			got := make([]float64, len(x)+2)
			Exp(got, x)
			in := slices.Clone(x)
			Exp(in, in)
			for k := range x {
				if math.Float64bits(got[k]) != math.Float64bits(want[k]) && !(math.IsNaN(got[k]) && math.IsNaN(want[k])) {
					t.Fatalf("%s, portable=%v: Exp(%v) = %v, math.Exp %v", what, portable, x[k], got[k], want[k])
				}
				if math.Float64bits(in[k]) != math.Float64bits(got[k]) && !math.IsNaN(in[k]) {
					t.Fatalf("%s, portable=%v: in place differs at %v", what, portable, x[k])
				}
			}
		}
		ForcePortable(false)
	}
	for n := range 40 {
		x := make([]float64, n)
		for k := range x {
			x[k] = draw(k)
		}
		check(fmt.Sprintf("n=%d", n), x)
	}
	x := make([]float64, 400_000)
	for k := range x {
		x[k] = draw(k)
	}
	check("400,000 arguments", x)
	for _, bad := range []float64{math.NaN(), math.Inf(1), math.Inf(-1), 710, -745, -1000} {
		check(fmt.Sprintf("with %v", bad), []float64{-1, -2, bad, -3, -4, -5, -6, -7})
	}
}

// expSequence is math/exp_amd64.s's sequence for an argument in [-700, 700], in Go: with
// fused multiply-adds where its FMA branch has them (math.FMA), or with each operation
// rounded.
func expSequence(x float64, fused bool) float64 {
	fma := func(a, b, c float64) float64 {
		if fused {
			return math.FMA(a, b, c)
		}
		return float64(a*b) + c
	}
	tab := expTab[:]
	at := func(k int) float64 { return tab[4*k] }
	k := math.RoundToEven(float64(x * at(0)))
	x = fma(-k, at(1), x)
	x = fma(-k, at(2), x)
	x *= at(3)
	p := at(4)
	for j := 5; j <= 11; j++ {
		p = fma(p, x, at(j))
	}
	x *= p
	for j := range 4 {
		if fused && j == 3 {
			x = math.FMA(x, x+2, 1)
		} else {
			x *= x + 2
		}
	}
	if !fused {
		x += 1
	}
	return x * math.Float64frombits(uint64(int64(k)+1023)<<52)
}

// TestExpKernels: each kernel is the sequence it claims, lane for lane: the fused one is
// math.Exp on this CPU (if it has FMA; TestExpIsMathExp), and so is its Go transcription,
// which shows the transcription right; the plain kernel, which math.Exp takes on CPUs
// without FMA and this CPU may never run, equals the same transcription unfused.
func TestExpKernels(t *testing.T) {
	if !hasAVX2 {
		t.Skip("no AVX2")
	}
	rng := rand.New(rand.NewPCG(11, 12))
	x := make([]float64, 100_000)
	for k := range x {
		if k%2 == 0 {
			x[k] = -18 * rng.Float64()
		} else {
			x[k] = 1400 * (rng.Float64() - 0.5)
		}
	}
	got := make([]float64, len(x))
	expAVX2(got, x, &expTab)
	differ := 0
	for k, v := range x {
		if want := expSequence(v, false); got[k] != want {
			t.Fatalf("plain kernel: exp(%v) = %v, the sequence gives %v", v, got[k], want)
		}
		if got[k] != math.Exp(v) {
			differ++
		}
	}
	if hasFMA {
		expFMA(got, x, &expTab)
		for k, v := range x {
			if want := expSequence(v, true); got[k] != want || want != math.Exp(v) {
				t.Fatalf("fused kernel: exp(%v) = %v, the sequence %v, math.Exp %v", v, got[k], want, math.Exp(v))
			}
		}
		t.Logf("the plain sequence differs from math.Exp's fused one for %d of %d arguments", differ, len(x))
	}
}

// TestExpProbe: the probe that picks Exp's kernel tells the two sequences apart, and the
// kernel it picked gives math.Exp's results; with FMA hidden from golang.org/x/sys/cpu
// (GODEBUG=cpu.fma=off, in a child process), Exp still does.
func TestExpProbe(t *testing.T) {
	if !hasAVX2 {
		t.Skip("no AVX2")
	}
	if hasFMA {
		a, b := make([]float64, len(expProbe)), make([]float64, len(expProbe))
		expAVX2(a, expProbe, &expTab)
		expFMA(b, expProbe, &expTab)
		if len(expProbe)%4 != 0 || slices.Equal(a, b) {
			t.Fatal("the probe is not a multiple of 4 or does not tell the fused kernel from the plain one")
		}
	}
	if expKernel == nil {
		t.Log("no kernel gives math.Exp's results here: Exp calls math.Exp")
	}
	if os.Getenv("EVSIM_EXP_CHILD") != "" {
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run", "^(TestExpIsMathExp|TestExpProbe)$", "-test.count", "1")
	cmd.Env = append(os.Environ(), "GODEBUG=cpu.fma=off", "EVSIM_EXP_CHILD=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("with GODEBUG=cpu.fma=off: %v\n%s", err, out)
	}
}
