package event

import (
	"math/rand/v2"
	"testing"

	"github.com/evsim/evsim/model"
)

// TestLayout: every cut covers the population with contiguous blocks in order, block 0
// as asked within its limits, every other block at least a step, all but the last a
// whole number of steps.
func TestLayout(t *testing.T) {
	for _, c := range []struct{ n, w, step int }{{6400, 2, 64}, {6400, 4, 64}, {6403, 3, 64}, {37, 4, 8}, {37, 2, 8}, {100, 3, 8}} {
		tm := &team{blocks: make([]block, c.w), step: c.step}
		for s0 := -c.step; s0 <= c.n+c.step; s0 += c.step / 2 {
			got := tm.layout(c.n, s0)
			if b := &tm.blocks[0]; b.lo != 0 || b.hi != got || got < c.step || got%c.step != 0 {
				t.Fatalf("%+v, s0 %d: block 0 is [%d, %d), layout said %d", c, s0, b.lo, b.hi, got)
			}
			if s0 >= c.step && s0%c.step == 0 && s0 <= c.n-(c.w-1)*c.step && got != s0 {
				t.Fatalf("%+v: block 0 of %d neurons, a legal size, became %d", c, s0, got)
			}
			for k := 1; k < c.w; k++ {
				b, prev := &tm.blocks[k], &tm.blocks[k-1]
				if b.lo != prev.hi || b.hi-b.lo < c.step || (k < c.w-1 && (b.hi-b.lo)%c.step != 0) {
					t.Fatalf("%+v, s0 %d: block %d is [%d, %d) after [%d, %d)", c, s0, k, b.lo, b.hi, prev.lo, prev.hi)
				}
			}
			if last := &tm.blocks[c.w-1]; last.hi != c.n {
				t.Fatalf("%+v, s0 %d: the blocks end at %d", c, s0, last.hi)
			}
		}
	}
}

// TestExamineMaskBlock: a block's examinations stop at its end, whatever bits the mask
// holds past it (left there by an earlier, longer block): the neurons there belong to
// another block, which another worker may be examining.
func TestExamineMaskBlock(t *testing.T) {
	net := model.NewNetwork(784, 200, rand.New(rand.NewPCG(1, 1)))
	e, err := New(net, model.Awake().Frozen())
	if err != nil {
		t.Fatal(err)
	}
	e.em, e.es, e.gThetaEnd = 1, 1, 1 // the state at the frame: every neuron at rest, cold
	e.setThresholds()
	const sentinel = 12345
	for _, c := range []struct{ lo, hi int }{{0, 64}, {64, 128}, {8, 37}, {40, 200}, {0, 7}, {136, 200}} {
		for j := range e.wbudget {
			e.wbudget[j] = sentinel
		}
		mask := make([]uint8, 40)
		for k := range mask {
			mask[k] = 0xff // every bit: the block's and those past its end
		}
		hot, n := e.examineMask(c.lo, c.hi, mask, nil)
		if len(hot) != 0 || n != int64(c.hi-c.lo) {
			t.Fatalf("[%d, %d): %d examinations, %d hot; want %d and none", c.lo, c.hi, n, len(hot), c.hi-c.lo)
		}
		for j, b := range e.wbudget {
			if in := j >= c.lo && j < c.hi; in == (b == sentinel) {
				t.Fatalf("[%d, %d): neuron %d's budget is %d", c.lo, c.hi, j, b)
			}
		}
	}
}
