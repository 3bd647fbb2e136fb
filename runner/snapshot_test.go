package runner

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/evsim/evsim/analysis/outfile"
	"github.com/evsim/evsim/model"
)

// validSnapshot is a labelled 3-input, 2-neuron snapshot.
func validSnapshot() *Snapshot {
	return &Snapshot{Meta: Meta{NIn: 3, NExc: 2, Seed: 1, ImagesSeen: 10, Regime: model.Awake(), Engine: EngineSpec{Kind: "event"},
		Labels: []int{1, -1}, LabelImages: 5}, Net: NewNetwork(3, 2, 1)}
}

func encode(t *testing.T, s *Snapshot) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := s.Encode(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestDecodeRefusesCrafted: snapshots with a right checksum but an impossible field or
// value are refused, with the field named; the legitimate extremes are accepted.
func TestDecodeRefusesCrafted(t *testing.T) {
	huge := int64(1) << 62 // a variable: where int has 32 bits, the case is skipped
	for _, tc := range []struct {
		name, want string
		edit       func(s *Snapshot)
	}{
		{"label 42", "label of neuron 0 is 42", func(s *Snapshot) { s.Meta.Labels[0] = 42 }},
		{"label -2", "label of neuron 1 is -2", func(s *Snapshot) { s.Meta.Labels[1] = -2 }},
		{"3 labels for 2 neurons", "3 labels for 2 neurons", func(s *Snapshot) { s.Meta.Labels = []int{1, 2, 3} }},
		{"images_seen -7", "images_seen = -7", func(s *Snapshot) { s.Meta.ImagesSeen = -7 }},
		{"images_seen 2^62", "images_seen = 4611686018427387904", func(s *Snapshot) { s.Meta.ImagesSeen = int(huge) }},
		{"label_images -1", "label_images = -1", func(s *Snapshot) { s.Meta.LabelImages = -1 }},
		{"label_images without labels", "label_images = 5 but no labels", func(s *Snapshot) { s.Meta.Labels = nil }},
		{"engine", `engine "warp"`, func(s *Snapshot) { s.Meta.Engine.Kind = "warp" }},
		{"stepped dt 0", `engine "stepped" with dt = 0`, func(s *Snapshot) { s.Meta.Engine.Kind = "stepped" }},
		{"event with dt", `engine "event" with dt = 0.5`, func(s *Snapshot) { s.Meta.Engine.Dt = 0.5 }},
		{"regime", "TauS = -1", func(s *Snapshot) { s.Meta.Regime.TauS = -1 }},
		{"pending", "pending is [1]", func(s *Snapshot) { s.Meta.Pending = json.RawMessage("[1]") }},
		{"theta NaN", "Theta[1] = NaN", func(s *Snapshot) { s.Net.Theta[1] = math.NaN() }},
		{"theta negative", "Theta[0] = -0.5", func(s *Snapshot) { s.Net.Theta[0] = -0.5 }},
		{"theta +Inf", "Theta[0] = +Inf", func(s *Snapshot) { s.Net.Theta[0] = math.Inf(1) }},
		{"weight NaN", "W[4] = NaN", func(s *Snapshot) { s.Net.W[4] = float32(math.NaN()) }},
		{"weight +Inf", "W[1] = +Inf", func(s *Snapshot) { s.Net.W[1] = float32(math.Inf(1)) }},
		{"weight negative", "W[0] = -1", func(s *Snapshot) { s.Net.W[0] = -1 }},
		{"U +Inf", "U[0] = +Inf", func(s *Snapshot) { s.Net.U[0] = math.Inf(1) }},
		{"I NaN", "I[1] = NaN", func(s *Snapshot) { s.Net.I[1] = math.NaN() }},
		{"inhibitory u -Inf", "UI[0] = -Inf", func(s *Snapshot) { s.Net.UI[0] = math.Inf(-1) }},
		{"II NaN", "II[0] = NaN", func(s *Snapshot) { s.Net.II[0] = math.NaN() }},
		{"refractory end -Inf", "RefEnd[0] = -Inf", func(s *Snapshot) { s.Net.RefEnd[0] = math.Inf(-1) }},
		{"inhibitory refractory NaN", "RefEndI[1] = NaN", func(s *Snapshot) { s.Net.RefEndI[1] = math.NaN() }},
		{"last input spike NaN", "LastPre[2] = NaN", func(s *Snapshot) { s.Net.LastPre[2] = math.NaN() }},
		{"last spike +Inf", "LastPost[0] = +Inf", func(s *Snapshot) { s.Net.LastPost[0] = math.Inf(1) }},
	} {
		if strconv.IntSize < 64 && tc.name == "images_seen 2^62" {
			continue // not an int here: JSON refuses it before the check
		}
		s := validSnapshot()
		tc.edit(s)
		_, err := DecodeSnapshot(encode(t, s))
		if !errors.Is(err, ErrSnapshot) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want ErrSnapshot saying %q", tc.name, err, tc.want)
		}
	}
	for _, tc := range []struct {
		name string
		edit func(s *Snapshot)
	}{
		{"as built", func(*Snapshot) {}},
		{"no labels", func(s *Snapshot) { s.Meta.Labels, s.Meta.LabelImages = nil, 0 }},
		{"labels from 0 images", func(s *Snapshot) { s.Meta.LabelImages = 0 }},
		{"stepped", func(s *Snapshot) { s.Meta.Engine = EngineSpec{Kind: "stepped", Dt: 0.25} }},
		{"bounds", func(s *Snapshot) {
			top := int(min(int64(MaxImagesSeen), math.MaxInt)) // where int has 32 bits, its largest
			s.Meta.ImagesSeen, s.Meta.LabelImages, s.Meta.Labels = top, top, []int{-1, 9}
		}},
		{"checkpoint", func(s *Snapshot) { s.Meta.Pending = json.RawMessage(`{"args":["-phase","train"],"start":3}`) }},
		{"provenance", func(s *Snapshot) { p := CurrentProvenance([]string{"evsim"}); s.Meta.Provenance = &p }},
		{"spike times", func(s *Snapshot) { s.Net.LastPost[0], s.Net.LastPre[1], s.Net.RefEnd[1] = -12.5, math.Inf(-1), 3 }},
	} {
		s := validSnapshot()
		tc.edit(s)
		got, err := DecodeSnapshot(encode(t, s))
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if !bytes.Equal(encode(t, got), encode(t, s)) {
			t.Errorf("%s: decoding changed the snapshot", tc.name)
		}
	}
}

// TestLoadRefusesNonRegular: a FIFO (without blocking), a folder and /dev/zero are
// refused as not regular files, before anything is read.
func TestLoadRefusesNonRegular(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	paths := map[string]string{fifo: "a FIFO", dir: "a directory"}
	if _, err := os.Stat("/dev/zero"); err == nil {
		paths["/dev/zero"] = "a character device"
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for p, what := range paths {
			_, err := LoadSnapshot(p)
			if !errors.Is(err, ErrSnapshot) || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), what+", not a regular file") {
				t.Errorf("%s: error %v, want ErrSnapshot saying it is %s", p, err, what)
			}
		}
	}()
	select {
	case <-done:
	case <-time.After(time.Minute): // a hang guard, not a timing assertion
		t.Fatal("LoadSnapshot blocked on a special file")
	}
}

// loadAllocs loads path and returns the bytes allocated meanwhile and the error.
func loadAllocs(path string) (uint64, error) {
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	_, err := LoadSnapshot(path)
	runtime.ReadMemStats(&m1)
	return m1.TotalAlloc - m0.TotalAlloc, err
}

// TestLoadLargeFiles: sparse 6 GB files are refused after reading their header and meta
// only: one of zeros (no magic), one whose meta claims a network that does not match the
// file's size, and one whose meta matches its size but exceeds MaxSnapshotBytes.
func TestLoadLargeFiles(t *testing.T) {
	dir := t.TempDir()
	const size = 6 << 30
	sparse := func(name string, head []byte, size int64) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, head, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Truncate(p, size); err != nil {
			t.Skipf("cannot make a sparse %d-byte file here: %v", size, err)
		}
		return p
	}
	header := func(m Meta) []byte {
		meta, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		b.WriteString(snapMagic)
		binary.Write(&b, binary.LittleEndian, uint32(SnapVersion))
		binary.Write(&b, binary.LittleEndian, uint32(len(meta)))
		b.Write(meta)
		return b.Bytes()
	}
	m := validSnapshot().Meta
	m.NIn, m.NExc, m.Labels, m.LabelImages = 784, 2_000_000, nil, 0
	head := header(m)
	exact := int64(len(head)) + nArrays*8 + 4 + 4*784*2_000_000 + 8*(8*2_000_000+784) // about 6.4 GB
	for _, tc := range []struct {
		name, want string
		path       string
	}{
		{"zeros", "missing magic", sparse("zeros.snap", nil, size)},
		{"size mismatch", "the file holds 6442450944 bytes", sparse("mismatch.snap", head, size)},
		{"too large", "more than the 4294967296 bytes read", sparse("huge.snap", head, exact)},
	} {
		grew, err := loadAllocs(tc.path)
		if !errors.Is(err, ErrSnapshot) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want ErrSnapshot saying %q", tc.name, err, tc.want)
		}
		if grew > 1<<20 {
			t.Errorf("%s: loading allocated %d bytes", tc.name, grew)
		}
	}
}

// TestLoadTruncatedOrExtended: a saved snapshot cut short at several points, or with a
// byte appended, is refused; the intact file loads.
func TestLoadTruncatedOrExtended(t *testing.T) {
	p := filepath.Join(t.TempDir(), "n.snap")
	if err := validSnapshot().Save(p); err != nil {
		t.Fatal(err)
	}
	full, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := LoadSnapshot(p); err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{0, 5, headerLen, headerLen + 10, len(full) / 2, len(full) - 9, len(full) - 4, len(full) - 1} {
		os.WriteFile(p, full[:n], 0o644)
		if _, err := LoadSnapshot(p); !errors.Is(err, ErrSnapshot) || !strings.Contains(err.Error(), p) {
			t.Errorf("cut to %d of %d bytes: error %v", n, len(full), err)
		}
	}
	os.WriteFile(p, append(full, 0), 0o644)
	if _, err := LoadSnapshot(p); !errors.Is(err, ErrSnapshot) {
		t.Errorf("one byte appended: error %v", err)
	}
}

// TestSaveTargets: Save refuses /dev/null, a folder and a read-only file (also as root)
// and leaves them as they were; it writes through a symlink and keeps the link.
func TestSaveTargets(t *testing.T) {
	dir := t.TempDir()
	s := validSnapshot()
	ro := filepath.Join(dir, "ro.snap")
	os.WriteFile(ro, []byte("keep"), 0o444)
	os.Chmod(ro, 0o444)
	for p, kind := range map[string]error{"/dev/null": outfile.ErrNotRegular, dir: outfile.ErrNotRegular, ro: outfile.ErrNotWritable} {
		if _, err := os.Stat(p); err != nil {
			continue
		}
		if err := s.Save(p); !errors.Is(err, kind) {
			t.Errorf("Save(%s): error %v, want %v", p, err, kind)
		}
	}
	if fi, err := os.Stat("/dev/null"); err == nil && fi.Mode()&fs.ModeCharDevice == 0 {
		t.Fatal("/dev/null was replaced")
	}
	if b, _ := os.ReadFile(ro); string(b) != "keep" {
		t.Fatal("read-only file was replaced")
	}
	real := filepath.Join(dir, "real.snap")
	link := filepath.Join(dir, "latest.snap")
	os.WriteFile(real, nil, 0o644)
	if err := os.Symlink("real.snap", link); err != nil {
		t.Fatal(err)
	}
	if err := s.Save(link); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Fatal("the symlink was replaced")
	}
	if got, err := LoadSnapshot(real); err != nil || !bytes.Equal(encode(t, got), encode(t, s)) {
		t.Fatalf("the symlink's target does not hold the snapshot: %v", err)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if outfile.IsTemp(e.Name()) {
			t.Errorf("temporary file left: %s", e.Name())
		}
	}
}

// encodeV1 writes s in format version 1, as evsim wrote it before the weights moved to
// float32: every array float64, the weights given by w64.
func encodeV1(t *testing.T, s *Snapshot, w64 []float64) []byte {
	t.Helper()
	meta, err := json.Marshal(s.Meta)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	b.WriteString(snapMagic)
	binary.Write(&b, binary.LittleEndian, uint32(1))
	binary.Write(&b, binary.LittleEndian, uint32(len(meta)))
	b.Write(meta)
	for _, a := range append([][]float64{w64}, stateArrays(s.Net)...) {
		binary.Write(&b, binary.LittleEndian, uint64(len(a)))
		binary.Write(&b, binary.LittleEndian, a)
	}
	binary.Write(&b, binary.LittleEndian, crc(b.Bytes()))
	return b.Bytes()
}

// TestReadVersion1: a version-1 snapshot (float64 weights) still loads, each weight rounded
// to the nearest float32 and every other array unchanged; it is written back as version 2,
// half the weight bytes. A version-1 weight beyond float32's range is refused, naming it.
func TestReadVersion1(t *testing.T) {
	s := validSnapshot()
	w64 := []float64{0.1, 0.2, 1.0 / 3, 0, 0.5, 0.7}
	data := encodeV1(t, s, w64)
	got, err := DecodeSnapshot(data)
	if err != nil {
		t.Fatal(err)
	}
	for k, x := range w64 {
		if got.Net.W[k] != float32(x) {
			t.Errorf("W[%d] = %v, want %v rounded to float32 (%v)", k, got.Net.W[k], x, float32(x))
		}
	}
	if !slices.Equal(got.Net.Theta, s.Net.Theta) || !slices.Equal(got.Net.U, s.Net.U) || !slices.Equal(got.Net.LastPre, s.Net.LastPre) {
		t.Error("a version-1 snapshot's float64 arrays changed on reading")
	}
	v2 := encode(t, got)
	if binary.LittleEndian.Uint32(v2[len(snapMagic):]) != SnapVersion || len(data)-len(v2) != 4*len(w64) {
		t.Errorf("re-encoded: version %d, %d bytes against version 1's %d: want version %d, 4 bytes less per weight",
			binary.LittleEndian.Uint32(v2[len(snapMagic):]), len(v2), len(data), SnapVersion)
	}
	w64[2] = 1e39 // finite in float64, +Inf in float32
	if _, err := DecodeSnapshot(encodeV1(t, s, w64)); !errors.Is(err, ErrSnapshot) || !strings.Contains(err.Error(), "W[2] = 1e+39") {
		t.Errorf("a weight beyond float32: error %v, want ErrSnapshot naming W[2]", err)
	}
}

// TestUnknownVersionRefused: versions other than 1 and 2 are refused, naming the version,
// even with a right checksum.
func TestUnknownVersionRefused(t *testing.T) {
	for _, v := range []uint32{0, 3, 1 << 31} {
		data := encode(t, validSnapshot())
		binary.LittleEndian.PutUint32(data[len(snapMagic):], v)
		binary.LittleEndian.PutUint32(data[len(data)-4:], crc(data[:len(data)-4]))
		want := fmt.Sprintf("format version %d, this evsim reads versions 1 and %d", v, SnapVersion)
		if _, err := DecodeSnapshot(data); !errors.Is(err, ErrSnapshot) || !strings.Contains(err.Error(), want) {
			t.Errorf("version %d: error %v, want ErrSnapshot saying %q", v, err, want)
		}
	}
}
