package model

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// literal builds a network field by field, as a user or a decoder would, from the
// exported state of ref: no unexported cache is set.
func literal(ref *Network) *Network {
	c := slices.Clone[[]float64]
	return &Network{
		NIn: ref.NIn, NExc: ref.NExc, W: slices.Clone(ref.W),
		U: c(ref.U), I: c(ref.I), RefEnd: c(ref.RefEnd), Theta: c(ref.Theta),
		UI: c(ref.UI), II: c(ref.II), RefEndI: c(ref.RefEndI),
		LastPre: c(ref.LastPre), LastPost: c(ref.LastPost),
	}
}

// TestNetworkLiteral: a network filled in field by field passes Check, and
// NormalizeColumns, Clone and the STDP rule work on it, with the same results, bit for
// bit, as on the NewNetwork it copies.
func TestNetworkLiteral(t *testing.T) {
	ref := NewNetwork(20, 6, rand.New(rand.NewPCG(1, 1)))
	lit := literal(ref)
	if err := lit.Check(); err != nil {
		t.Fatal(err)
	}
	r := Awake()
	for _, n := range []*Network{ref, lit} {
		n.NormalizeColumns(7, nil)
		n.LastPre[3], n.LastPre[4] = 0, 1
		r.Potentiate(n, 2, 2, []int32{3, 4})
		n.LastPost[2] = 2
		r.Depress(n, 3, 3, []int32{2})
		n.NormalizeColumns(7, nil)
	}
	if !slices.Equal(lit.W, ref.W) {
		t.Fatal("a literal network normalized and learned differently from NewNetwork's")
	}
	if c := lit.Clone(); !slices.Equal(c.W, lit.W) || c.Check() != nil {
		t.Fatal("Clone of a literal network differs or is malformed")
	}
}

// TestNetworkCheck: the zero Network and networks with a missing or mis-sized array are
// refused with an error that names the array; using one where the weights are needed
// panics with a "model: " message rather than an index error.
func TestNetworkCheck(t *testing.T) {
	if err := (&Network{}).Check(); err == nil {
		t.Fatal("the zero Network passed Check")
	}
	ref := NewNetwork(5, 3, rand.New(rand.NewPCG(1, 2)))
	for name, spoil := range map[string]func(*Network){
		"W":        func(n *Network) { n.W = n.W[:14] },
		"LastPre":  func(n *Network) { n.LastPre = nil },
		"Theta":    func(n *Network) { n.Theta = append(n.Theta, 0) },
		"RefEndI":  func(n *Network) { n.RefEndI = nil },
		"LastPost": func(n *Network) { n.LastPost = n.LastPost[:1] },
	} {
		n := literal(ref)
		spoil(n)
		if err := n.Check(); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s spoiled: Check returned %v", name, err)
		}
	}
	n := literal(ref)
	n.W = n.W[:3]
	defer func() {
		if p, ok := recover().(string); !ok || !strings.HasPrefix(p, "model: ") {
			t.Fatalf("NormalizeColumns on a malformed network: panic %v, want a model: message", p)
		}
	}()
	n.NormalizeColumns(78, nil)
}

// TestActiveSetZeroValue: the zero ActiveSet accepts Add without Reset, for any index,
// and behaves as a Reset one.
func TestActiveSetZeroValue(t *testing.T) {
	var a ActiveSet
	for _, k := range []int{7, 0, 7, 2, 40} {
		a.Add(k)
	}
	if got := a.Members(); !slices.Equal(got, []int32{7, 0, 2, 40}) {
		t.Fatalf("members %v, want [7 0 2 40]", got)
	}
	last := make([]float64, 41)
	last[7], last[0], last[2], last[40] = 10, 0, 9, 10
	a.Prune(last, 10, 5)
	if got := a.Members(); !slices.Equal(got, []int32{7, 2, 40}) {
		t.Fatalf("after prune %v, want [7 2 40]", got)
	}
	a.Add(0)
	if got := a.Members(); !slices.Equal(got, []int32{7, 2, 40, 0}) {
		t.Fatalf("re-added %v", got)
	}
	a.Reset(3)
	a.Add(1)
	if got := a.Members(); !slices.Equal(got, []int32{1}) {
		t.Fatalf("after Reset %v", got)
	}
}

// TestSleepChangesValidate: the zero SleepChanges and every negative, NaN or infinite
// scale are refused with the field named, and each refused change also gives a sleep
// regime that Regime.Validate refuses; NeutralSleep changes nothing but the name and the
// normalization.
func TestSleepChangesValidate(t *testing.T) {
	awake := Awake()
	if err := (SleepChanges{}).Validate(); err == nil || !strings.Contains(err.Error(), "LeakScale") {
		t.Fatalf("zero SleepChanges: %v, want an error naming LeakScale", err)
	}
	n := NeutralSleep()
	if err := n.Validate(); err != nil {
		t.Fatal(err)
	}
	s := Sleep(awake, n)
	want := awake
	want.Name, want.ColumnSum = "sleep", 0
	if s != want {
		t.Fatalf("Sleep(awake, NeutralSleep()) = %+v, want awake without normalization", s)
	}
	fields := map[string]func(*SleepChanges, float64){
		"LeakScale":      func(c *SleepChanges, v float64) { c.LeakScale = v },
		"ExcGain":        func(c *SleepChanges, v float64) { c.ExcGain = v },
		"InhScale":       func(c *SleepChanges, v float64) { c.InhScale = v },
		"PotScale":       func(c *SleepChanges, v float64) { c.PotScale = v },
		"DepScale":       func(c *SleepChanges, v float64) { c.DepScale = v },
		"ThetaPlusScale": func(c *SleepChanges, v float64) { c.ThetaPlusScale = v },
	}
	for name, set := range fields {
		for _, v := range []float64{-1, math.NaN(), math.Inf(1)} {
			c := NeutralSleep()
			set(&c, v)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), name) {
				t.Errorf("%s = %v: %v, want an error naming it", name, v, err)
			}
			if Sleep(awake, c).Validate() == nil {
				t.Errorf("%s = %v: refused by SleepChanges.Validate but the regime passes", name, v)
			}
		}
		c := NeutralSleep()
		set(&c, 0)
		if err := c.Validate(); (err == nil) == (name == "LeakScale") {
			t.Errorf("%s = 0: Validate returned %v", name, err)
		}
	}
}
