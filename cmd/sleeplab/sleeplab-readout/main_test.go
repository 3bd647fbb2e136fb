package main

import (
	"encoding/gob"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/evsim/evsim/cmd/sleeplab/internal/lab"
	"github.com/evsim/evsim/cmd/sleeplab/internal/labtest"
)

func writeCounts(t *testing.T, path string, c lab.Counts) string {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := gob.NewEncoder(f).Encode(c); err != nil {
		t.Fatal(err)
	}
	return path
}

// grandmother gives counts where neuron y fires 4 spikes for class y and nothing else, and
// neuron 10 never fires on the labelling images; on the validation images neuron 10 fires
// noise spikes for every image.
func grandmother(labels []uint8, noise int32) [][]int32 {
	out := make([][]int32, len(labels))
	for k, y := range labels {
		out[k] = make([]int32, 11)
		out[k][y] = 4
		out[k][10] = noise
	}
	return out
}

// TestReadout: on counts where each class has its own neuron every read-out is perfect;
// when a neuron labelled 0 fires for every validation image, the vote fails on every image
// that is not a 0, and only the oracle that drops it recovers.
func TestReadout(t *testing.T) {
	set := labtest.Set(t, "train", 0)
	const nLabel, nVal = 60, 30
	ll, vl := set.Labels[:nLabel], set.Labels[set.Len()-nVal:]
	for y := range uint8(10) {
		if !strings.Contains(string(ll), string([]byte{y})) || !strings.Contains(string(vl), string([]byte{y})) {
			t.Fatalf("class %d missing from the first %d or last %d training labels", y, nLabel, nVal)
		}
	}
	dir := t.TempDir()
	clean := writeCounts(t, filepath.Join(dir, "clean.gob"), lab.Counts{Label: grandmother(ll, 0), Val: grandmother(vl, 0)})
	// Neuron 10 fires 10 spikes for every class-0 labelling image: it is labelled 0.
	label := grandmother(ll, 0)
	for k, y := range ll {
		if y == 0 {
			label[k][10] = 10
		}
	}
	noisy := writeCounts(t, filepath.Join(dir, "noisy.gob"), lab.Counts{Label: label, Val: grandmother(vl, 10)})
	stdout, _, err := labtest.Run(run, "-val", fmt.Sprint(nVal), clean, noisy)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("got %d lines, want one per file:\n%s", len(lines), stdout)
	}
	row := func(p string) *regexp.Regexp {
		n := `(\d\.\d{4})`
		return regexp.MustCompile(`^` + regexp.QuoteMeta(p) + ` +DC ` + n + `  norm ` + n + `  ridge ` + n +
			`  greedy-drop\(val oracle\) ` + n + `  silent-on-label (\d+)  spikes/img (\d+\.\d)$`)
	}
	if v := labtest.Floats(t, row(clean), lines[0]); fmt.Sprint(v) != "[1 1 1 1 1 4]" {
		t.Errorf("clean counts: DC, norm, ridge, greedy, silent, spikes/img = %v, want [1 1 1 1 1 4]", v)
	}
	zeros := strings.Count(string(vl), "\x00")
	v := labtest.Floats(t, row(noisy), lines[1])
	if want := fmt.Sprintf("%.4f", float64(zeros)/nVal); fmt.Sprintf("%.4f", v[0]) != want {
		t.Errorf("noisy counts: DC %v, want %s (the 0s only)", v[0], want)
	}
	if v[3] != 1 || v[4] != 0 || v[5] != 14 {
		t.Errorf("noisy counts: greedy, silent, spikes/img = %v, want 1, 0, 14", v[3:])
	}

	// Refusals.
	short := writeCounts(t, filepath.Join(dir, "short.gob"), lab.Counts{Label: grandmother(ll, 0), Val: grandmother(vl[1:], 0)})
	if _, _, err := labtest.Run(run, "-val", fmt.Sprint(nVal), short); err == nil || !strings.Contains(err.Error(), "29 validation rows") {
		t.Errorf("counts of another -val: got %v, want an error naming the 29 rows", err)
	}
	ragged := grandmother(vl, 0)
	ragged[3] = ragged[3][:5]
	bad := writeCounts(t, filepath.Join(dir, "ragged.gob"), lab.Counts{Label: grandmother(ll, 0), Val: ragged})
	if _, _, err := labtest.Run(run, "-val", fmt.Sprint(nVal), bad); err == nil || !strings.Contains(err.Error(), "5 neurons") {
		t.Errorf("ragged counts: got %v, want an error naming the short row", err)
	}
	junk := filepath.Join(dir, "junk.gob")
	os.WriteFile(junk, []byte("not a gob"), 0o644)
	if _, _, err := labtest.Run(run, junk); err == nil || !strings.Contains(err.Error(), "junk.gob") {
		t.Errorf("junk file: got %v, want an error naming it", err)
	}
	labtest.Refuses(t, run, "-val 0", "-val", "0", clean)
	labtest.Refuses(t, run, "flag provided but not defined: -label", "-label", "3", clean)
}
