package runner

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"
	"syscall"

	"github.com/evsim/evsim/analysis/outfile"
	"github.com/evsim/evsim/model"
)

// Snapshot file layout (little endian):
//
//	magic "EVSIMSNP" | version uint32 | meta length uint32 | meta (JSON) |
//	for each state array: count uint64, count values |
//	CRC-32C (Castagnoli) of everything before it, uint32
//
// The arrays, in order: W, Theta, U, I, RefEnd, UI, II, RefEndI, LastPre, LastPost. In
// version 2 (written now) W's values are float32, as the network stores them, and every
// other array's float64. Version 1 (written before the weights moved to float32) has
// float64 weights too: it is still read, each weight rounded to the nearest float32 (a
// weight beyond float32's range is refused), so a network saved by an older evsim
// continues from the nearest weights this one can hold.
const (
	snapMagic   = "EVSIMSNP"
	SnapVersion = 2
	maxMetaLen  = 16 << 20
	headerLen   = len(snapMagic) + 8 // magic, version, meta length
	nArrays     = 10
)

// Bounds on what a snapshot may claim. A file outside them is refused before its arrays
// are read.
const (
	// MaxSnapshotBytes is the largest snapshot file read, 4 GiB (a 784-input network of
	// about 1.3 million neurons).
	MaxSnapshotBytes = 1 << 32
	// MaxImagesSeen bounds Meta.ImagesSeen and Meta.LabelImages (10^12 images, about
	// 30,000 years of training at 1,000 images a second).
	MaxImagesSeen = 1_000_000_000_000
)

// Meta is what a snapshot says about the network besides its state.
type Meta struct {
	NIn        int          `json:"n_in"`
	NExc       int          `json:"n_exc"`
	Seed       uint64       `json:"seed"`
	ImagesSeen int          `json:"images_seen"`
	Regime     model.Regime `json:"regime"` // the training regime
	Engine     EngineSpec   `json:"engine"`
	// Labels is each neuron's assigned class (-1: none), from LabelImages training images;
	// nil before labelling.
	Labels      []int `json:"labels,omitempty"`
	LabelImages int   `json:"label_images,omitempty"`
	// HeldOut is the number of images at the end of the training set that the network
	// never trains on: its training sequence cycles through the first Len-HeldOut images,
	// so that the last ones stay a validation set over any number of passes. 0: none.
	HeldOut int `json:"held_out,omitempty"`
	// Pending, in a checkpoint only, records the interrupted invocation (owned by the command).
	Pending json.RawMessage `json:"pending,omitempty"`
	// Provenance names the program and command line that wrote the snapshot (absent in
	// snapshots written before it was recorded).
	Provenance *Provenance `json:"provenance,omitempty"`
}

// Snapshot is a network with its meta data.
type Snapshot struct {
	Meta Meta
	Net  *model.Network
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// stateArrays returns the float64 arrays of a snapshot, in file order after W.
func stateArrays(n *model.Network) [][]float64 {
	return [][]float64{n.Theta, n.U, n.I, n.RefEnd, n.UI, n.II, n.RefEndI, n.LastPre, n.LastPost}
}

// Encode writes the snapshot in the format above.
func (s *Snapshot) Encode(w io.Writer) error {
	if s.Net.NIn != s.Meta.NIn || s.Net.NExc != s.Meta.NExc {
		return fmt.Errorf("runner: snapshot meta says %dx%d, network is %dx%d", s.Meta.NIn, s.Meta.NExc, s.Net.NIn, s.Net.NExc)
	}
	meta, err := json.Marshal(s.Meta)
	if err != nil {
		return fmt.Errorf("runner: snapshot meta: %w", err)
	}
	h := crc32.New(castagnoli)
	mw := io.MultiWriter(w, h)
	var b bytes.Buffer
	b.WriteString(snapMagic)
	binary.Write(&b, binary.LittleEndian, uint32(SnapVersion))
	binary.Write(&b, binary.LittleEndian, uint32(len(meta)))
	b.Write(meta)
	if _, err := mw.Write(b.Bytes()); err != nil {
		return err
	}
	buf := make([]byte, 8*1024)
	binary.LittleEndian.PutUint64(buf, uint64(len(s.Net.W)))
	if _, err := mw.Write(buf[:8]); err != nil {
		return err
	}
	for a := s.Net.W; len(a) > 0; {
		k := min(len(a), len(buf)/4)
		for i, v := range a[:k] {
			binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(v))
		}
		if _, err := mw.Write(buf[:4*k]); err != nil {
			return err
		}
		a = a[k:]
	}
	for _, a := range stateArrays(s.Net) {
		binary.LittleEndian.PutUint64(buf, uint64(len(a)))
		if _, err := mw.Write(buf[:8]); err != nil {
			return err
		}
		for len(a) > 0 {
			k := min(len(a), len(buf)/8)
			for i, v := range a[:k] {
				binary.LittleEndian.PutUint64(buf[8*i:], math.Float64bits(v))
			}
			if _, err := mw.Write(buf[:8*k]); err != nil {
				return err
			}
			a = a[k:]
		}
	}
	binary.LittleEndian.PutUint32(buf, h.Sum32())
	_, err = w.Write(buf[:4])
	return err
}

// Save writes the snapshot to path atomically through package outfile: to a uniquely
// named temporary file in the same folder, synced, then renamed over path. A failure
// leaves any previous file at path intact and no temporary file behind. path must be a
// regular file or a new path (a symlink is written through); see outfile for the rules.
func (s *Snapshot) Save(path string) error {
	f, err := outfile.Create(path)
	if err != nil {
		return fmt.Errorf("runner: cannot write snapshot: %w", err)
	}
	defer f.Abort()
	if err := s.Encode(f); err != nil {
		return fmt.Errorf("runner: writing snapshot %s: %w", path, err)
	}
	if err := f.Commit(); err != nil {
		return fmt.Errorf("runner: writing snapshot %s: %w", path, err)
	}
	return nil
}

// ErrSnapshot is wrapped by every error about a malformed snapshot.
var ErrSnapshot = errors.New("not a valid evsim snapshot")

func bad(format string, a ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrSnapshot}, a...)...)
}

// LoadSnapshot reads and verifies a snapshot file. Only a regular file is read (a FIFO,
// device or folder is refused without blocking). The header and meta are read and
// checked first; the arrays are read only if the file's size is exactly what the meta
// implies and at most MaxSnapshotBytes, so memory use is bounded by the file's real size.
// Every meta field and array value is then validated as DecodeSnapshot does.
func LoadSnapshot(path string) (*Snapshot, error) {
	s, err := loadSnapshot(path)
	if err != nil {
		return nil, fmt.Errorf("runner: snapshot %s: %w", path, err)
	}
	return s, nil
}

func loadSnapshot(path string) (*Snapshot, error) {
	// O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("cannot read: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("cannot read: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, bad("it is %s, not a regular file", outfile.Describe(fi.Mode()))
	}
	size := fi.Size()
	head := make([]byte, headerLen)
	if _, err := io.ReadFull(f, head); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, bad("missing magic %q (is this an evsim snapshot?)", snapMagic)
		}
		return nil, fmt.Errorf("cannot read: %w", err)
	}
	version, mlen, err := parseHeader(head, size)
	if err != nil {
		return nil, err
	}
	meta := make([]byte, mlen)
	if _, err := io.ReadFull(f, meta); err != nil {
		return nil, bad("truncated inside the meta data (%v)", err)
	}
	m, err := parseMeta(meta)
	if err != nil {
		return nil, err
	}
	want, err := snapSize(version, mlen, m, size)
	if err != nil {
		return nil, err
	}
	if want > MaxSnapshotBytes {
		return nil, bad("%d inputs x %d neurons make a %d-byte file, more than the %d bytes read", m.NIn, m.NExc, want, int64(MaxSnapshotBytes))
	}
	data := make([]byte, want)
	copy(data, head)
	copy(data[headerLen:], meta)
	if _, err := io.ReadFull(f, data[headerLen+mlen:]); err != nil {
		return nil, bad("checksum mismatch: the file is truncated or corrupted (%v)", err)
	}
	return DecodeSnapshot(data)
}

// parseHeader checks the magic, version (1 or 2) and meta length of a file of size bytes
// and returns the version and the meta length.
func parseHeader(head []byte, size int64) (version uint32, mlen int, err error) {
	if len(head) < headerLen || string(head[:len(snapMagic)]) != snapMagic || size < int64(headerLen+4) {
		return 0, 0, bad("missing magic %q (is this an evsim snapshot?)", snapMagic)
	}
	p := head[len(snapMagic):]
	if version = binary.LittleEndian.Uint32(p); version != 1 && version != SnapVersion {
		return 0, 0, bad("format version %d, this evsim reads versions 1 and %d", version, SnapVersion)
	}
	ml := int64(binary.LittleEndian.Uint32(p[4:]))
	if ml > maxMetaLen || ml > size-int64(headerLen+4) {
		return 0, 0, bad("meta length %d exceeds the file", ml)
	}
	return version, int(ml), nil
}

// weightBytes is the size of one stored weight in a snapshot of the given version.
func weightBytes(version uint32) int64 {
	if version == 1 {
		return 8
	}
	return 4
}

// snapSize returns the size of a snapshot of the given version with mlen bytes of meta for
// m's network, which must fit in a file of size bytes.
func snapSize(version uint32, mlen int, m Meta, size int64) (int64, error) {
	wb := weightBytes(version)
	fixed := int64(headerLen + mlen + nArrays*8 + 4)
	nIn, nExc := int64(m.NIn), int64(m.NExc) // both > 0 (Meta.validate)
	// The arrays need 8 bytes for each of 8·NExc + NIn values and wb for each of NIn·NExc
	// weights. Subtract them from the bytes the file has, testing each by division, so that
	// no product can overflow however large the meta's claims.
	rest := size - fixed
	tooBig := rest < 0 || nExc > rest/64
	if !tooBig {
		rest -= 64 * nExc
		tooBig = nIn > rest/8
	}
	if !tooBig {
		rest -= 8 * nIn
		tooBig = nIn > rest/wb/nExc
	}
	if tooBig {
		return 0, bad("%d inputs x %d neurons do not fit the file's %d bytes", m.NIn, m.NExc, size)
	}
	want := fixed + wb*nIn*nExc + 8*(8*nExc+nIn) // at most size: no overflow
	if want != size {
		return 0, bad("the file holds %d bytes, %d inputs x %d neurons make %d", size, m.NIn, m.NExc, want)
	}
	return want, nil
}

// parseMeta decodes and validates the meta data.
func parseMeta(b []byte) (Meta, error) {
	var m Meta
	if err := json.Unmarshal(b, &m); err != nil {
		return Meta{}, bad("meta: %v", err)
	}
	if err := m.validate(); err != nil {
		return Meta{}, fmt.Errorf("%w: meta: %w", ErrSnapshot, err)
	}
	return m, nil
}

// validate checks every field of a snapshot's meta data: positive sizes, ImagesSeen,
// LabelImages and HeldOut in [0, MaxImagesSeen], Labels absent or one class in [-1, 9] per neuron
// (present whenever LabelImages > 0), a valid regime, engine "event" (no Dt) or "stepped"
// with a finite Dt > 0, and Pending, if present, a JSON object.
func (m *Meta) validate() error {
	switch {
	case m.NIn <= 0 || m.NExc <= 0:
		return fmt.Errorf("n_in = %d, n_exc = %d: must be > 0", m.NIn, m.NExc)
	case m.ImagesSeen < 0 || int64(m.ImagesSeen) > MaxImagesSeen: // int64: also where int has 32 bits
		return fmt.Errorf("images_seen = %d: must be in [0, %d]", m.ImagesSeen, int64(MaxImagesSeen))
	case m.LabelImages < 0 || int64(m.LabelImages) > MaxImagesSeen:
		return fmt.Errorf("label_images = %d: must be in [0, %d]", m.LabelImages, int64(MaxImagesSeen))
	case m.HeldOut < 0 || int64(m.HeldOut) > MaxImagesSeen:
		return fmt.Errorf("held_out = %d: must be in [0, %d]", m.HeldOut, int64(MaxImagesSeen))
	case m.Labels != nil && len(m.Labels) != m.NExc:
		return fmt.Errorf("%d labels for %d neurons", len(m.Labels), m.NExc)
	case m.Labels == nil && m.LabelImages > 0:
		return fmt.Errorf("label_images = %d but no labels", m.LabelImages)
	}
	for j, y := range m.Labels {
		if y < -1 || y > 9 {
			return fmt.Errorf("label of neuron %d is %d: must be a digit 0..9 or -1 (none)", j, y)
		}
	}
	if err := m.Regime.Validate(); err != nil {
		return err
	}
	switch e := m.Engine; {
	case e.Kind == "event" && e.Dt == 0:
	case e.Kind == "stepped" && e.Dt > 0 && !math.IsInf(e.Dt, 0):
	default:
		return fmt.Errorf("engine %q with dt = %v: want event (no dt) or stepped with a finite dt > 0", e.Kind, e.Dt)
	}
	if m.Pending != nil {
		if t := bytes.TrimLeft(m.Pending, " \t\r\n"); len(t) == 0 || t[0] != '{' {
			return fmt.Errorf("pending is %.40s, want a JSON object", m.Pending)
		}
	}
	return nil
}

// DecodeSnapshot parses and validates a snapshot held in memory: framing and checksum,
// every meta field, and every state value: weights and θ finite and
// >= 0; membrane potentials, currents and refractory ends finite; last spike times
// finite or -Inf (never spiked). Any violation is an error wrapping ErrSnapshot.
func DecodeSnapshot(data []byte) (*Snapshot, error) {
	version, mlen, err := parseHeader(data, int64(len(data)))
	if err != nil {
		return nil, err
	}
	body, sum := data[:len(data)-4], binary.LittleEndian.Uint32(data[len(data)-4:])
	if crc32.Checksum(body, castagnoli) != sum {
		return nil, bad("checksum mismatch: the file is truncated or corrupted")
	}
	m, err := parseMeta(data[headerLen : headerLen+mlen])
	if err != nil {
		return nil, err
	}
	if _, err := snapSize(version, mlen, m, int64(len(data))); err != nil {
		return nil, err
	}
	p := data[headerLen+mlen : len(data)-4]
	net := &model.Network{NIn: m.NIn, NExc: m.NExc}
	// W: float32 (version 2) or float64 rounded to float32 (version 1), finite and >= 0.
	if n := binary.LittleEndian.Uint64(p); n != uint64(m.NIn*m.NExc) {
		return nil, bad("array W holds %d values, want %d", n, m.NIn*m.NExc)
	}
	p = p[8:]
	net.W = make([]float32, m.NIn*m.NExc)
	wb := int(weightBytes(version))
	for i := range net.W {
		var x float64
		if wb == 4 {
			x = float64(math.Float32frombits(binary.LittleEndian.Uint32(p[4*i:])))
		} else {
			x = math.Float64frombits(binary.LittleEndian.Uint64(p[8*i:]))
		}
		w := float32(x)
		if !(x >= 0) || math.IsInf(float64(w), 1) {
			return nil, bad("W[%d] = %v: must be finite and >= 0 (and at most %v, the largest float32)", i, x, math.MaxFloat32)
		}
		net.W[i] = w
	}
	p = p[wb*len(net.W):]
	const (
		nonNeg   = iota // finite and >= 0
		finite          // finite
		spikeAge        // finite or -Inf
	)
	want := []struct {
		name string
		dst  *[]float64
		n    int
		rule int
	}{
		{"Theta", &net.Theta, m.NExc, nonNeg},
		{"U", &net.U, m.NExc, finite}, {"I", &net.I, m.NExc, finite},
		{"RefEnd", &net.RefEnd, m.NExc, finite}, {"UI", &net.UI, m.NExc, finite},
		{"II", &net.II, m.NExc, finite}, {"RefEndI", &net.RefEndI, m.NExc, finite},
		{"LastPre", &net.LastPre, m.NIn, spikeAge}, {"LastPost", &net.LastPost, m.NExc, spikeAge},
	}
	for _, a := range want {
		// snapSize guarantees the sizes; the counts must agree with them.
		if n := binary.LittleEndian.Uint64(p); n != uint64(a.n) {
			return nil, bad("array %s holds %d values, want %d", a.name, n, a.n)
		}
		p = p[8:]
		v := make([]float64, a.n)
		for i := range v {
			x := math.Float64frombits(binary.LittleEndian.Uint64(p[8*i:]))
			ok := !math.IsNaN(x) && !math.IsInf(x, 1)
			switch a.rule {
			case nonNeg:
				ok = ok && x >= 0
			case finite:
				ok = ok && !math.IsInf(x, -1)
			}
			if !ok {
				return nil, bad("%s[%d] = %v: %s", a.name, i, x, [...]string{"must be finite and >= 0", "must be finite", "must be finite or -Inf"}[a.rule])
			}
			v[i] = x
		}
		*a.dst = v
		p = p[8*a.n:]
	}
	net.Restore()
	return &Snapshot{Meta: m, Net: net}, nil
}

func crc(b []byte) uint32 { return crc32.Checksum(b, castagnoli) }
