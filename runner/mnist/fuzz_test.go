package mnist

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
)

// sentinels are the error kinds a parse of an in-memory stream may report;
// bytes.Reader never fails, so every error must be one of them.
var sentinels = []error{ErrBadMagic, ErrBadHeader, ErrTruncated, ErrCorrupt, ErrBadLabel}

func checkFuzzErr(t *testing.T, err error, name string) {
	t.Helper()
	if !strings.HasPrefix(err.Error(), "mnist: "+name+": ") {
		t.Fatalf("error does not name the stream: %v", err)
	}
	for _, s := range sentinels {
		if errors.Is(err, s) {
			return
		}
	}
	t.Fatalf("error matches no sentinel: %v", err)
}

func FuzzReadImages(f *testing.F) {
	good := idxImages(ImageMagic, 2, 3, 2, nil)
	f.Add(good)
	f.Add(idxImages(ImageMagic, 1, Height, Width, nil))
	f.Add(idxImages(ImageMagic, 0, Height, Width, nil))
	f.Add(good[:len(good)-1])                  // truncated data
	f.Add(good[:imageHeaderLen-3])             // truncated header
	f.Add(append(bytes.Clone(good), 7))        // trailing byte
	f.Add(idxImages(LabelMagic, 2, 3, 2, nil)) // bad magic
	f.Add(idxImages(ImageMagic, MaxImages, Height, Width, []byte{1, 2, 3}))
	f.Add(idxImages(ImageMagic, 5_000_000, Height, Width, []byte{1, 2, 3}))
	f.Add(idxImages(ImageMagic, 0xffffffff, 0xffffffff, 0xffffffff, []byte{}))
	f.Add(idxImages(ImageMagic, 1, MaxDim, MaxDim, []byte{}))
	f.Add([]byte{})

	f.Fuzz(func(t *testing.T, data []byte) {
		const name = "fuzz-images"
		n, rows, cols, pix, err := ReadImages(bytes.NewReader(data), name)
		if err != nil {
			if n != 0 || rows != 0 || cols != 0 || pix != nil {
				t.Fatalf("error with results n=%d rows=%d cols=%d len(pix)=%d: %v", n, rows, cols, len(pix), err)
			}
			checkFuzzErr(t, err, name)
			return
		}
		if rows < 1 || rows > MaxDim || cols < 1 || cols > MaxDim || n < 0 || n > MaxImages {
			t.Fatalf("implausible sizes accepted: n=%d rows=%d cols=%d", n, rows, cols)
		}
		if len(pix) != n*rows*cols || len(data) != imageHeaderLen+len(pix) {
			t.Fatalf("n=%d rows=%d cols=%d: %d pixels from a %d-byte stream", n, rows, cols, len(pix), len(data))
		}
		if binary.BigEndian.Uint32(data[0:]) != ImageMagic ||
			int(binary.BigEndian.Uint32(data[4:])) != n ||
			int(binary.BigEndian.Uint32(data[8:])) != rows ||
			int(binary.BigEndian.Uint32(data[12:])) != cols {
			t.Fatalf("results disagree with the header % x", data[:imageHeaderLen])
		}
		if !bytes.Equal(pix, data[imageHeaderLen:]) {
			t.Fatal("pixels differ from the stream")
		}
	})
}

func FuzzReadLabels(f *testing.F) {
	good := idxLabels(LabelMagic, 3, threeLabels)
	f.Add(good)
	f.Add(idxLabels(LabelMagic, 0, nil))
	f.Add(good[:len(good)-1])                    // truncated data
	f.Add(good[:5])                              // truncated header
	f.Add(append(bytes.Clone(good), 1))          // trailing byte
	f.Add(idxLabels(ImageMagic, 3, threeLabels)) // bad magic
	f.Add(idxLabels(LabelMagic, 3, []byte{1, 2, 200}))
	f.Add(idxLabels(LabelMagic, MaxImages, threeLabels))
	f.Add(idxLabels(LabelMagic, 0xffffffff, threeLabels))
	f.Add([]byte{})

	f.Fuzz(func(t *testing.T, data []byte) {
		const name = "fuzz-labels"
		labels, err := ReadLabels(bytes.NewReader(data), name)
		if err != nil {
			if labels != nil {
				t.Fatalf("error with %d labels: %v", len(labels), err)
			}
			checkFuzzErr(t, err, name)
			return
		}
		if len(data) != labelHeaderLen+len(labels) ||
			binary.BigEndian.Uint32(data[0:]) != LabelMagic ||
			int(binary.BigEndian.Uint32(data[4:])) != len(labels) {
			t.Fatalf("%d labels from a %d-byte stream with header % x", len(labels), len(data), data[:min(len(data), labelHeaderLen)])
		}
		if !bytes.Equal(labels, data[labelHeaderLen:]) {
			t.Fatal("labels differ from the stream")
		}
		for i, l := range labels {
			if l > 9 {
				t.Fatalf("label %d = %d accepted", i, l)
			}
		}
	})
}
