package main

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/evsim/evsim/cmd/sleeplab/internal/labtest"
	"github.com/evsim/evsim/runner/mnist"
)

// TestSplit: the folder loads as MNIST, its training split is the first -train training
// images and its t10k split the rest, image for image and label for label; bad flags are
// refused.
func TestSplit(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "val")
	stdout, _, err := labtest.Run(run, "-train", "59000", "-out", dir)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout, "train 59000 images, t10k 1000 images") {
		t.Errorf("stdout %q", stdout)
	}
	full := labtest.Set(t, "train", 0)
	tr, err := mnist.Load(dir, "train", 0)
	if err != nil {
		t.Fatal(err)
	}
	te, err := mnist.Load(dir, "t10k", 0)
	if err != nil {
		t.Fatal(err)
	}
	if tr.Len() != 59000 || te.Len() != 1000 {
		t.Fatalf("sizes %d and %d, want 59000 and 1000", tr.Len(), te.Len())
	}
	if !slices.Equal(tr.Pixels, full.Pixels[:59000*mnist.Pixels]) || !slices.Equal(tr.Labels, full.Labels[:59000]) {
		t.Error("the training split is not the first 59,000 training images")
	}
	if !slices.Equal(te.Pixels, full.Pixels[59000*mnist.Pixels:]) || !slices.Equal(te.Labels, full.Labels[59000:]) {
		t.Error("the held-out split is not the last 1,000 training images")
	}
	for _, bad := range [][]string{{"-train", "0", "-out", dir}, {"-train", "60000", "-out", dir}, {"-train", "10"}, {"x"}} {
		if _, _, err := labtest.Run(run, bad...); err == nil {
			t.Errorf("%v: accepted", bad)
		}
	}
}
