package analysis

import (
	"strings"
	"testing"
)

// TestEvaluateMisuse: a label outside 0..9, fewer labels than count vectors or fewer
// counts than assigned neurons panic with an "analysis: " message naming the problem,
// not with an index error.
func TestEvaluateMisuse(t *testing.T) {
	assign := []int{0, 1}
	for name, f := range map[string]func(){
		"label 10":       func() { Evaluate([][]int32{{1, 0}}, []uint8{10}, assign) },
		"missing labels": func() { Evaluate([][]int32{{1, 0}, {0, 1}}, []uint8{0}, assign) },
		"short counts":   func() { Evaluate([][]int32{{1}}, []uint8{0}, assign) },
	} {
		func() {
			defer func() {
				p, _ := recover().(string)
				if !strings.HasPrefix(p, "analysis: Evaluate: ") {
					t.Errorf("%s: panic %q, want an analysis: Evaluate: message", name, p)
				}
			}()
			f()
		}()
	}
}
