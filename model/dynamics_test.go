package model

import (
	"math"
	"math/rand/v2"
	"testing"
)

// rk4 integrates du/dt = (-u+I)/τm, dI/dt = -I/τs over h with steps of at most step ms.
func rk4(k *Kernel, u, i, h, step float64) (float64, float64) {
	n := int(math.Ceil(h / step))
	if n == 0 {
		return u, i
	}
	dt := h / float64(n)
	f := func(u, i float64) (float64, float64) { return (-u + i) / k.TauM, -i / k.TauS }
	for range n {
		k1u, k1i := f(u, i)
		k2u, k2i := f(u+dt/2*k1u, i+dt/2*k1i)
		k3u, k3i := f(u+dt/2*k2u, i+dt/2*k2i)
		k4u, k4i := f(u+dt*k3u, i+dt*k3i)
		u += dt / 6 * (k1u + 2*k2u + 2*k3u + k4u)
		i += dt / 6 * (k1i + 2*k2i + 2*k3i + k4i)
	}
	return u, i
}

func randomKernel(rng *rand.Rand) Kernel {
	r := Awake()
	l := r.Exc
	if rng.IntN(2) == 0 {
		l = r.Inh
	}
	tauS := []float64{0.5, 1, 2, 5}[rng.IntN(4)]
	tauTheta := []float64{math.Inf(1), 1e7, 30}[rng.IntN(3)]
	return NewKernel(l, tauS, tauTheta)
}

// TestAdvanceMatchesRK4: the closed form agrees with RK4 at a 1 µs step to 1e-9 relative,
// with and without a refractory clamp inside the interval.
func TestAdvanceMatchesRK4(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 1))
	cases := 3000
	if testing.Short() {
		cases = 500
	}
	worst := 0.0
	for c := range cases {
		k := randomKernel(rng)
		u0 := -60 + 90*rng.Float64()
		i0 := -3000 + 6000*rng.Float64()
		h := 5 * rng.Float64()
		refEnd := -1.0
		if c%3 == 0 {
			refEnd = h * rng.Float64()
		}
		u, i := k.Advance(u0, i0, 0, h, refEnd)
		var ru, ri float64
		if refEnd > 0 {
			_, ri1 := rk4(&k, u0, i0, refEnd, 1e-3)
			ru, ri = rk4(&k, k.UReset, ri1, h-refEnd, 1e-3)
		} else {
			ru, ri = rk4(&k, u0, i0, h, 1e-3)
		}
		scale := math.Abs(u0) + math.Abs(i0)*k.Kappa + 1
		eu := math.Abs(u-ru) / (math.Abs(ru) + scale)
		ei := math.Abs(i-ri) / (math.Abs(ri) + math.Abs(i0))
		worst = max(worst, eu, ei)
		if eu > 1e-9 || ei > 1e-9 {
			t.Fatalf("case %d: Advance(%v, %v, 0, %v, %v) = (%v, %v), RK4 (%v, %v): relative error %g, %g",
				c, u0, i0, h, refEnd, u, i, ru, ri, eu, ei)
		}
	}
	t.Logf("%d cases, worst relative error vs RK4 at 1 µs: %.2e", cases, worst)
}

// gap is the threshold gap f(s) of Kernel.Crossing, written out independently.
func gap(k *Kernel, u, i, theta, s float64) float64 {
	v := u*math.Exp(-s/k.TauM) + i*k.Kappa*(math.Exp(-s/k.TauM)-math.Exp(-s/k.TauS))
	return v - k.D - k.ThetaAt(theta, s)
}

// TestCrossingMatchesGridScan: over random states, the predictor finds every crossing a
// 1 µs grid scan finds, within 1e-6 ms of the bisected root; any crossing the grid misses
// (a window narrower than the grid) is shown to exist.
func TestCrossingMatchesGridScan(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(2, 2))
	cases := 100000
	if testing.Short() {
		cases = 10000
	}
	const step = 1e-3
	var found, between, none int
	for c := range cases {
		k := randomKernel(rng)
		theta := 5 * rng.Float64()
		u := k.D + theta - 4*rng.Float64()
		i := -100 + 1500*rng.Float64()
		if k.TauM < 50 {
			i /= 10
		}
		h := 2 * rng.Float64()
		s, ok := k.Crossing(u, i, theta, 0, h)
		// Grid scan.
		n := int(h / step)
		kc := -1
		for g := 0; g <= n; g++ {
			if gap(&k, u, i, theta, float64(g)*step) >= 0 {
				kc = g
				break
			}
		}
		if kc < 0 && gap(&k, u, i, theta, h) >= 0 {
			kc = n + 1 // between the last grid point and h
		}
		switch {
		case kc == 0:
			if !ok || s != 0 {
				t.Fatalf("case %d: above threshold at 0 but Crossing = (%v, %v)", c, s, ok)
			}
			found++
		case kc > 0:
			lo, hi := float64(kc-1)*step, min(float64(kc)*step, h)
			for range 200 { // the reference root by bisection
				m := 0.5 * (lo + hi)
				if gap(&k, u, i, theta, m) >= 0 {
					hi = m
				} else {
					lo = m
				}
			}
			if !ok {
				t.Fatalf("case %d: grid finds a crossing near %v, Crossing finds none (u=%v I=%v θ=%v k=%+v)", c, hi, u, i, theta, k)
			}
			if math.Abs(s-hi) > 1e-6 {
				t.Fatalf("case %d: Crossing = %v, bisection %v: off by %g ms", c, s, hi, s-hi)
			}
			found++
		case ok:
			// Only a window narrower than the grid may be missed by it: show it is real.
			scale := math.Abs(u) + math.Abs(i)*k.Kappa + k.D + theta
			if g := gap(&k, u, i, theta, s); g < -1e-12*scale {
				t.Fatalf("case %d: Crossing reports %v where the gap is %g", c, s, g)
			}
			between++
		default:
			none++
		}
	}
	t.Logf("%d states: %d crossings found by both, %d only between grid points (verified), %d without crossing", cases, found, between, none)
	if found < cases/10 || none < cases/10 {
		t.Fatalf("the random states do not exercise both outcomes: %d found, %d none", found, none)
	}
}

// TestCrossingNearTangent: threshold placed ε below or above the membrane's peak. Below,
// the crossing must be found (the window is as narrow as sqrt(ε)); above, none reported.
func TestCrossingNearTangent(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(3, 3))
	for c := range 20000 {
		k := NewKernel(Awake().Exc, 1, math.Inf(1))
		u := -5 + 10*rng.Float64()
		i := 50 + 500*rng.Float64()
		// Peak of u(s) = A e^{-s/τm} + B e^{-s/τs} with A = u+κI, B = -κI.
		A, B := u+k.Kappa*i, -k.Kappa*i
		sp := math.Log((B*k.TauM)/(-A*k.TauS)) / (1/k.TauS - 1/k.TauM)
		if !(sp > 0) {
			continue
		}
		peak := A*math.Exp(-sp/k.TauM) + B*math.Exp(-sp/k.TauS)
		eps := math.Pow(10, -10+6*rng.Float64()) * math.Max(1, math.Abs(peak))
		k.D = peak - eps
		if k.D <= 0 {
			continue
		}
		s, ok := k.Crossing(u, i, 0, 0, 2*sp)
		if !ok {
			t.Fatalf("case %d: threshold %g below the peak %v (at %v) but no crossing found", c, eps, peak, sp)
		}
		if s > sp+1e-9 || gap(&k, u, i, 0, s) < -1e-12*peak {
			t.Fatalf("case %d: crossing at %v after the peak at %v or below threshold", c, s, sp)
		}
		k.D = peak + eps
		if s, ok := k.Crossing(u, i, 0, 0, 2*sp); ok {
			t.Fatalf("case %d: threshold %g above the peak, but a crossing at %v is reported", c, eps, s)
		}
	}
}

// TestExpSumRoots: roots of random exponential sums against a dense sign scan.
func TestExpSumRoots(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(4, 4))
	for c := range 3000 {
		var f expSum
		for _, r := range []float64{0, 0.01, 0.5, 2} {
			f.add(rng.NormFloat64(), r)
		}
		var buf [4]float64
		roots := buf[:f.roots(0, 5, &buf)]
		if len(roots) > f.n-1 {
			t.Fatalf("case %d: %d roots for %d terms", c, len(roots), f.n)
		}
		for _, r := range roots {
			if v := f.eval(r); math.Abs(v) > 1e-12*(math.Abs(f.a[0])+math.Abs(f.a[1])+math.Abs(f.a[2])+math.Abs(f.a[3])) {
				t.Fatalf("case %d: f(%v) = %g is not a root", c, r, v)
			}
		}
		// Every sign change on a fine grid lies next to a reported root.
		prev := f.eval(0)
		for g := 1; g <= 5000; g++ {
			s := float64(g) * 1e-3
			v := f.eval(s)
			if (prev < 0) != (v < 0) {
				near := false
				for _, r := range roots {
					near = near || (r >= s-1e-3-1e-12 && r <= s+1e-12)
				}
				if !near {
					t.Fatalf("case %d: sign change in [%v, %v] with roots %v", c, s-1e-3, s, roots)
				}
			}
			prev = v
		}
	}
}

func TestPSPPeak(t *testing.T) {
	k := NewKernel(Awake().Exc, 1, math.Inf(1))
	best := 0.0
	for s := 0.0; s < 30; s += 1e-4 {
		best = max(best, k.Kappa*(math.Exp(-s/k.TauM)-math.Exp(-s/k.TauS)))
	}
	if math.Abs(best-k.Peak) > 1e-9 {
		t.Fatalf("PSPPeak = %v, scan %v", k.Peak, best)
	}
	r := Awake()
	if got := r.JIn * k.Peak; math.Abs(got-0.65) > 1e-12 {
		t.Fatalf("unit-weight input PSP = %v mV, want 0.65", got)
	}
}
