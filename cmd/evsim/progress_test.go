package main

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// TestProgressRate: each bar's rate is in what it counts, and a slow bar does not read 0.
func TestProgressRate(t *testing.T) {
	cases := []struct {
		label, unit string
		done, secs  int
		want        string
	}{
		{"label", "img", 1200, 2, "600 img/s"},
		{"train", "img", 3, 6, "30 img/min"},
		{"sleep", "ms", 5000, 2, "2500 ms/s"},
		{"search", "units", 2, 100, "1.2 units/min"},
		{"search", "units", 1, 600, "0.1 units/min"},
	}
	for _, c := range cases {
		var w bytes.Buffer
		start := time.Unix(1000, 0)
		p := &progress{w: &w, name: c.label, unit: c.unit, total: 10000, start: start}
		p.draw(c.done, start.Add(time.Duration(c.secs)*time.Second))
		if !strings.Contains(w.String(), " "+c.want+"  ETA") {
			t.Errorf("%s bar, %d done in %d s: %q, want the rate %q", c.label, c.done, c.secs, w.String(), c.want)
		}
	}
}
