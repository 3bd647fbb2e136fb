package runner

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"

	"github.com/evsim/evsim/model"
)

// smallSnapshot encodes a valid snapshot of a 3-input, 2-neuron network.
func smallSnapshot(t testing.TB) []byte {
	net := NewNetwork(3, 2, 1)
	s := Snapshot{Meta: Meta{NIn: 3, NExc: 2, Seed: 1, Regime: model.Awake(), Engine: EngineSpec{Kind: "event"}, Labels: []int{1, -1}}, Net: net}
	var b bytes.Buffer
	if err := s.Encode(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// split returns the meta JSON and the array section (counts and values, no checksum)
// of a well-framed snapshot.
func split(data []byte) (meta, arrays []byte) {
	mlen := int(binary.LittleEndian.Uint32(data[12:]))
	return data[headerLen : headerLen+mlen], data[headerLen+mlen : len(data)-4]
}

// assemble frames meta and arrays as a current-version snapshot with the right meta length and
// checksum, so that only the semantic checks can refuse it.
func assemble(meta, arrays []byte) []byte {
	var b bytes.Buffer
	b.WriteString(snapMagic)
	binary.Write(&b, binary.LittleEndian, uint32(SnapVersion))
	binary.Write(&b, binary.LittleEndian, uint32(len(meta)))
	b.Write(meta)
	b.Write(arrays)
	binary.Write(&b, binary.LittleEndian, crc(b.Bytes()))
	return b.Bytes()
}

// withCRC returns data with its last four bytes replaced by the checksum of the rest.
func withCRC(data []byte) []byte {
	if len(data) < 4 {
		return data
	}
	c := slices.Clone(data)
	binary.LittleEndian.PutUint32(c[len(c)-4:], crc(c[:len(c)-4]))
	return c
}

// checkDecode decodes data and checks the contract: an error wraps ErrSnapshot; an
// accepted snapshot fits its file, satisfies every documented invariant, and re-encodes
// to a file that decodes to the same content and encodes to the same bytes again. It
// reports whether data was accepted.
func checkDecode(t *testing.T, data []byte) bool {
	t.Helper()
	s, err := DecodeSnapshot(data)
	if err != nil {
		if !errors.Is(err, ErrSnapshot) {
			t.Fatalf("error %v does not wrap ErrSnapshot", err)
		}
		return false
	}
	m, n := s.Meta, s.Net
	wb := int(weightBytes(binary.LittleEndian.Uint32(data[len(snapMagic):])))
	if n.NIn != m.NIn || n.NExc != m.NExc || len(n.W) != n.NIn*n.NExc || wb*len(n.W)+8*(len(n.Theta)+len(n.LastPre)) > len(data) {
		t.Fatalf("accepted a snapshot larger than its file: %d inputs x %d neurons from %d bytes", m.NIn, m.NExc, len(data))
	}
	if m.ImagesSeen < 0 || int64(m.ImagesSeen) > MaxImagesSeen || m.LabelImages < 0 || int64(m.LabelImages) > MaxImagesSeen {
		t.Fatalf("accepted images_seen %d, label_images %d", m.ImagesSeen, m.LabelImages)
	}
	if m.Labels != nil && len(m.Labels) != m.NExc || m.Labels == nil && m.LabelImages > 0 {
		t.Fatalf("accepted %d labels for %d neurons from %d images", len(m.Labels), m.NExc, m.LabelImages)
	}
	for _, y := range m.Labels {
		if y < -1 || y > 9 {
			t.Fatalf("accepted label %d", y)
		}
	}
	if err := m.Regime.Validate(); err != nil {
		t.Fatalf("accepted an invalid regime: %v", err)
	}
	if e := m.Engine; !(e.Kind == "event" && e.Dt == 0 || e.Kind == "stepped" && e.Dt > 0 && !math.IsInf(e.Dt, 1)) {
		t.Fatalf("accepted engine %+v", e)
	}
	for i, w := range n.W {
		if v := float64(w); !(v >= 0) || math.IsInf(v, 1) {
			t.Fatalf("accepted W[%d] = %v", i, v)
		}
	}
	for name, a := range map[string][]float64{"Theta": n.Theta} {
		for _, v := range a {
			if !(v >= 0) || math.IsInf(v, 1) {
				t.Fatalf("accepted %s value %v", name, v)
			}
		}
	}
	for name, a := range map[string][]float64{"U": n.U, "I": n.I, "RefEnd": n.RefEnd, "UI": n.UI, "II": n.II, "RefEndI": n.RefEndI} {
		for _, v := range a {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("accepted %s value %v", name, v)
			}
		}
	}
	for name, a := range map[string][]float64{"LastPre": n.LastPre, "LastPost": n.LastPost} {
		for _, v := range a {
			if math.IsNaN(v) || math.IsInf(v, 1) {
				t.Fatalf("accepted %s value %v", name, v)
			}
		}
	}
	var b1, b2 bytes.Buffer
	if err := s.Encode(&b1); err != nil {
		t.Fatalf("accepted snapshot does not re-encode: %v", err)
	}
	s2, err := DecodeSnapshot(b1.Bytes())
	if err != nil {
		t.Fatalf("re-encoded snapshot refused: %v", err)
	}
	j1, _ := json.Marshal(s.Meta)
	j2, _ := json.Marshal(s2.Meta)
	if !bytes.Equal(j1, j2) {
		t.Fatalf("meta changed in a round trip:\n%s\n%s", j1, j2)
	}
	if !slices.EqualFunc(s.Net.W, s2.Net.W, func(x, y float32) bool { return math.Float32bits(x) == math.Float32bits(y) }) {
		t.Fatal("W changed in a round trip")
	}
	for k, a := range stateArrays(s.Net) {
		b := stateArrays(s2.Net)[k]
		if len(a) != len(b) {
			t.Fatalf("array %d changed length in a round trip", k)
		}
		for i := range a {
			if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
				t.Fatalf("array %d value %d changed in a round trip: %v -> %v", k, i, a[i], b[i])
			}
		}
	}
	if err := s2.Encode(&b2); err != nil || !bytes.Equal(b1.Bytes(), b2.Bytes()) {
		t.Fatalf("encoding is not a fixed point after one round trip (%v)", err)
	}
	return true
}

// FuzzDecodeSnapshot: no input makes the reader panic, and whatever it accepts obeys the
// contract of checkDecode. Each input is decoded as it is and again with its checksum
// recomputed, so that mutations reach the meta and value checks behind the checksum.
// Seed corpus: testdata/fuzz/FuzzDecodeSnapshot plus the cases below.
func FuzzDecodeSnapshot(f *testing.F) {
	good := smallSnapshot(f)
	f.Add(good)
	f.Add(good[:len(good)-5])
	f.Add(good[:20])
	f.Add([]byte("EVSIMSNP"))
	f.Add(append([]byte("EVSIMSNP\x01\x00\x00\x00\xff\xff\xff\x7f"), make([]byte, 64)...))
	meta, arrays := split(good)
	for _, c := range craftedMetas {
		f.Add(assemble(bytes.Replace(meta, []byte(c.old), []byte(c.new), 1), arrays))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkDecode(t, data)
		checkDecode(t, withCRC(data))
	})
}

// FuzzDecodeSnapshotParts mutates the meta JSON and the array section separately and
// frames them correctly (meta length and checksum), so that every input reaches the
// semantic checks.
func FuzzDecodeSnapshotParts(f *testing.F) {
	meta, arrays := split(smallSnapshot(f))
	f.Add(meta, arrays)
	for _, c := range craftedMetas {
		f.Add(bytes.Replace(meta, []byte(c.old), []byte(c.new), 1), arrays)
	}
	f.Fuzz(func(t *testing.T, meta, arrays []byte) {
		checkDecode(t, assemble(meta, arrays))
	})
}

// craftedMetas are edits of smallSnapshot's meta that must be refused.
var craftedMetas = []struct{ old, new string }{
	{`"labels":[1,-1]`, `"labels":[42,-1]`},
	{`"labels":[1,-1]`, `"labels":[1,-2]`},
	{`"labels":[1,-1]`, `"labels":[1]`},
	{`"images_seen":0`, `"images_seen":-7`},
	{`"images_seen":0`, `"images_seen":4611686018427387904`},
	{`"labels":[1,-1]`, `"labels":null,"label_images":5`},
	{`"labels":[1,-1]`, `"labels":[1,-1],"label_images":-1`},
	{`"kind":"event"`, `"kind":"warp"`},
	{`"kind":"event"`, `"kind":"stepped","dt":0`},
	{`"kind":"event"`, `"kind":"event","dt":0.5`},
	{`"TauS":`, `"TauS":0,"x":`},
	{`"n_in":3`, `"n_in":-3`},
	{`"seed":1`, `"seed":1,"pending":[1]`},
}

// mutateSnapshot applies one to three random structure-aware edits to a valid snapshot:
// a meta field set to an awkward value, an array value or count replaced, or a byte of
// the meta or arrays changed. The framing (meta length, checksum) is always made right.
func mutateSnapshot(rng *rand.Rand, good []byte) []byte {
	meta, arrays := split(good)
	meta, arrays = slices.Clone(meta), slices.Clone(arrays)
	awkward := []any{-1, 0, 1, 2, 9, 10, 42, -7, int64(1) << 62, 1e12, 1e12 + 1, 0.5, -0.0, 1e308, "x", "stepped", "event", nil, true, []any{}, []any{1, -1}, []any{-1, 3}, []any{42, -1}, []any{-2, 0}, []any{0, 1, 10}, map[string]any{}}
	floats := []float64{math.NaN(), math.Inf(1), math.Inf(-1), -1, math.Copysign(0, -1), 0, 1e308, 5e-324, -1e308}
	for range 1 + rng.IntN(3) {
		switch rng.IntN(4) {
		case 0: // a meta field, possibly inside regime or engine
			var m map[string]any
			if json.Unmarshal(meta, &m) != nil {
				break
			}
			obj := m
			for _, sub := range []string{"regime", "engine"} {
				if o, ok := m[sub].(map[string]any); ok && rng.IntN(3) == 0 {
					obj = o
				}
			}
			keys := []string{"n_in", "n_exc", "images_seen", "labels", "label_images", "pending", "kind", "dt", "TauS", "ThetaPlus", "TauTheta", "WarmupImages"}
			for k := range obj {
				keys = append(keys, k)
			}
			slices.Sort(keys) // map order is random; keep the test deterministic
			obj[keys[rng.IntN(len(keys))]] = awkward[rng.IntN(len(awkward))]
			meta, _ = json.Marshal(m)
		case 1: // an array value
			if len(arrays) >= 16 {
				k := 8 * rng.IntN(len(arrays)/8)
				v := floats[rng.IntN(len(floats))]
				if rng.IntN(4) == 0 {
					v = math.Float64frombits(rng.Uint64())
				}
				binary.LittleEndian.PutUint64(arrays[k:], math.Float64bits(v))
			}
		case 2: // a byte of the meta or the arrays
			if b := [][]byte{meta, arrays}[rng.IntN(2)]; len(b) > 0 {
				b[rng.IntN(len(b))] ^= byte(1 << rng.IntN(8))
			}
		case 3: // the section grows or shrinks by one value
			if rng.IntN(2) == 0 && len(arrays) >= 8 {
				arrays = arrays[:len(arrays)-8]
			} else {
				arrays = append(arrays, make([]byte, 8)...)
			}
		}
	}
	return assemble(meta, arrays)
}

// TestDecodeSnapshotMutations is the fuzz target's deterministic counterpart that plain
// `go test` runs: seeded structure-aware mutations of valid snapshots, framed correctly
// so that they reach the meta and value checks. Decoding must not panic, and the
// mutations must exercise both outcomes.
func TestDecodeSnapshotMutations(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	stepped := Snapshot{Meta: Meta{NIn: 2, NExc: 3, Seed: 7, ImagesSeen: 12, Regime: model.AwakeN(3), Engine: EngineSpec{Kind: "stepped", Dt: 0.5},
		Labels: []int{0, 9, -1}, LabelImages: 4, Pending: json.RawMessage(`{"args":["x"]}`)}, Net: NewNetwork(2, 3, 7)}
	stepped.Net.LastPost[1], stepped.Net.Theta[2], stepped.Net.RefEnd[0] = -3.5, 0.25, 2
	var b bytes.Buffer
	if err := stepped.Encode(&b); err != nil {
		t.Fatal(err)
	}
	goods := [][]byte{smallSnapshot(t), b.Bytes()}
	accepted, refused := 0, 0
	for i := range 4000 {
		if checkDecode(t, mutateSnapshot(rng, goods[i%2])) {
			accepted++
		} else {
			refused++
		}
	}
	t.Logf("%d mutations accepted, %d refused", accepted, refused)
	if accepted < 200 || refused < 200 {
		t.Fatalf("mutations too one-sided to test anything: %d accepted, %d refused", accepted, refused)
	}
}

// TestDecodeBoundsAllocation: a header that claims a huge network over a tiny file is
// refused without allocating for the claim.
func TestDecodeBoundsAllocation(t *testing.T) {
	meta, arrays := split(smallSnapshot(t))
	// Claim 100000 x 100000 with a right checksum, so that only the size check can
	// refuse it.
	data := assemble(bytes.Replace(meta, []byte(`"n_in":3,"n_exc":2`), []byte(`"n_in":100000,"n_exc":100000`), 1), arrays)
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	_, err := DecodeSnapshot(data)
	runtime.ReadMemStats(&m1)
	if !errors.Is(err, ErrSnapshot) {
		t.Fatalf("huge claim accepted: %v", err)
	}
	if grew := m1.TotalAlloc - m0.TotalAlloc; grew > 1<<20 {
		t.Fatalf("decoding a %d-byte file allocated %d bytes", len(data), grew)
	}
}
