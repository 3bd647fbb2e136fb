package analysis

import "fmt"

// Unassigned marks a neuron that never responded to any class.
const Unassigned = -1

// Assign labels each neuron with the class of its highest mean response (Diehl & Cook):
// counts[k][j] is neuron j's spike count on presentation k, labels[k] its class in
// [0, classes). Neurons that never spiked get Unassigned. Ties go to the lower class.
func Assign(counts [][]int32, labels []uint8, classes int) ([]int, error) {
	if len(counts) != len(labels) {
		return nil, fmt.Errorf("analysis: %d count vectors for %d labels", len(counts), len(labels))
	}
	if len(counts) == 0 {
		return nil, fmt.Errorf("analysis: no presentations to assign labels from")
	}
	n := len(counts[0])
	sum := make([]float64, classes*n)
	per := make([]int, classes)
	for k, c := range counts {
		if len(c) != n {
			return nil, fmt.Errorf("analysis: count vector %d has %d neurons, want %d", k, len(c), n)
		}
		y := int(labels[k])
		if y >= classes {
			return nil, fmt.Errorf("analysis: label %d of presentation %d outside [0, %d)", y, k, classes)
		}
		per[y]++
		for j, v := range c {
			sum[y*n+j] += float64(v)
		}
	}
	out := make([]int, n)
	for j := range n {
		best, arg := 0.0, Unassigned
		for y := range classes {
			if per[y] == 0 {
				continue
			}
			if m := sum[y*n+j] / float64(per[y]); m > best {
				best, arg = m, y
			}
		}
		out[j] = arg
	}
	return out, nil
}

// Classify predicts the class whose assigned neurons have the highest mean count (the
// mean, not the sum, as in Diehl & Cook). Returns -1 when no assigned neuron spiked.
// Ties go to the lower class.
func Classify(counts []int32, assign []int, classes int) int {
	var sum [16]float64
	var num [16]int
	if classes > len(sum) {
		panic("analysis: Classify supports at most 16 classes")
	}
	for j, y := range assign {
		if y >= 0 {
			sum[y] += float64(counts[j])
			num[y]++
		}
	}
	best, arg := 0.0, -1
	for y := range classes {
		if num[y] == 0 {
			continue
		}
		if m := sum[y] / float64(num[y]); m > best {
			best, arg = m, y
		}
	}
	return arg
}

// Score is the result of classifying a set of presentations.
type Score struct {
	N         int         `json:"n"`
	Correct   int         `json:"correct"`
	Accuracy  float64     `json:"accuracy"`
	Silent    int         `json:"silent"`    // presentations with no prediction
	Confusion [10][10]int `json:"confusion"` // [true][predicted]
}

// Evaluate classifies every presentation and scores it against labels (10 classes).
// There must be a label in 0..9 for every count vector, and a count for every element of
// assign: anything else is a programmer error and panics with an "analysis: " message.
func Evaluate(counts [][]int32, labels []uint8, assign []int) Score {
	if len(labels) < len(counts) {
		panic(fmt.Sprintf("analysis: Evaluate: %d count vectors for %d labels", len(counts), len(labels)))
	}
	var s Score
	for k, c := range counts {
		if labels[k] >= 10 || len(c) < len(assign) {
			panic(fmt.Sprintf("analysis: Evaluate: presentation %d has label %d (want 0..9) and %d counts for %d assigned neurons", k, labels[k], len(c), len(assign)))
		}
		p := Classify(c, assign, 10)
		s.N++
		if p < 0 {
			s.Silent++
			continue
		}
		s.Confusion[labels[k]][p]++
		if p == int(labels[k]) {
			s.Correct++
		}
	}
	if s.N > 0 {
		s.Accuracy = float64(s.Correct) / float64(s.N)
	}
	return s
}
