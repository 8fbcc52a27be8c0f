package qcow2

import (
	"bytes"
	"encoding/binary"
)

// testHeader builds qcow2 images byte by byte, so that every rule can be
// broken on its own.
type testHeader struct {
	magic             string
	version           uint32
	backingOffset     uint64
	backingSize       uint32
	clusterBits       uint32
	size              uint64
	cryptMethod       uint32
	l1Size            uint32
	l1Offset          uint64
	refcountOffset    uint64
	refcountClusters  uint32
	incompat, compat  uint64
	autoclear         uint64
	refcountOrder     uint32
	headerLength      uint32
	compressionType   uint8
	exts              []testExt
	fileLen           int  // total length; 0 = three clusters
	truncateAfterExts bool // the file ends right after the last extension
	extraAtOffset     map[int]string
}

type testExt struct {
	typ    uint32
	data   []byte
	length *uint32 // overrides len(data) in the extension header
}

// validV3 is what `qemu-img create -f qcow2 x 64M` writes (7.2), with the
// feature name table shortened.
func validV3() testHeader {
	return testHeader{
		magic:            Magic,
		version:          3,
		clusterBits:      16,
		size:             64 << 20,
		l1Size:           1,
		l1Offset:         0x30000,
		refcountOffset:   0x10000,
		refcountClusters: 1,
		refcountOrder:    4,
		headerLength:     112,
		exts: []testExt{
			{typ: ExtFeatureNameTable, data: []byte("\x00\x00dirty bit\x00")},
		},
	}
}

func validV2() testHeader {
	h := validV3()
	h.version = 2
	h.headerLength = 0
	h.exts = nil
	return h
}

func u32p(v uint32) *uint32 { return &v }

func (h testHeader) bytes() []byte {
	be := binary.BigEndian
	cluster := 1 << min(h.clusterBits, 22)
	if h.clusterBits < 9 {
		cluster = 512
	}
	n := h.fileLen
	if n == 0 {
		n = 3 * cluster
	}
	b := make([]byte, max(n, 4*cluster))
	copy(b, h.magic)
	be.PutUint32(b[4:], h.version)
	be.PutUint64(b[8:], h.backingOffset)
	be.PutUint32(b[16:], h.backingSize)
	be.PutUint32(b[20:], h.clusterBits)
	be.PutUint64(b[24:], h.size)
	be.PutUint32(b[32:], h.cryptMethod)
	be.PutUint32(b[36:], h.l1Size)
	be.PutUint64(b[40:], h.l1Offset)
	be.PutUint64(b[48:], h.refcountOffset)
	be.PutUint32(b[56:], h.refcountClusters)
	off := V2HeaderLength
	if h.version != 2 {
		be.PutUint64(b[72:], h.incompat)
		be.PutUint64(b[80:], h.compat)
		be.PutUint64(b[88:], h.autoclear)
		be.PutUint32(b[96:], h.refcountOrder)
		be.PutUint32(b[100:], h.headerLength)
		b[104] = h.compressionType
		off = int(h.headerLength)
	}
	for _, e := range h.exts {
		l := uint32(len(e.data))
		if e.length != nil {
			l = *e.length
		}
		be.PutUint32(b[off:], e.typ)
		be.PutUint32(b[off+4:], l)
		copy(b[off+8:], e.data)
		off += 8 + (len(e.data)+7)&^7
	}
	for at, s := range h.extraAtOffset {
		copy(b[at:], s)
	}
	if h.truncateAfterExts {
		return b[:off]
	}
	return b[:n]
}

// countingReader records the furthest byte any read asked for.
type countingReader struct {
	r      *bytes.Reader
	maxEnd int64
}

func (c *countingReader) ReadAt(p []byte, off int64) (int, error) {
	c.maxEnd = max(c.maxEnd, off+int64(len(p)))
	return c.r.ReadAt(p, off)
}
