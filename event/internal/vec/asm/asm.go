// Command asm generates the AVX2 kernels of package vec with avo:
//
//	cd event/internal/vec/asm && go run . -out ../vec_amd64.s -stubs ../stub_amd64.go -pkg vec
//
// (go generate ./event/internal/vec does the same). It is its own module, so that the simulator
// does not depend on avo; the generated files are committed.
//
// The weights are float32 (the network stores them in single precision), the state float64:
// each 8-lane step widens 8 weights exactly (VCVTPS2PD). Every kernel rounds as the portable
// Go code in vec.go does: a product is rounded before it is added (VMULPD then VADDPD, never
// a fused multiply-add), so both paths give the same bits. The fused variant Axpy2FMA
// exists for the measurement in the benchmarks only.
package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

func main() {
	ConstraintExpr("amd64")
	axpy()
	axpy2("axpy2AVX2", false)
	axpy2("axpy2FMA", true)
	addConst2()
	axpy2Budget(false)
	axpy2Budget(true)
	exp("expAVX2", false)
	exp("expFMA", true)
	Generate()
}

// axpy2 emits a[k] += alpha·w[k]; c[k] += beta·w[k] for k < len(w), 8 lanes per iteration
// (two ymm registers per array), then a scalar tail. The caller checks the lengths.
func axpy2(name string, fused bool) {
	TEXT(name, NOSPLIT, "func(a, c []float64, w []float32, alpha, beta float64)")
	if fused {
		Doc(name + " is axpy2AVX2 with fused multiply-adds (AVX2 + FMA): for measurement only; it rounds differently.")
	} else {
		Doc(name + " sets a[k] += alpha·w[k] and c[k] += beta·w[k] for k < len(w), rounding each product (AVX2).")
	}
	pa := Load(Param("a").Base(), GP64())
	pc := Load(Param("c").Base(), GP64())
	pw := Load(Param("w").Base(), GP64())
	n := Load(Param("w").Len(), GP64())
	al, be := YMM(), YMM()
	VBROADCASTSD(Load(Param("alpha"), XMM()), al)
	VBROADCASTSD(Load(Param("beta"), XMM()), be)
	i := GP64()
	XORQ(i, i)

	// Main loop: 8 elements.
	loop8(name, n, i, name+"_tail")
	fanOut8(targets{{pa, al}, {pc, be}}, pw, i, fused)
	ADDQ(Imm(8), i)
	JMP(LabelRef(name + "_loop8"))

	// Tail: one element at a time.
	Label(name + "_tail")
	CMPQ(i, n)
	JGE(LabelRef(name + "_done"))
	x := XMM()
	for _, dst := range (targets{{pa, al}, {pc, be}}) {
		m := Mem{Base: dst.p, Index: i, Scale: 8}
		y := XMM()
		VCVTSS2SD(Mem{Base: pw, Index: i, Scale: 4}, x, x)
		if fused {
			VMOVSD(m, y)
			VFMADD231SD(dst.f.AsX(), x, y)
		} else {
			VMULSD(dst.f.AsX(), x, y)
			VADDSD(m, y, y)
		}
		VMOVSD(y, m)
	}
	INCQ(i)
	JMP(LabelRef(name + "_tail"))

	Label(name + "_done")
	VZEROUPPER()
	RET()
}

// axpy emits a[k] += alpha·w[k] for k < len(w), each product rounded: the stepped
// reference engine's input delivery. The caller checks the lengths.
func axpy() {
	name := "axpyAVX2"
	TEXT(name, NOSPLIT, "func(a []float64, w []float32, alpha float64)")
	Doc(name + " sets a[k] += alpha·w[k] for k < len(w), rounding each product (AVX2).")
	pa := Load(Param("a").Base(), GP64())
	pw := Load(Param("w").Base(), GP64())
	n := Load(Param("w").Len(), GP64())
	al := YMM()
	VBROADCASTSD(Load(Param("alpha"), XMM()), al)
	i := GP64()
	XORQ(i, i)
	loop8(name, n, i, name+"_tail")
	fanOut8(targets{{pa, al}}, pw, i, false)
	ADDQ(Imm(8), i)
	JMP(LabelRef(name + "_loop8"))
	Label(name + "_tail")
	CMPQ(i, n)
	JGE(LabelRef(name + "_done"))
	x, y := XMM(), XMM()
	m := Mem{Base: pa, Index: i, Scale: 8}
	VCVTSS2SD(Mem{Base: pw, Index: i, Scale: 4}, x, x)
	VMULSD(al.AsX(), x, y)
	VADDSD(m, y, y)
	VMOVSD(y, m)
	INCQ(i)
	JMP(LabelRef(name + "_tail"))
	Label(name + "_done")
	VZEROUPPER()
	RET()
}

// addConst2 emits a[k] += alpha; c[k] += beta for k < len(a) (len(c) >= len(a)).
func addConst2() {
	name := "addConst2AVX2"
	TEXT(name, NOSPLIT, "func(a, c []float64, alpha, beta float64)")
	Doc(name + " sets a[k] += alpha and c[k] += beta for k < len(a) (AVX2).")
	pa := Load(Param("a").Base(), GP64())
	pc := Load(Param("c").Base(), GP64())
	n := Load(Param("a").Len(), GP64())
	al, be := YMM(), YMM()
	VBROADCASTSD(Load(Param("alpha"), XMM()), al)
	VBROADCASTSD(Load(Param("beta"), XMM()), be)
	i := GP64()
	XORQ(i, i)
	loop8(name, n, i, name+"_tail")
	for _, dst := range (targets{{pa, al}, {pc, be}}) {
		for _, d := range []int{0, 32} {
			m := Mem{Base: dst.p, Index: i, Scale: 8, Disp: d}
			x := YMM()
			VADDPD(m, dst.f, x)
			VMOVUPD(x, m)
		}
	}
	ADDQ(Imm(8), i)
	JMP(LabelRef(name + "_loop8"))
	Label(name + "_tail")
	CMPQ(i, n)
	JGE(LabelRef(name + "_done"))
	for _, dst := range (targets{{pa, al}, {pc, be}}) {
		m := Mem{Base: dst.p, Index: i, Scale: 8}
		x := XMM()
		VADDSD(m, dst.f.AsX(), x)
		VMOVSD(x, m)
	}
	INCQ(i)
	JMP(LabelRef(name + "_tail"))
	Label(name + "_done")
	VZEROUPPER()
	RET()
}

// axpy2Budget emits, for k < len(w) rounded down to a multiple of 8: a[k] += alpha·w[k],
// c[k] += beta·w[k] (products rounded), b[k] -= ⌈min(max(w[k], 0)·2^24, 2^30)⌉ (an int32
// budget in units of 2^-24 of weight), and bit k%8 of mask[k/8] set iff b[k] < 0
// afterwards. to: out of place, the same from a0, c0 and b0 into a, c and b. The caller
// checks the lengths and does the tail.
func axpy2Budget(to bool) {
	name := "axpy2BudgetAVX2"
	if to {
		name = "axpy2BudgetToAVX2"
		TEXT(name, NOSPLIT, "func(a, c []float64, b []int32, a0, c0 []float64, b0 []int32, w []float32, mask []uint8, alpha, beta float64)")
		Doc(name + " is the 8-lane body of Axpy2BudgetTo (AVX2): Axpy2Budget's from (a0, c0, b0) into (a, c, b).")
	} else {
		TEXT(name, NOSPLIT, "func(a, c []float64, b []int32, w []float32, mask []uint8, alpha, beta float64)")
		Doc(name + " is the 8-lane body of Axpy2Budget (AVX2): the fan-out, the budget update and the mask.")
	}
	pa := Load(Param("a").Base(), GP64())
	pc := Load(Param("c").Base(), GP64())
	pb := Load(Param("b").Base(), GP64())
	qa, qc, qb := pa, pc, pb // the sources: in place unless to
	if to {
		qa = Load(Param("a0").Base(), GP64())
		qc = Load(Param("c0").Base(), GP64())
		qb = Load(Param("b0").Base(), GP64())
	}
	pw := Load(Param("w").Base(), GP64())
	pm := Load(Param("mask").Base(), GP64())
	n := Load(Param("w").Len(), GP64())
	al, be := YMM(), YMM()
	VBROADCASTSD(Load(Param("alpha"), XMM()), al)
	VBROADCASTSD(Load(Param("beta"), XMM()), be)
	zero, scale, cap_ := YMM(), YMM(), YMM()
	VXORPS(zero, zero, zero)
	t := GP32()
	MOVL(U32(0x4b800000), t) // 2^24 as a float32
	VMOVD(t, scale.AsX())
	VBROADCASTSS(scale.AsX(), scale)
	MOVL(U32(0x4e800000), t) // 2^30
	VMOVD(t, cap_.AsX())
	VBROADCASTSS(cap_.AsX(), cap_)
	i := GP64()
	XORQ(i, i)
	g := GP64() // mask byte index
	XORQ(g, g)
	loop8(name, n, i, name+"_done")
	fanOut8From(targets{{pa, al}, {pc, be}}, []reg.Register{qa, qc}, pw, i, false)
	// The weight each input uses up, rounded up to a whole unit: never less than max(w, 0)
	// (a negative weight, never one of a valid network's, must not refill a budget, as it
	// lowers the bound only for a while), capped at 2^30 units, which exceeds any budget.
	u, ui, bv := YMM(), YMM(), YMM()
	VMOVUPS(Mem{Base: pw, Index: i, Scale: 4}, u)
	VMAXPS(zero, u, u)  // u > 0 ? u : +0
	VMULPS(scale, u, u) // exact: a power of two
	VMINPS(cap_, u, u)
	VROUNDPS(Imm(2), u, u) // toward +Inf
	VCVTPS2DQ(u, ui)       // exact: an integer below 2^31
	VMOVDQU(Mem{Base: qb, Index: i, Scale: 4}, bv)
	VPSUBD(ui, bv, bv)
	VMOVDQU(bv, Mem{Base: pb, Index: i, Scale: 4})
	r := GP32()
	VMOVMSKPS(bv, r) // the sign bits: b < 0
	MOVB(r.As8(), Mem{Base: pm, Index: g, Scale: 1})
	INCQ(g)
	ADDQ(Imm(8), i)
	JMP(LabelRef(name + "_loop8"))
	Label(name + "_done")
	VZEROUPPER()
	RET()
}

// targets are the arrays a kernel adds to, each with its broadcast factor.
type targets []struct {
	p reg.Register
	f reg.VecVirtual
}

// loop8 emits the head of a kernel's 8-lane loop over i < n rounded down to a multiple of
// 8 (label NAME_loop8), jumping to exit when it is done.
func loop8(name string, n, i reg.Register, exit string) {
	end8 := GP64()
	MOVQ(n, end8)
	ANDQ(I32(-8), end8)
	Label(name + "_loop8")
	CMPQ(i, end8)
	JGE(LabelRef(exit))
}

// fanOut8 emits one 8-lane step of the fan-out: w0, w1 = w[i:i+8] widened to float64
// (exact), and each target's p[i:i+8] += f·w, fused or with each product rounded. It
// returns w0 and w1.
func fanOut8(ts targets, pw, i reg.Register, fused bool) (w0, w1 reg.VecVirtual) {
	return fanOut8From(ts, nil, pw, i, fused)
}

// fanOut8From is fanOut8 out of place where from is not nil: each target's
// p[i:i+8] = from[k][i:i+8] + f·w.
func fanOut8From(ts targets, from []reg.Register, pw, i reg.Register, fused bool) (w0, w1 reg.VecVirtual) {
	w0, w1 = YMM(), YMM()
	VCVTPS2PD(Mem{Base: pw, Index: i, Scale: 4}, w0)
	VCVTPS2PD(Mem{Base: pw, Index: i, Scale: 4, Disp: 16}, w1)
	for k, dst := range ts {
		src := dst.p
		if from != nil {
			src = from[k]
		}
		x0, x1 := YMM(), YMM()
		m0 := Mem{Base: dst.p, Index: i, Scale: 8}
		m1 := Mem{Base: dst.p, Index: i, Scale: 8, Disp: 32}
		s0 := Mem{Base: src, Index: i, Scale: 8}
		s1 := Mem{Base: src, Index: i, Scale: 8, Disp: 32}
		if fused {
			VMOVUPD(s0, x0)
			VMOVUPD(s1, x1)
			VFMADD231PD(dst.f, w0, x0) // x0 += w0·f, one rounding
			VFMADD231PD(dst.f, w1, x1)
		} else {
			VMULPD(dst.f, w0, x0) // x0 = w0·f, rounded
			VMULPD(dst.f, w1, x1)
			VADDPD(s0, x0, x0) // x0 += src, rounded
			VADDPD(s1, x1, x1)
		}
		VMOVUPD(x0, m0)
		VMOVUPD(x1, m1)
	}
	return w0, w1
}

// exp emits dst[k] = e^x[k] for k < len(x) rounded down to a multiple of 4, as the Go
// runtime's math.Exp computes it on amd64 (math/exp_amd64.s: Shibata's method, the
// argument reduced by ln 2 and by 16, a degree-8 polynomial, four squarings), operation for
// operation, so that each lane gives math.Exp's bits for arguments in [-700, 700] (no
// overflow, underflow or subnormal result: the caller checks). fused: the sequence that
// math.Exp takes on CPUs with FMA, else the one without. tab holds the constants, each 4
// times (one ymm): log2e, ln2 upper and lower halves, 1/16, the coefficients 1/8!, 1/7!,
// 1/6!, 1/5!, 1/4!, 1/3!, 1/2, 1, then 2 and the integer 1023.
func exp(name string, fused bool) {
	TEXT(name, NOSPLIT, "func(dst, x []float64, tab *[56]float64)")
	if fused {
		Doc(name + " is the 4-lane body of Exp on CPUs with FMA (math.Exp's fused sequence).")
	} else {
		Doc(name + " is the 4-lane body of Exp on CPUs without FMA (math.Exp's plain sequence).")
	}
	pd := Load(Param("dst").Base(), GP64())
	px := Load(Param("x").Base(), GP64())
	n := Load(Param("x").Len(), GP64())
	pt := Load(Param("tab"), GP64())
	c := func(k int) Mem { return Mem{Base: pt, Disp: 32 * k} }
	const (
		cLog2e = iota
		cLn2U
		cLn2L
		cSixteenth
		cPoly // 8 coefficients, highest degree first
		cTwo  = cPoly + 8
		cBias = cTwo + 1
	)
	i := GP64()
	XORQ(i, i)
	end := GP64()
	MOVQ(n, end)
	ANDQ(I32(-4), end)
	Label(name + "_loop")
	CMPQ(i, end)
	JGE(LabelRef(name + "_done"))
	x, k, t, p := YMM(), YMM(), YMM(), YMM()
	ki := XMM()
	VMOVUPD(Mem{Base: px, Index: i, Scale: 8}, x)
	VMULPD(c(cLog2e), x, t) // x·log2e
	VCVTPD2DQY(t, ki)       // rounded to the nearest integer (MXCSR), as CVTSD2SL
	VCVTDQ2PD(ki, k)
	if fused {
		VFNMADD231PD(c(cLn2U), k, x) // x -= k·ln2U, one rounding
		VFNMADD231PD(c(cLn2L), k, x)
	} else {
		VMULPD(c(cLn2U), k, t)
		VSUBPD(t, x, x)
		VMULPD(c(cLn2L), k, t)
		VSUBPD(t, x, x)
	}
	VMULPD(c(cSixteenth), x, x)
	VMOVUPD(c(cPoly), p)
	for j := 1; j < 8; j++ {
		if fused {
			VFMADD213PD(c(cPoly+j), x, p) // p = p·x + c, one rounding
		} else {
			VMULPD(x, p, p)
			VADDPD(c(cPoly+j), p, p)
		}
	}
	VMULPD(p, x, x) // y = x·p
	for j := 0; j < 4; j++ {
		VADDPD(c(cTwo), x, t) // y+2
		if fused && j == 3 {
			VFMADD213PD(c(cPoly+7), t, x) // y = y·(y+2) + 1, one rounding
		} else {
			VMULPD(t, x, x) // y = y·(y+2)
		}
	}
	if !fused {
		VADDPD(c(cPoly+7), x, x) // y + 1
	}
	e := YMM()
	VPMOVSXDQ(ki, e)
	VPADDQ(c(cBias), e, e) // k + 1023
	VPSLLQ(Imm(52), e, e)  // 2^k
	VMULPD(e, x, x)
	VMOVUPD(x, Mem{Base: pd, Index: i, Scale: 8})
	ADDQ(Imm(4), i)
	JMP(LabelRef(name + "_loop"))
	Label(name + "_done")
	VZEROUPPER()
	RET()
}
