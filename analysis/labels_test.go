package analysis

import (
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
