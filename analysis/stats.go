package analysis

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"
)

// TTest is the result of a paired t-test.
type TTest struct {
	T        float64 // t statistic, MeanDiff / (SDDiff / sqrt(N))
	DF       float64 // degrees of freedom, N-1
	P        float64 // two-sided p-value
	MeanDiff float64 // mean of the differences b - a
	SDDiff   float64 // sample standard deviation (N-1) of the differences
	N        int     // number of pairs
}

// PairedTTest is the two-sided paired t-test of a against b on the differences
// d = b - a, so T > 0 when b tends to exceed a (R's t.test(a, b, paired=TRUE) reports
// the opposite sign, since it uses a - b). P comes from gonum's distuv.StudentsT.
//
// When all differences are equal (SDDiff = 0) the statistic is degenerate: T is ±Inf
// and P is 0 if MeanDiff != 0, and T = 0, P = 1 if every difference is zero. As in R's
// t.test, differences that are equal up to rounding (standard error below
// 10·eps·|MeanDiff|, e.g. b = a + 0.1 in floating point) count as equal; SDDiff still
// reports the tiny computed value. NaN in the input gives NaN results. It returns ErrLength when len(a) != len(b) and
// ErrTooFew when there are fewer than 2 pairs.
func PairedTTest(a, b []float64) (TTest, error) {
	if len(a) != len(b) {
		return TTest{}, fmt.Errorf("%w: paired t-test of %d and %d values", ErrLength, len(a), len(b))
	}
	n := len(a)
	if n < 2 {
		return TTest{}, fmt.Errorf("%w: paired t-test needs 2 pairs, have %d", ErrTooFew, n)
	}
	d := make([]float64, n)
	for i := range d {
		d[i] = b[i] - a[i]
	}
	mean, sd := stat.MeanStdDev(d, nil)
	r := TTest{DF: float64(n - 1), MeanDiff: mean, SDDiff: sd, N: n}
	se := sd / math.Sqrt(float64(n))
	switch {
	case sd == 0 && mean == 0:
		r.T, r.P = 0, 1
	case se < constTol*math.Abs(mean):
		r.T, r.P = math.Inf(int(math.Copysign(1, mean))), 0
	default:
		r.T = mean / se
		r.P = twoSidedT(r.T, r.DF)
	}
	return r, nil
}

// constTol is R's t.test threshold for "data are essentially constant": a standard
// error below 10·eps times the mean's magnitude is rounding noise.
const constTol = 10 * 0x1p-52

// twoSidedT is P(|T| >= |t|) for Student's t with df degrees of freedom.
func twoSidedT(t, df float64) float64 {
	return 2 * distuv.StudentsT{Mu: 0, Sigma: 1, Nu: df}.Survival(math.Abs(t))
}

// Correlation is the result of a Pearson correlation test.
type Correlation struct {
	R float64 // Pearson's r in [-1, 1]
	P float64 // two-sided p-value of r = 0, from t = r·sqrt((N-2)/(1-r²)) with N-2 df
	N int     // number of pairs
}

// Pearson is Pearson's product-moment correlation of x and y with its two-sided
// p-value (t = r·sqrt((n-2)/(1-r²)) on n-2 degrees of freedom; P = 0 when |r| = 1).
// It returns ErrLength when the lengths differ, ErrTooFew for fewer than 3 pairs and
// ErrZeroVariance when x or y is constant. NaN in the input gives NaN results.
func Pearson(x, y []float64) (Correlation, error) {
	if len(x) != len(y) {
		return Correlation{}, fmt.Errorf("%w: correlation of %d and %d values", ErrLength, len(x), len(y))
	}
	n := len(x)
	if n < 3 {
		return Correlation{}, fmt.Errorf("%w: correlation needs 3 pairs, have %d", ErrTooFew, n)
	}
	mx, my := stat.Mean(x, nil), stat.Mean(y, nil)
	var sxx, syy, sxy float64
	for i := range x {
		dx, dy := x[i]-mx, y[i]-my
		sxx += dx * dx
		syy += dy * dy
		sxy += dx * dy
	}
	if sxx == 0 || syy == 0 {
		return Correlation{}, fmt.Errorf("%w: correlation of a constant variable", ErrZeroVariance)
	}
	r := sxy / (math.Sqrt(sxx) * math.Sqrt(syy)) // two roots: sxx*syy may overflow
	r = math.Max(-1, math.Min(1, r))             // rounding can step just outside [-1, 1]
	c := Correlation{R: r, N: n}
	if math.Abs(r) == 1 {
		return c, nil // t = ±Inf, P = 0
	}
	df := float64(n - 2)
	c.P = twoSidedT(r*math.Sqrt(df/(1-r*r)), df)
	return c, nil
}

// JSON has no NaN or infinity, and encoding/json refuses to marshal them. TTest and
// Correlation therefore write a non-finite number as null and add a "Reason" key that says
// which numbers are null and why; they read null back as the value it stood for.

// TTest's JSON: the fields under their Go names, non-finite ones null, plus Reason.
type ttestJSON struct {
	T, DF, P, MeanDiff, SDDiff *float64
	N                          int
	Reason                     string `json:",omitempty"`
}

// MarshalJSON writes T as null when it is ±Inf (every difference equal and non-zero) and
// every NaN (NaN in the input) as null, with a Reason.
func (t TTest) MarshalJSON() ([]byte, error) {
	var nulls nullNotes
	inf := "every difference is equal, so the standard error is 0"
	return json.Marshal(ttestJSON{
		T: nulls.num("T", t.T, inf), DF: nulls.num("DF", t.DF, inf), P: nulls.num("P", t.P, inf),
		MeanDiff: nulls.num("MeanDiff", t.MeanDiff, inf), SDDiff: nulls.num("SDDiff", t.SDDiff, inf),
		N: t.N, Reason: nulls.String(),
	})
}

// UnmarshalJSON reads what MarshalJSON writes: a null T with P = 0 is the degenerate
// ±Inf (the sign of MeanDiff), every other null is NaN.
func (t *TTest) UnmarshalJSON(b []byte) error {
	var j ttestJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*t = TTest{T: orNaN(j.T), DF: orNaN(j.DF), P: orNaN(j.P), MeanDiff: orNaN(j.MeanDiff), SDDiff: orNaN(j.SDDiff), N: j.N}
	if j.T == nil && t.P == 0 && t.MeanDiff != 0 {
		t.T = math.Inf(int(math.Copysign(1, t.MeanDiff)))
	}
	return nil
}

// Correlation's JSON: the fields under their Go names, non-finite ones null, plus Reason.
type correlationJSON struct {
	R, P   *float64
	N      int
	Reason string `json:",omitempty"`
}

// MarshalJSON writes NaN (NaN in the input) as null, with a Reason.
func (c Correlation) MarshalJSON() ([]byte, error) {
	var nulls nullNotes
	return json.Marshal(correlationJSON{R: nulls.num("R", c.R, ""), P: nulls.num("P", c.P, ""), N: c.N, Reason: nulls.String()})
}

// UnmarshalJSON reads null as NaN.
func (c *Correlation) UnmarshalJSON(b []byte) error {
	var j correlationJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*c = Correlation{R: orNaN(j.R), P: orNaN(j.P), N: j.N}
	return nil
}

// nullNotes collects the reasons for the numbers written as null.
type nullNotes []string

// num returns &v, or nil (null) when v is not finite, noting why: infCause for ±Inf,
// NaN in the input for NaN.
func (n *nullNotes) num(name string, v float64, infCause string) *float64 {
	switch {
	case math.IsNaN(v):
		*n = append(*n, name+" is NaN (NaN in the input)")
	case math.IsInf(v, 0):
		*n = append(*n, fmt.Sprintf("%s is %v (%s)", name, v, infCause))
	default:
		return &v
	}
	return nil
}

func (n nullNotes) String() string { return strings.Join(n, "; ") }

func orNaN(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}

// MeanSD returns the mean and the sample standard deviation (n-1 denominator) of x.
// sd is 0 when len(x) < 2; the mean of an empty x is NaN.
func MeanSD(x []float64) (mean, sd float64) {
	switch len(x) {
	case 0:
		return math.NaN(), 0
	case 1:
		return x[0], 0
	}
	return stat.MeanStdDev(x, nil)
}
