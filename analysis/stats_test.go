package analysis

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
)

// Student's sleep data (Cushny & Peebles 1905, as R's datasets::sleep): extra hours of
// sleep for the same 10 patients under drug 1 (group 1) and drug 2 (group 2).
var (
	sleepGroup1 = []float64{0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0}
	sleepGroup2 = []float64{1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4}
)

func near(got, want, tol float64) bool { return math.Abs(got-want) <= tol }

func TestPairedTTestSleep(t *testing.T) {
	t.Parallel()
	// R: t.test(extra ~ group, data = sleep, paired = TRUE) prints
	// "t = -4.0621, df = 9, p-value = 0.002833", mean difference -1.58 (group1 - group2).
	// R differences a - b; PairedTTest differences b - a, so (group2, group1) gives R's
	// sign and (group1, group2) the opposite.
	got, err := PairedTTest(sleepGroup2, sleepGroup1)
	if err != nil {
		t.Fatal(err)
	}
	if !near(got.T, -4.0621, 5e-5) || got.DF != 9 || !near(got.P, 0.002833, 5e-7) ||
		!near(got.MeanDiff, -1.58, 1e-12) || got.N != 10 {
		t.Errorf("PairedTTest(group2, group1) = %+v, want T -4.0621, DF 9, P 0.002833, MeanDiff -1.58", got)
	}
	// sd of the differences: Python statistics.stdev gives 1.2299954832798732.
	if !near(got.SDDiff, 1.2299954832798732, 1e-12) {
		t.Errorf("SDDiff = %v, want 1.2299954832798732", got.SDDiff)
	}
	rev, err := PairedTTest(sleepGroup1, sleepGroup2)
	if err != nil {
		t.Fatal(err)
	}
	if rev.T != -got.T || rev.P != got.P || rev.MeanDiff != -got.MeanDiff {
		t.Errorf("PairedTTest(group1, group2) = %+v, want the sign-flipped %+v", rev, got)
	}
}

func TestPairedTTestHand(t *testing.T) {
	t.Parallel()
	// Differences b - a = 1, 2, 3: mean 2, sd 1, t = 2/(1/sqrt 3) = sqrt 12, df 2.
	// For df = 2 the t CDF is F(t) = 1/2 + t/(2 sqrt(2+t²)) (Wikipedia, "Student's
	// t-distribution", CDF for ν = 2), so p = 1 - t/sqrt(2+t²) = 1 - sqrt(6/7).
	got, err := PairedTTest([]float64{1, 1, 1}, []float64{2, 3, 4})
	if err != nil {
		t.Fatal(err)
	}
	if !near(got.T, math.Sqrt(12), 1e-12) || got.DF != 2 || !near(got.P, 1-math.Sqrt(6.0/7), 1e-10) ||
		got.MeanDiff != 2 || got.SDDiff != 1 || got.N != 3 {
		t.Errorf("PairedTTest = %+v, want T sqrt(12), DF 2, P 1-sqrt(6/7) = 0.07418", got)
	}
}

func TestPairedTTestDegenerate(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		a, b []float64
		t, p float64
	}{
		{[]float64{1, 2, 3}, []float64{1.5, 2.5, 3.5}, math.Inf(1), 0}, // all differences +0.5
		{[]float64{1, 2, 3}, []float64{0, 1, 2}, math.Inf(-1), 0},      // all differences -1
		{[]float64{1, 2, 3}, []float64{1, 2, 3}, 0, 1},                 // all differences 0
		// b = a + 0.1, but the float64 differences are 0.1, 0.09999999999999998 and
		// 0.10000000000000003 (printed by Go), so sd is ~3e-17, not 0; R's t.test calls
		// that "essentially constant" (se < 10·eps·|mean|).
		{[]float64{0.1, 0.2, 0.3}, []float64{0.1 + 0.1, 0.2 + 0.1, 0.3 + 0.1}, math.Inf(1), 0},
	} {
		got, err := PairedTTest(c.a, c.b)
		if err != nil {
			t.Fatal(err)
		}
		if got.T != c.t || got.P != c.p || got.SDDiff > 1e-16 {
			t.Errorf("PairedTTest(%v, %v) = %+v, want T %v, P %v", c.a, c.b, got, c.t, c.p)
		}
	}
}

func TestPairedTTestErrors(t *testing.T) {
	t.Parallel()
	if _, err := PairedTTest([]float64{1, 2}, []float64{1}); !errors.Is(err, ErrLength) {
		t.Errorf("length mismatch: err = %v, want ErrLength", err)
	}
	if _, err := PairedTTest([]float64{1}, []float64{2}); !errors.Is(err, ErrTooFew) {
		t.Errorf("one pair: err = %v, want ErrTooFew", err)
	}
	if _, err := PairedTTest(nil, nil); !errors.Is(err, ErrTooFew) {
		t.Errorf("no pairs: err = %v, want ErrTooFew", err)
	}
}

func TestTwoSidedTTable(t *testing.T) {
	t.Parallel()
	// Two-sided 5% critical value of t at df 4 is 2.776 (standard t tables, e.g. NIST
	// Engineering Statistics Handbook 1.3.6.7.2). Independently, the df = 4 closed form
	// F(t) = 1/2 + (3/8)(t/sqrt(1+t²/4))(1 - t²/(12(1+t²/4))) gives p(2.776) = 0.0500228.
	if p := twoSidedT(2.776, 4); !near(p, 0.05, 1e-4) || !near(p, 0.0500228, 1e-6) {
		t.Errorf("twoSidedT(2.776, 4) = %v, want 0.05 (0.0500228)", p)
	}
	if p := twoSidedT(-2.776, 4); !near(p, 0.0500228, 1e-6) {
		t.Errorf("twoSidedT(-2.776, 4) = %v, want 0.0500228", p)
	}
}

func TestPearson(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		x, y []float64
		r, p float64
	}{
		// Hand: dx = -2..2, dy = -2,0,1,0,1: Sxy = 6, Sxx = 10, Syy = 6, r = 6/sqrt(60)
		// = 0.7746; t = r·sqrt(3/(1-r²)) = sqrt(4.5) on 3 df. The df = 3 closed form
		// F(t) = 1/2 + (1/π)(t/(sqrt3 (1+t²/3)) + atan(t/sqrt3)) (Wikipedia, "Student's
		// t-distribution") gives p = 0.1240270626575547 (evaluated in Python).
		{"x=1..5", []float64{1, 2, 3, 4, 5}, []float64{2, 4, 5, 4, 5}, 6 / math.Sqrt(60), 0.1240270626575547},
		// Hand: dx = -1,0,1, dy = -1,1,0: r = 1/2; t = (1/2)sqrt(1/(3/4)) = 1/sqrt3 on 1 df
		// (Cauchy, F(t) = 1/2 + atan(t)/π), so p = 1 - (2/π)(π/6) = 2/3.
		{"cauchy", []float64{1, 2, 3}, []float64{1, 3, 2}, 0.5, 2.0 / 3},
		// Exact linear relations: |r| = 1, t infinite, p = 0.
		{"perfect", []float64{1, 2, 3, 4}, []float64{3, 5, 7, 9}, 1, 0},
		{"perfect negative", []float64{1, 2, 3, 4}, []float64{-1, -2, -3, -4}, -1, 0},
	} {
		got, err := Pearson(c.x, c.y)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if !near(got.R, c.r, 1e-12) || !near(got.P, c.p, 1e-9) || got.N != len(c.x) {
			t.Errorf("%s: Pearson = %+v, want R %v, P %v", c.name, got, c.r, c.p)
		}
	}
}

func TestPearsonErrors(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		x, y []float64
		want error
	}{
		{"lengths", []float64{1, 2, 3}, []float64{1, 2}, ErrLength},
		{"two pairs", []float64{1, 2}, []float64{2, 1}, ErrTooFew},
		{"constant x", []float64{1, 1, 1}, []float64{1, 2, 3}, ErrZeroVariance},
		{"constant y", []float64{1, 2, 3}, []float64{4, 4, 4}, ErrZeroVariance},
	} {
		if _, err := Pearson(c.x, c.y); !errors.Is(err, c.want) {
			t.Errorf("%s: err = %v, want %v", c.name, err, c.want)
		}
	}
}

func TestMeanSD(t *testing.T) {
	t.Parallel()
	// 2,4,4,4,5,5,7,9: mean 5, squared deviations sum to 32, sample sd sqrt(32/7)
	// (the classic population-sd-2 example, Wikipedia "Standard deviation").
	if m, sd := MeanSD([]float64{2, 4, 4, 4, 5, 5, 7, 9}); m != 5 || !near(sd, math.Sqrt(32.0/7), 1e-12) {
		t.Errorf("MeanSD = %v, %v, want 5, sqrt(32/7)", m, sd)
	}
	if m, sd := MeanSD([]float64{3}); m != 3 || sd != 0 {
		t.Errorf("MeanSD([3]) = %v, %v, want 3, 0", m, sd)
	}
	if m, sd := MeanSD(nil); !math.IsNaN(m) || sd != 0 {
		t.Errorf("MeanSD(nil) = %v, %v, want NaN, 0", m, sd)
	}
}

// TestStatsJSONNonFinite: a degenerate or NaN test marshals (encoding/json refuses NaN and
// ±Inf) with the non-finite numbers as null and a reason, and reads back to the same
// values; a finite result marshals exactly as the plain struct did.
func TestStatsJSONNonFinite(t *testing.T) {
	t.Parallel()
	same := func(a, b float64) bool { return a == b || math.IsNaN(a) && math.IsNaN(b) }
	nan := math.NaN()
	up, _ := PairedTTest([]float64{1, 2, 3}, []float64{1.5, 2.5, 3.5})
	down, _ := PairedTTest([]float64{1, 2, 3}, []float64{0, 1, 2})
	bad, _ := PairedTTest([]float64{1, nan, 3}, []float64{1, 2, 3})
	for _, tt := range []TTest{up, down, bad} {
		b, err := json.Marshal(tt)
		if err != nil {
			t.Fatalf("%+v: %v", tt, err)
		}
		if !strings.Contains(string(b), `"T":null`) || !strings.Contains(string(b), `"Reason":"T is `) {
			t.Errorf("%+v marshals to %s, want T null with a reason", tt, b)
		}
		var back TTest
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if !same(back.T, tt.T) || !same(back.P, tt.P) || !same(back.MeanDiff, tt.MeanDiff) || !same(back.SDDiff, tt.SDDiff) || back.DF != tt.DF || back.N != tt.N {
			t.Errorf("%s reads back as %+v, want %+v", b, back, tt)
		}
	}
	c := Correlation{R: nan, P: nan, N: 5}
	b, err := json.Marshal(c)
	if err != nil || string(b) != `{"R":null,"P":null,"N":5,"Reason":"R is NaN (NaN in the input); P is NaN (NaN in the input)"}` {
		t.Errorf("NaN correlation marshals to %s, %v", b, err)
	}
	var back Correlation
	if err := json.Unmarshal(b, &back); err != nil || !math.IsNaN(back.R) || !math.IsNaN(back.P) || back.N != 5 {
		t.Errorf("%s reads back as %+v, %v", b, back, err)
	}
	// Finite values: the same JSON as the struct without MarshalJSON.
	type plainT struct {
		T, DF, P, MeanDiff, SDDiff float64
		N                          int
	}
	type plainC struct {
		R, P float64
		N    int
	}
	fin, _ := PairedTTest(sleepGroup1, sleepGroup2)
	pc, _ := Pearson([]float64{1, 2, 3, 4, 5}, []float64{2, 4, 5, 4, 5})
	for _, v := range [][2]any{{fin, plainT(fin)}, {pc, plainC(pc)}} {
		got, err1 := json.Marshal(v[0])
		want, err2 := json.Marshal(v[1])
		if err1 != nil || err2 != nil || string(got) != string(want) {
			t.Errorf("finite %+v marshals to %s, want %s", v[0], got, want)
		}
	}
}
