package runner

import (
	"bytes"
	"encoding/binary"
	"errors"
	"runtime"
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

// FuzzDecodeSnapshot: no input makes the reader panic; whatever it accepts is consistent
// with the file's size. Seed corpus: testdata/fuzz/FuzzDecodeSnapshot plus the cases below.
func FuzzDecodeSnapshot(f *testing.F) {
	good := smallSnapshot(f)
	f.Add(good)
	f.Add(good[:len(good)-5])
	f.Add(good[:20])
	f.Add([]byte("EVSIMSNP"))
	f.Add(append([]byte("EVSIMSNP\x01\x00\x00\x00\xff\xff\xff\x7f"), make([]byte, 64)...))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := DecodeSnapshot(data)
		if err != nil {
			if !errors.Is(err, ErrSnapshot) {
				t.Fatalf("error %v does not wrap ErrSnapshot", err)
			}
			return
		}
		n := s.Net
		if 8*(len(n.W)+len(n.Theta)+len(n.LastPre)) > len(data) || len(n.W) != n.NIn*n.NExc {
			t.Fatalf("accepted a snapshot larger than its file: %d inputs x %d neurons from %d bytes", n.NIn, n.NExc, len(data))
		}
	})
}

// TestDecodeBoundsAllocation: a header that claims a huge network over a tiny file is
// refused without allocating for the claim.
func TestDecodeBoundsAllocation(t *testing.T) {
	good := smallSnapshot(t)
	// Rewrite the meta to claim 100000 x 100000 and fix the checksum so that only the size
	// check can refuse it.
	mlen := binary.LittleEndian.Uint32(good[12:])
	meta := bytes.Replace(good[16:16+mlen], []byte(`"n_in":3,"n_exc":2`), []byte(`"n_in":100000,"n_exc":100000`), 1)
	var b bytes.Buffer
	b.Write(good[:12])
	binary.Write(&b, binary.LittleEndian, uint32(len(meta)))
	b.Write(meta)
	b.Write(good[16+mlen : len(good)-4])
	binary.Write(&b, binary.LittleEndian, crc(b.Bytes()))
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	_, err := DecodeSnapshot(b.Bytes())
	runtime.ReadMemStats(&m1)
	if !errors.Is(err, ErrSnapshot) {
		t.Fatalf("huge claim accepted: %v", err)
	}
	if grew := m1.TotalAlloc - m0.TotalAlloc; grew > 1<<20 {
		t.Fatalf("decoding a %d-byte file allocated %d bytes", b.Len(), grew)
	}
}
