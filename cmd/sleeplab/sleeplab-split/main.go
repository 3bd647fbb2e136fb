// Command sleeplab-split writes a validation split of the MNIST training set as an MNIST
// folder for evsim's -data (a research tool, not part of evsim): its training split is the
// first -train training images, and its test split ("t10k") the remaining ones, which
// training then never sees. `evsim train -data DIR` trains on the first part, and
// `evsim test -data DIR` scores on the held-out part, so a choice made on it never looks
// at the real test set. It made the θ+ study at 1,600 neurons in docs/model.md:
//
//	go run ./cmd/sleeplab/sleeplab-split -train 50000 -out val
//	go run ./cmd/evsim train -data val -n 1600 -epochs 1 -label 0 -theta-plus 0.8 -out v.snap
//	go run ./cmd/evsim test -data val -in v.snap -label 10000 -test 10000
//
// It prints one line: the folder and the two sizes. The four files are gzip-compressed IDX,
// as in the GoMNIST module, each written to a temporary file and renamed into place.
package main

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/evsim/evsim/analysis/outfile"
	"github.com/evsim/evsim/cmd/sleeplab/internal/lab"
	"github.com/evsim/evsim/runner/mnist"
)

func main() { lab.Main("sleeplab-split", run) }

func run(args []string, stdout, stderr io.Writer) error {
	cmd := lab.NewCommand("sleeplab-split", "")
	train := cmd.Flags.Int("train", 50000, "training images to keep for training; the rest of the 60,000 become the held-out split")
	out := cmd.Flags.String("out", "", "folder to write the four IDX files into (created if missing)")
	if err := cmd.Parse(args, stderr); err != nil {
		return err
	}
	if *out == "" {
		return lab.Usagef("-out: give the folder to write into")
	}
	set, err := lab.Load("train", 0)
	if err != nil {
		return err
	}
	if *train < 1 || *train >= set.Len() {
		return lab.Usagef("-train %d: must be in [1, %d] so that both parts hold images", *train, set.Len()-1)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	parts := []struct {
		split  string
		lo, hi int
	}{{"train", 0, *train}, {"t10k", *train, set.Len()}}
	var paths []string
	for _, p := range parts {
		paths = append(paths, filepath.Join(*out, p.split+"-images-idx3-ubyte.gz"), filepath.Join(*out, p.split+"-labels-idx1-ubyte.gz"))
	}
	if err := outfile.Check(paths, nil); err != nil {
		return err
	}
	for k, p := range parts {
		n := p.hi - p.lo
		images := idx(0x803, []uint32{uint32(n), mnist.Height, mnist.Width}, set.Pixels[p.lo*mnist.Pixels:p.hi*mnist.Pixels])
		labels := idx(0x801, []uint32{uint32(n)}, set.Labels[p.lo:p.hi])
		for i, data := range [][]byte{images, labels} {
			z, err := gz(data)
			if err != nil {
				return err
			}
			if err := outfile.WriteFile(paths[2*k+i], z); err != nil {
				return err
			}
		}
	}
	fmt.Fprintf(stdout, "%s: train %d images, t10k %d images (training images %d to %d)\n", *out, *train, set.Len()-*train, *train, set.Len()-1)
	return nil
}

// idx encodes an IDX file of unsigned bytes: the magic number, the dimensions, the data.
func idx(magic uint32, dims []uint32, data []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, magic)
	for _, d := range dims {
		b = binary.BigEndian.AppendUint32(b, d)
	}
	return append(b, data...)
}

func gz(data []byte) ([]byte, error) {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	if _, err := w.Write(data); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
