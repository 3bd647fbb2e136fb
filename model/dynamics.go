package model

import "math"

// Kernel holds the constants of one population's membrane dynamics, derived once from a
// regime. It is a small value; copy it freely. Build it with NewKernel from a regime that
// passes Validate: the zero Kernel has no time constants, and its methods return
// meaningless values.
type Kernel struct {
	TauM, TauS float64
	Kappa      float64 // TauS/(TauM-TauS)
	Peak       float64 // max over s >= 0 of the response of u to a unit current jump
	D          float64 // VThresh - VRest: the threshold of u before adaptation
	UReset     float64 // VReset - VRest
	TRef       float64
	TauTheta   float64 // +Inf: no decay
}

// NewKernel derives the kernel of population l under synaptic time constant tauS.
func NewKernel(l LIF, tauS, tauTheta float64) Kernel {
	return Kernel{
		TauM: l.TauM, TauS: tauS,
		Kappa:    tauS / (l.TauM - tauS),
		Peak:     PSPPeak(l.TauM, tauS),
		D:        l.VThresh - l.VRest,
		UReset:   l.VReset - l.VRest,
		TRef:     l.TRef,
		TauTheta: tauTheta,
	}
}

// PSPPeak is the largest value of u after a unit current jump into a neuron at rest:
// max over s of κ(e^{-s/tauM} - e^{-s/tauS}), reached at s* = tauM·tauS/(tauM-tauS)·ln(tauM/tauS).
func PSPPeak(tauM, tauS float64) float64 {
	kappa := tauS / (tauM - tauS)
	s := tauM * tauS / (tauM - tauS) * math.Log(tauM/tauS)
	return kappa * (math.Exp(-s/tauM) - math.Exp(-s/tauS))
}

// Prop is the exact propagator of (u, I) over one interval h:
// u' = EM·u + C·I, I' = ES·I.
type Prop struct{ EM, ES, C float64 }

// Propagator returns the propagator for an interval h >= 0. It costs two exponentials; an
// engine computes it once per interval and applies it to the whole population.
func (k *Kernel) Propagator(h float64) Prop {
	em := math.Exp(-h / k.TauM)
	es := math.Exp(-h / k.TauS)
	return Prop{EM: em, ES: es, C: k.Kappa * (em - es)}
}

// Free advances (u, I) by h with no input and no refractory clamp.
func (k *Kernel) Free(u, i, h float64) (float64, float64) {
	p := k.Propagator(h)
	return p.EM*u + p.C*i, p.ES * i
}

// Advance advances (u, I) from time t0 to t1 >= t0 for a neuron whose refractory period
// ends at refEnd: until refEnd, u is held at UReset while I decays freely.
func (k *Kernel) Advance(u, i, t0, t1, refEnd float64) (float64, float64) {
	if refEnd > t0 {
		if refEnd >= t1 {
			return k.UReset, i * math.Exp(-(t1-t0)/k.TauS)
		}
		i *= math.Exp(-(refEnd - t0) / k.TauS)
		u, t0 = k.UReset, refEnd
	}
	return k.Free(u, i, t1-t0)
}

// ThetaAt is the adaptive threshold theta0 after h ms of decay.
func (k *Kernel) ThetaAt(theta0, h float64) float64 {
	if math.IsInf(k.TauTheta, 1) {
		return theta0
	}
	return theta0 * math.Exp(-h/k.TauTheta)
}

// UpperBound is a cheap upper bound of u over the next h ms of free evolution from (u, I):
// max(u, 0) + max(I, 0)·min(h/TauM, Peak). It never underestimates (du/dt <= (I⁺-u)/TauM and
// the current's total effect is at most I⁺·Peak).
func (k *Kernel) UpperBound(u, i, h float64) float64 {
	b := max(u, 0)
	if i > 0 {
		b += i * min(h/k.TauM, k.Peak)
	}
	return b
}

// Crossing reports the first s in [lo, hi] at which a neuron in free evolution from (u, I)
// at s = 0 reaches its threshold D + θ(s), θ(s) = theta·e^{-s/TauTheta}; the caller makes
// sure no refractory period overlaps [lo, hi]. The answer is exact to a few ulps of s: the
// threshold gap f(s) = (u+κI)e^{-s/TauM} - κI·e^{-s/TauS} - θ e^{-s/TauTheta} - D is an
// exponential sum whose critical points are isolated recursively (Rolle), so tangent and
// near-tangent crossings are found and none is invented.
func (k *Kernel) Crossing(u, i, theta, lo, hi float64) (float64, bool) {
	if hi < lo {
		return 0, false
	}
	var f expSum
	f.add(u+k.Kappa*i, 1/k.TauM)
	f.add(-k.Kappa*i, 1/k.TauS)
	if math.IsInf(k.TauTheta, 1) {
		f.add(-theta, 0)
	} else {
		f.add(-theta, 1/k.TauTheta)
	}
	f.add(-k.D, 0)
	return f.firstUp(lo, hi)
}

// expSum is f(s) = Σ a[j]·e^{-r[j]·s}, with distinct rates r sorted ascending (r = 0 is a
// constant term). At most four terms.
type expSum struct {
	n int
	a [4]float64
	r [4]float64
}

// add adds a·e^{-r·s}, merging a term of the same rate and keeping rates sorted.
func (f *expSum) add(a, r float64) {
	if a == 0 {
		return
	}
	for j := 0; j < f.n; j++ {
		if f.r[j] == r {
			f.a[j] += a
			return
		}
	}
	j := f.n
	for j > 0 && f.r[j-1] > r {
		f.a[j], f.r[j] = f.a[j-1], f.r[j-1]
		j--
	}
	f.a[j], f.r[j] = a, r
	f.n++
}

func (f *expSum) eval(s float64) float64 {
	v := 0.0
	for j := 0; j < f.n; j++ {
		v += f.a[j] * math.Exp(-f.r[j]*s)
	}
	return v
}

// evalD returns f(s) and f'(s).
func (f *expSum) evalD(s float64) (float64, float64) {
	v, d := 0.0, 0.0
	for j := 0; j < f.n; j++ {
		e := f.a[j] * math.Exp(-f.r[j]*s)
		v += e
		d -= f.r[j] * e
	}
	return v, d
}

// deriv returns g with the same sign as d/ds[e^{r0·s} f(s)], whose zeros are the critical
// points of f's sign pattern: g(s) = Σ_{j>=1} -(r[j]-r[0])·a[j]·e^{-(r[j]-r[0])s}.
func (f *expSum) deriv() expSum {
	var g expSum
	for j := 1; j < f.n; j++ {
		d := f.r[j] - f.r[0]
		g.add(-d*f.a[j], d)
	}
	return g
}

// roots stores in out the zeros of f in [lo, hi], ascending, and returns how many; at most
// f.n-1. A zero where f touches 0 without changing sign is included when it is exactly 0
// in floating point. (A fixed array, not a slice, so that nothing escapes to the heap.)
func (f *expSum) roots(lo, hi float64, out *[4]float64) int {
	n := 0
	switch {
	case f.n <= 1:
		return 0
	case f.n == 2:
		// a0 e^{-r0 s} + a1 e^{-r1 s} = 0  <=>  e^{-(r1-r0)s} = -a0/a1
		q := -f.a[0] / f.a[1]
		if q <= 0 {
			return 0
		}
		if s := -math.Log(q) / (f.r[1] - f.r[0]); s >= lo && s <= hi {
			out[0] = s
			n = 1
		}
		return n
	}
	// Between consecutive critical points h(s) = e^{r0 s}f(s) is monotone, and f has the sign of h.
	g := f.deriv()
	var crit [4]float64
	nc := g.roots(lo, hi, &crit)
	x, fx := lo, f.eval(lo)
	if fx == 0 {
		out[n] = lo
		n++
	}
	for c := 0; c <= nc; c++ {
		y := hi
		if c < nc {
			y = crit[c]
		}
		if y <= x {
			continue
		}
		fy := f.eval(y)
		if (fx < 0 && fy > 0) || (fx > 0 && fy < 0) {
			out[n] = f.bracket(x, y, fx, fy)
			n++
		}
		if fy == 0 && (n == 0 || out[n-1] != y) && n < len(out) {
			out[n] = y
			n++
		}
		x, fx = y, fy
	}
	return n
}

// firstUp returns the first s in [lo, hi] with f(s) >= 0.
func (f *expSum) firstUp(lo, hi float64) (float64, bool) {
	if f.eval(lo) >= 0 {
		return lo, true
	}
	var buf [4]float64
	for _, s := range buf[:f.roots(lo, hi, &buf)] {
		if s > lo {
			// f < 0 on [lo, s) because s is the first zero; s itself may evaluate a hair
			// below 0 after rounding, which is why the zero, not the sign, is reported.
			return s, true
		}
	}
	return 0, false
}

// bracket finds the zero of f in (a, b), where f(a) and f(b) have opposite signs and f is
// monotone there: Newton steps kept inside the bracket, bisection when Newton leaves it.
func (f *expSum) bracket(a, b, fa, fb float64) float64 {
	if fa > 0 { // orient so that f(a) < 0 < f(b)
		a, b = b, a
	}
	x := 0.5 * (a + b)
	for it := 0; it < 200; it++ {
		fx, dx := f.evalD(x)
		if fx == 0 {
			return x
		}
		if fx < 0 {
			a = x
		} else {
			b = x
		}
		if math.Abs(b-a) <= 4*ulp(max(math.Abs(a), math.Abs(b))) {
			return b // the zero lies within a few ulps; report the side where f > 0
		}
		nx := x - fx/dx
		if !(nx > min(a, b) && nx < max(a, b)) {
			nx = 0.5 * (a + b)
		}
		if math.Abs(nx-x) <= 2*ulp(math.Abs(x)) {
			return nx // Newton has converged to the last bits
		}
		x = nx
	}
	return x
}

func ulp(x float64) float64 { return math.Nextafter(x, math.Inf(1)) - x }
