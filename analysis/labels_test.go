package analysis

import (
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
)

func TestAssignAndClassify(t *testing.T) {
	// 4 neurons, 3 classes. Neuron 0 answers class 2, neuron 1 class 0 (mean 3 vs 2), neuron 2
	// never spikes, neuron 3 ties between classes 0 and 1 (goes to 0).
	counts := [][]int32{
		{0, 3, 0, 1}, // class 0
		{0, 3, 0, 1}, // class 0
		{1, 2, 0, 1}, // class 1
		{5, 0, 0, 0}, // class 2
		{7, 0, 0, 0}, // class 2
	}
	labels := []uint8{0, 0, 1, 2, 2}
	got, err := Assign(counts, labels, 3)
	if err != nil {
		t.Fatal(err)
	}
	if want := []int{2, 0, Unassigned, 0}; !slices.Equal(got, want) {
		t.Fatalf("Assign = %v, want %v", got, want)
	}
	// Class means: class 0 has neurons 1 and 3 (counts 4, 0: mean 2), class 2 has neuron 0
	// (count 3): class 2 wins although class 0's sum (4) is larger.
	if p := Classify([]int32{3, 4, 9, 0}, got, 3); p != 2 {
		t.Fatalf("Classify = %d, want 2 (mean, not sum)", p)
	}
	if p := Classify([]int32{0, 0, 9, 0}, got, 3); p != -1 {
		t.Fatalf("Classify of silent assigned neurons = %d, want -1", p)
	}
	s := Evaluate([][]int32{{3, 0, 0, 0}, {0, 5, 0, 0}, {0, 0, 0, 0}}, []uint8{2, 1, 0}, got)
	if s.N != 3 || s.Correct != 1 || s.Silent != 1 || s.Confusion[1][0] != 1 || s.Accuracy != 1.0/3 {
		t.Fatalf("Evaluate = %+v", s)
	}
}

func TestAssignErrors(t *testing.T) {
	if _, err := Assign([][]int32{{1}}, []uint8{0, 1}, 10); err == nil {
		t.Error("length mismatch accepted")
	}
	if _, err := Assign([][]int32{{1}, {1, 2}}, []uint8{0, 1}, 10); err == nil {
		t.Error("ragged counts accepted")
	}
	if _, err := Assign([][]int32{{1}}, []uint8{12}, 10); err == nil {
		t.Error("label out of range accepted")
	}
}

// TestSumsAndScoresMerge: labels and scores built one presentation at a time in several
// parts, merged in any order, equal Assign and Evaluate over all presentations at once.
func TestSumsAndScoresMerge(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	const n, m = 23, 500
	counts := make([][]int32, m)
	labels := make([]uint8, m)
	for k := range counts {
		labels[k] = uint8(rng.IntN(10))
		counts[k] = make([]int32, n)
		if k%25 == 0 {
			continue // silent: no neuron fires
		}
		for j := range counts[k] {
			if rng.IntN(4) == 0 { // sparse, and some neurons fire for their class mostly
				counts[k][j] = int32(rng.IntN(5))
			}
			if j%10 == int(labels[k]) {
				counts[k][j] += int32(rng.IntN(3))
			}
		}
	}
	want, err := Assign(counts, labels, 10)
	if err != nil {
		t.Fatal(err)
	}
	wantScore := Evaluate(counts, labels, want)
	if wantScore.Correct == 0 || wantScore.Correct+wantScore.Silent == m || wantScore.Silent == 0 {
		t.Fatalf("score %+v: the case must have hits, misses and silent presentations", wantScore)
	}
	for _, parts := range []int{1, 3, 7} {
		sums := make([]*ClassSums, parts)
		scores := make([]Score, parts)
		for p := range sums {
			sums[p] = NewClassSums(n, 10)
		}
		for k := range counts {
			p := rng.IntN(parts)
			if err := sums[p].Add(counts[k], labels[k]); err != nil {
				t.Fatal(err)
			}
			scores[p].Add(counts[k], labels[k], want)
		}
		all, score := NewClassSums(n, 10), Score{}
		for _, p := range rng.Perm(parts) {
			all.Merge(sums[p])
			score.Merge(scores[p])
		}
		got, err := all.Assign()
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) || score != wantScore {
			t.Fatalf("%d parts: labels %v score %+v, want %v %+v", parts, got, score, want, wantScore)
		}
	}
	if _, err := NewClassSums(n, 10).Assign(); err == nil {
		t.Error("labels from no presentations accepted")
	}
	if err := NewClassSums(n, 10).Add(make([]int32, n-1), 0); err == nil {
		t.Error("short counts accepted")
	}
}
