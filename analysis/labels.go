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
	sums := NewClassSums(len(counts[0]), classes)
	for k, c := range counts {
		if err := sums.Add(c, labels[k]); err != nil {
			return nil, fmt.Errorf("analysis: presentation %d: %w", k, err)
		}
	}
	return sums.Assign()
}

// ClassSums accumulates the responses that Assign needs, one presentation at a time: per
// class, the number of presentations and each neuron's total count, in integers, so that
// partial sums (of workers, say) merge to the same result in any order. Its memory is
// classes × neurons, whatever the number of presentations.
type ClassSums struct {
	n, classes int
	sum        []int64 // [class·n + neuron]
	per        []int
}

// NewClassSums returns empty sums for n neurons and the given number of classes.
func NewClassSums(n, classes int) *ClassSums {
	return &ClassSums{n: n, classes: classes, sum: make([]int64, classes*n), per: make([]int, classes)}
}

// Add adds one presentation of class y with counts c (one per neuron).
func (s *ClassSums) Add(c []int32, y uint8) error {
	if len(c) != s.n {
		return fmt.Errorf("%d counts, want one per neuron (%d)", len(c), s.n)
	}
	if int(y) >= s.classes {
		return fmt.Errorf("label %d outside [0, %d)", y, s.classes)
	}
	s.per[y]++
	row := s.sum[int(y)*s.n : (int(y)+1)*s.n]
	for j, v := range c {
		row[j] += int64(v)
	}
	return nil
}

// Merge adds the presentations of o (same neurons and classes) to s.
func (s *ClassSums) Merge(o *ClassSums) {
	if o.n != s.n || o.classes != s.classes {
		panic(fmt.Sprintf("analysis: ClassSums.Merge: %d neurons × %d classes into %d × %d", o.n, o.classes, s.n, s.classes))
	}
	for k, v := range o.sum {
		s.sum[k] += v
	}
	for y, v := range o.per {
		s.per[y] += v
	}
}

// Assign is Assign over the presentations added so far.
func (s *ClassSums) Assign() ([]int, error) {
	total := 0
	for _, v := range s.per {
		total += v
	}
	if total == 0 {
		return nil, fmt.Errorf("analysis: no presentations to assign labels from")
	}
	out := make([]int, s.n)
	for j := range s.n {
		best, arg := 0.0, Unassigned
		for y := range s.classes {
			if s.per[y] == 0 {
				continue
			}
			// Exact as a float64 below 2^53 spikes: the mean is the one a float64 sum gives.
			if m := float64(s.sum[y*s.n+j]) / float64(s.per[y]); m > best {
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
		s.Add(c, labels[k], assign)
	}
	return s
}

// Add classifies one presentation with counts c and true class y (0..9) by assign and
// adds it to the score, Accuracy included. A class outside 0..9, or fewer counts than
// assign has neurons, is a programmer error and panics with an "analysis: " message.
func (s *Score) Add(c []int32, y uint8, assign []int) {
	if y >= 10 || len(c) < len(assign) {
		panic(fmt.Sprintf("analysis: Score.Add: class %d (want 0..9) and %d counts for %d assigned neurons", y, len(c), len(assign)))
	}
	s.N++
	if p := Classify(c, assign, 10); p < 0 {
		s.Silent++
	} else {
		s.Confusion[y][p]++
		if p == int(y) {
			s.Correct++
		}
	}
	s.Accuracy = float64(s.Correct) / float64(s.N)
}

// Merge adds the presentations of o to s, Accuracy included.
func (s *Score) Merge(o Score) {
	s.N += o.N
	s.Correct += o.Correct
	s.Silent += o.Silent
	for y := range s.Confusion {
		for p := range s.Confusion[y] {
			s.Confusion[y][p] += o.Confusion[y][p]
		}
	}
	if s.N > 0 {
		s.Accuracy = float64(s.Correct) / float64(s.N)
	}
}
