// Package labtest makes the tiny networks that the sleeplab tools' smoke tests run on.
package labtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/evsim/evsim/cmd/sleeplab/internal/lab"
	"github.com/evsim/evsim/model"
	"github.com/evsim/evsim/runner"
	"github.com/evsim/evsim/runner/mnist"
)

// Set loads the first limit images (0: all) of an MNIST split, failing the test if it cannot.
func Set(t testing.TB, split string, limit int) *mnist.Set {
	t.Helper()
	set, err := lab.Load(split, limit)
	if err != nil {
		t.Fatalf("MNIST data not found (it ships with the GoMNIST module): %v", err)
	}
	return set
}

// Snapshot trains a new network of nExc neurons with seed on the first images training
// images under evsim's default regime for its size (model.AwakeN), on the event engine,
// saves it as dir/awakeSEED.snap (the name the sleeplab tools look for) and returns it.
func Snapshot(t testing.TB, dir string, nExc, images int, seed uint64) *runner.Snapshot {
	t.Helper()
	set := Set(t, "train", images)
	spec := runner.EngineSpec{Kind: "event"}
	r := model.AwakeN(nExc)
	net := runner.NewNetwork(mnist.Pixels, nExc, seed)
	if _, err := runner.Train(context.Background(), net, runner.TrainConfig{Set: set, Count: images, Seed: seed, Engine: spec, Regime: r}); err != nil {
		t.Fatal(err)
	}
	sn := &runner.Snapshot{Meta: runner.Meta{NIn: mnist.Pixels, NExc: nExc, Seed: seed, ImagesSeen: images, Regime: r, Engine: spec}, Net: net}
	if err := sn.Save(filepath.Join(dir, fmt.Sprintf("awake%d.snap", seed))); err != nil {
		t.Fatal(err)
	}
	return sn
}

// Run calls a tool's run function with args and returns what it wrote.
func Run(run func(args []string, stdout, stderr io.Writer) error, args ...string) (stdout, stderr string, err error) {
	var o, e bytes.Buffer
	err = run(args, &o, &e)
	return o.String(), e.String(), err
}

// Floats parses every decimal number that s's submatch groups of re capture; it fails the
// test if s does not match.
func Floats(t testing.TB, re *regexp.Regexp, s string) []float64 {
	t.Helper()
	m := re.FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("%q does not match %v", s, re)
	}
	var out []float64
	for _, g := range m[1:] {
		f, err := strconv.ParseFloat(g, 64)
		if err != nil {
			t.Fatalf("%q in %q: %v", g, s, err)
		}
		out = append(out, f)
	}
	return out
}

// Refuses checks that run refuses args with a one-line *lab.UsageError containing want
// (exit status 2), before writing anything to stdout.
func Refuses(t testing.TB, run func(args []string, stdout, stderr io.Writer) error, want string, args ...string) {
	t.Helper()
	stdout, _, err := Run(run, args...)
	var ue *lab.UsageError
	switch {
	case !errors.As(err, &ue):
		t.Errorf("%q: got error %v, want a usage error containing %q", args, err, want)
	case !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "\n"):
		t.Errorf("%q: got %q, want one line containing %q", args, err, want)
	case stdout != "":
		t.Errorf("%q: refused after writing %q", args, stdout)
	}
}
