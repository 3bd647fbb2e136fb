package main

import (
	"path/filepath"
	"regexp"
	"testing"

	"github.com/evsim/evsim/cmd/sleeplab/internal/labtest"
)

var line = regexp.MustCompile(`: (\d+) of \d+ neurons fired; \d+ per image \(median\); winner's drive rank: best ([\d.]+) %, best 10 [\d.]+ %, median (\d+), p90 \d+; winner's θ quantile: p10 [\d.]+, median ([\d.]+), p90 [\d.]+`)

// TestWinners: in a network whose neuron j holds image j as its template and whose
// thresholds are equal, the best match wins nearly every image (drive rank 0); give one
// neuron a threshold far below the others' and it wins every image, whatever its
// template, at θ quantile 0 (the lowest).
func TestWinners(t *testing.T) {
	const n = 10
	dir := t.TempDir()
	sn := labtest.Snapshot(t, dir, n, 0, 1)
	set := labtest.Set(t, "train", n)
	net := sn.Net
	for j := range n {
		img := set.Image(j)
		sum := 0.0
		for _, p := range img {
			sum += float64(p)
		}
		for i, p := range img {
			net.W[i*n+j] = float32(78 * float64(p) / sum)
		}
		net.Theta[j] = 0
	}
	match := filepath.Join(dir, "match.snap")
	if err := sn.Save(match); err != nil {
		t.Fatal(err)
	}
	for j := 1; j < n; j++ {
		net.Theta[j] = 1000 // mV: out of reach
	}
	theta := filepath.Join(dir, "theta.snap")
	if err := sn.Save(theta); err != nil {
		t.Fatal(err)
	}
	out, _, err := labtest.Run(run, "-images", "10", match, theta)
	if err != nil {
		t.Fatal(err)
	}
	lines := regexp.MustCompile("\n").Split(out, -1)
	if len(lines) != 3 {
		t.Fatalf("want one line per snapshot, got %q", out)
	}
	m := labtest.Floats(t, line, lines[0])
	if m[1] < 80 || m[2] != 0 {
		t.Errorf("templates: %s\nwant the best match to win at least 80 %% of images, median rank 0", lines[0])
	}
	m = labtest.Floats(t, line, lines[1])
	if m[0] != 1 || m[3] != 0 {
		t.Errorf("one low threshold: %s\nwant one neuron firing, at θ quantile 0", lines[1])
	}
}

func TestWinnersRefuses(t *testing.T) {
	labtest.Refuses(t, run, "-images 0", "-images", "0", "x.snap")
	labtest.Refuses(t, run, "snapshots", "-images", "5")
}
