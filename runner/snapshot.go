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
	"path/filepath"

	"github.com/evsim/evsim/model"
)

// Snapshot file layout (little endian):
//
//	magic "EVSIMSNP" | version uint32 | meta length uint32 | meta (JSON) |
//	for each state array: count uint64, count float64 values |
//	CRC-32C (Castagnoli) of everything before it, uint32
//
// The arrays, in order: W, Theta, U, I, RefEnd, UI, II, RefEndI, LastPre, LastPost.
const (
	snapMagic   = "EVSIMSNP"
	SnapVersion = 1
	maxMetaLen  = 16 << 20
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

func stateArrays(n *model.Network) [][]float64 {
	return [][]float64{n.W, n.Theta, n.U, n.I, n.RefEnd, n.UI, n.II, n.RefEndI, n.LastPre, n.LastPost}
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

// Save writes the snapshot to path atomically: to a temporary file in the same folder,
// synced, then renamed over path. A failure leaves any previous file at path intact.
func (s *Snapshot) Save(path string) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp*")
	if err != nil {
		return fmt.Errorf("runner: cannot write snapshot %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err = s.Encode(f); err != nil {
		return fmt.Errorf("runner: writing snapshot %s: %w", path, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("runner: writing snapshot %s: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("runner: writing snapshot %s: %w", path, err)
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("runner: writing snapshot %s: %w", path, err)
	}
	return nil
}

// ErrSnapshot is wrapped by every error about a malformed snapshot.
var ErrSnapshot = errors.New("not a valid evsim snapshot")

// LoadSnapshot reads and verifies a snapshot file. It never allocates more than the file
// holds: every size in the header is checked against the file size first.
func LoadSnapshot(path string) (*Snapshot, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("runner: cannot read snapshot: %w", err)
	}
	s, err := DecodeSnapshot(data)
	if err != nil {
		return nil, fmt.Errorf("runner: snapshot %s: %w", path, err)
	}
	return s, nil
}

// DecodeSnapshot parses a snapshot held in memory.
func DecodeSnapshot(data []byte) (*Snapshot, error) {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrSnapshot}, a...)...)
	}
	if len(data) < len(snapMagic)+12 || string(data[:len(snapMagic)]) != snapMagic {
		return nil, bad("missing magic %q (is this an evsim snapshot?)", snapMagic)
	}
	body, sum := data[:len(data)-4], binary.LittleEndian.Uint32(data[len(data)-4:])
	p := data[len(snapMagic):]
	version := binary.LittleEndian.Uint32(p)
	if version != SnapVersion {
		return nil, bad("format version %d, this evsim reads version %d", version, SnapVersion)
	}
	if crc32.Checksum(body, castagnoli) != sum {
		return nil, bad("checksum mismatch: the file is truncated or corrupted")
	}
	mlen := int(binary.LittleEndian.Uint32(p[4:]))
	p = p[8:]
	if mlen > maxMetaLen || mlen > len(p)-4 {
		return nil, bad("meta length %d exceeds the file", mlen)
	}
	var m Meta
	if err := json.Unmarshal(p[:mlen], &m); err != nil {
		return nil, bad("meta: %v", err)
	}
	p = p[mlen : len(p)-4]
	if m.NIn <= 0 || m.NExc <= 0 || m.NIn > len(p)/8 || m.NExc > len(p)/8 || m.NIn*m.NExc > len(p)/8 {
		return nil, bad("sizes %d inputs x %d neurons do not fit the file", m.NIn, m.NExc)
	}
	if m.Labels != nil && len(m.Labels) != m.NExc {
		return nil, bad("%d labels for %d neurons", len(m.Labels), m.NExc)
	}
	net := &model.Network{NIn: m.NIn, NExc: m.NExc}
	want := []struct {
		dst *[]float64
		n   int
	}{
		{&net.W, m.NIn * m.NExc}, {&net.Theta, m.NExc}, {&net.U, m.NExc}, {&net.I, m.NExc},
		{&net.RefEnd, m.NExc}, {&net.UI, m.NExc}, {&net.II, m.NExc}, {&net.RefEndI, m.NExc},
		{&net.LastPre, m.NIn}, {&net.LastPost, m.NExc},
	}
	for k, a := range want {
		if len(p) < 8 {
			return nil, bad("truncated before array %d", k)
		}
		n := binary.LittleEndian.Uint64(p)
		p = p[8:]
		if n != uint64(a.n) || uint64(len(p))/8 < n {
			return nil, bad("array %d holds %d values, want %d", k, n, a.n)
		}
		v := make([]float64, a.n)
		for i := range v {
			v[i] = math.Float64frombits(binary.LittleEndian.Uint64(p[8*i:]))
		}
		*a.dst = v
		p = p[8*a.n:]
	}
	if len(p) != 0 {
		return nil, bad("%d unexpected bytes after the arrays", len(p))
	}
	for _, w := range net.W {
		if !(w >= 0) || math.IsInf(w, 0) {
			return nil, bad("weight %v is not a finite non-negative number", w)
		}
	}
	net.Restore()
	return &Snapshot{Meta: m, Net: net}, nil
}

func crc(b []byte) uint32 { return crc32.Checksum(b, castagnoli) }
