package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// progress draws "label  done/total [====>    ] 612 img/s  ETA 1m32s" on stderr: redrawn in
// place on a terminal, a line every 10 s otherwise. Safe for concurrent Update calls.
type progress struct {
	mu       sync.Mutex
	w        io.Writer
	name     string
	unit     string                // what done counts, in the rate: "img", "ms", "units"
	label    func(done int) string // the label drawn, if not the name
	total    int
	start    time.Time
	last     time.Time
	tty      bool
	quiet    bool
	finished bool
}

// newProgress is a bar named label over total counts of unit.
func newProgress(label, unit string, total int, quiet bool) *progress {
	tty := false
	if fi, err := os.Stderr.Stat(); err == nil {
		tty = fi.Mode()&os.ModeCharDevice != 0
	}
	now := time.Now()
	return &progress{w: os.Stderr, name: label, unit: unit, total: total, start: now, last: now, tty: tty, quiet: quiet}
}

// rateText is the rate of done per second in unit: per minute below one a second, so that
// slow bars (a search's units) do not read 0.
func rateText(rate float64, unit string) string {
	if rate < 1 {
		return fmt.Sprintf("%.2g %s/min", rate*60, unit)
	}
	return fmt.Sprintf("%.0f %s/s", rate, unit)
}

func (p *progress) Update(done int) {
	if p.quiet {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	every := 10 * time.Second
	if p.tty {
		every = 200 * time.Millisecond
	}
	if done < p.total && now.Sub(p.last) < every {
		return
	}
	p.last = now
	p.draw(done, now)
}

func (p *progress) draw(done int, now time.Time) {
	el := now.Sub(p.start).Seconds()
	rate := float64(done) / max(el, 1e-9)
	eta := "?"
	if rate > 0 {
		eta = (time.Duration(float64(p.total-done)/rate) * time.Second).Round(time.Second).String()
	}
	const width = 30
	fill := width * done / max(p.total, 1)
	bar := strings.Repeat("=", fill) + strings.Repeat(" ", width-fill)
	name := p.name
	if p.label != nil {
		name = p.label(done)
	}
	line := fmt.Sprintf("%-6s %d/%d [%s] %s  ETA %s", name, done, p.total, bar, rateText(rate, p.unit), eta)
	if p.tty {
		fmt.Fprintf(p.w, "\r%s\x1b[K", line)
		if done >= p.total {
			fmt.Fprintln(p.w)
		}
	} else {
		fmt.Fprintln(p.w, line)
	}
}
