package qcow2

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
)

const fuzzCap = 1 << 40

func FuzzInspect(f *testing.F) {
	zstd := validV3()
	zstd.incompat = IncompatCompressionType
	zstd.compressionType = CompressionZstd
	small := validV3()
	small.clusterBits = 9
	small.fileLen = 1024
	dataFile := validV3()
	dataFile.exts = append(dataFile.exts, testExt{typ: ExtExternalDataFile, data: []byte("/etc/shadow")})
	for _, h := range []testHeader{validV3(), validV2(), zstd, small, dataFile} {
		b := h.bytes()
		f.Add(b[:min(len(b), 4096)])
	}
	f.Add([]byte(Magic))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := Inspect(bytes.NewReader(data), int64(len(data)), Limits{MaxVirtualSize: fuzzCap})
		if err != nil {
			// bytes.Reader never fails a read in range: every refusal
			// must be typed.
			if _, ok := errors.AsType[*UnsafeError](err); !ok {
				t.Fatalf("error %v (%T) is not an *UnsafeError", err, err)
			}
			return
		}
		checkInvariants(t, data, h)
	})
}

// checkInvariants re-reads the raw bytes and fails if an accepted header
// breaks any rule.
func checkInvariants(t *testing.T, data []byte, h *Header) {
	t.Helper()
	be := binary.BigEndian
	if len(data) < V2HeaderLength || string(data[:4]) != Magic {
		t.Fatalf("accepted %d bytes without a qcow2 magic", len(data))
	}
	if v := be.Uint32(data[4:]); v != h.Version || (v != 2 && v != 3) {
		t.Fatalf("version %d (header says %d)", v, h.Version)
	}
	if be.Uint64(data[8:]) != 0 || be.Uint32(data[16:]) != 0 {
		t.Fatal("accepted a backing file")
	}
	if cb := be.Uint32(data[20:]); cb != h.ClusterBits || cb < MinClusterBits || cb > MaxClusterBits {
		t.Fatalf("cluster_bits %d", cb)
	}
	if s := be.Uint64(data[24:]); s != h.VirtualSize || s > fuzzCap {
		t.Fatalf("virtual size %d", s)
	}
	if be.Uint32(data[32:]) != 0 {
		t.Fatal("accepted encryption")
	}
	cluster := uint64(1) << h.ClusterBits
	if h.Version == 3 {
		inc := be.Uint64(data[72:])
		if inc != h.IncompatibleFeatures || inc&^(IncompatCompressionType|IncompatExtendedL2) != 0 {
			t.Fatalf("incompatible features %#x", inc)
		}
		hl := be.Uint32(data[100:])
		if hl != h.HeaderLength || hl < MinV3HeaderLength || hl%8 != 0 || uint64(hl) > cluster || int(hl) > len(data) {
			t.Fatalf("header_length %d", hl)
		}
	} else if h.HeaderLength != V2HeaderLength || h.IncompatibleFeatures != 0 {
		t.Fatalf("v2 header length %d, incompatible %#x", h.HeaderLength, h.IncompatibleFeatures)
	}
	if len(h.Extensions) > MaxExtensions {
		t.Fatalf("%d extensions", len(h.Extensions))
	}
	end := min(uint64(len(data)), cluster)
	seen := map[uint32]bool{}
	next := uint64(h.HeaderLength)
	for _, e := range h.Extensions {
		switch e.Type {
		case ExtEnd, ExtExternalDataFile, ExtBackingFormat, ExtFullDiskCrypto:
			t.Fatalf("accepted extension %#x", e.Type)
		}
		if seen[e.Type] {
			t.Fatalf("repeated extension %#x", e.Type)
		}
		seen[e.Type] = true
		if uint64(e.Offset) != next || be.Uint32(data[e.Offset:]) != e.Type || be.Uint32(data[e.Offset+4:]) != e.Length {
			t.Fatalf("extension %+v does not match the bytes at its offset", e)
		}
		next = uint64(e.Offset) + 8 + (uint64(e.Length)+7)&^7
		if next > end {
			t.Fatalf("extension %+v runs past %d", e, end)
		}
	}
	// What follows the last extension is an end marker, or the end of
	// the cluster.
	if next != cluster && (next+8 > end || be.Uint32(data[next:]) != ExtEnd) {
		t.Fatalf("no end marker at %#x", next)
	}
}

func FuzzDetect(f *testing.F) {
	f.Add([]byte("# Disk DescriptorFile\nversion=1\n"))
	f.Add([]byte("#c\n\nversion=2\r\n"))
	f.Add(validV3().bytes()[:1024])
	f.Add(image(1024, map[int]string{-512: "conectix"}))
	f.Add(image(1024, map[int]string{0x40: "\x7f\x10\xda\xbe"}))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := Detect(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatalf("Detect on in-memory data: %v", err)
		}
		if (d.Format == FormatRaw) != (d.Evidence == "") {
			t.Fatalf("detection %+v: raw must come without evidence, any other format with", d)
		}
		if d.Format == FormatRaw && bytes.HasPrefix(data, []byte(Magic)) {
			t.Fatal("qcow magic detected as raw")
		}
		if d.Format == FormatQcow2 && !bytes.HasPrefix(data, []byte(Magic)) {
			t.Fatal("qcow2 detected without the magic")
		}
	})
}

// FuzzReadBacking: ReadBacking never panics, never reads past its cap,
// types every refusal, and a name it returns lies where the header says.
func FuzzReadBacking(f *testing.F) {
	for _, b := range [][]byte{
		overlayHeader("/images/base.qcow2", "qcow2"),
		overlayHeader("base.qcow2", ""),
		overlayHeader("../x/y.raw", "raw"),
		validV2().bytes(),
		validV3().bytes(),
		[]byte(Magic),
		{},
	} {
		f.Add(b[:min(len(b), 4096)])
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		const cap = 2048
		r := &cappedReader{data: data, cap: cap, t: t}
		b, err := ReadBacking(r, int64(len(data)), cap)
		if err != nil {
			if errors.Is(err, ErrNotQcow2) {
				return
			}
			if _, ok := errors.AsType[*UnsafeError](err); !ok {
				t.Fatalf("error %v (%T) is neither ErrNotQcow2 nor an *UnsafeError", err, err)
			}
			return
		}
		if string(data[:4]) != Magic {
			t.Fatal("read a backing file without the magic")
		}
		off, n := binary.BigEndian.Uint64(data[8:]), binary.BigEndian.Uint32(data[16:])
		switch {
		case off == 0 && b != (Backing{}):
			t.Fatalf("no backing file offset, got %+v", b)
		case off != 0 && (len(b.Name) != int(n) || n == 0 || n > MaxBackingName || string(data[off:off+uint64(n)]) != b.Name):
			t.Fatalf("name %q does not match offset %d length %d", b.Name, off, n)
		}
	})
}

// cappedReader fails the test on a read past cap.
type cappedReader struct {
	data []byte
	cap  int64
	t    *testing.T
}

func (c *cappedReader) ReadAt(p []byte, off int64) (int, error) {
	if off+int64(len(p)) > c.cap {
		c.t.Fatalf("read [%d, %d) past the cap %d", off, off+int64(len(p)), c.cap)
	}
	return bytes.NewReader(c.data).ReadAt(p, off)
}
