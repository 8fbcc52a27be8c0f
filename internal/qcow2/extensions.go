package qcow2

import (
	"encoding/binary"
	"fmt"
)

// parseExtensions walks the header extensions in the first cluster, from
// start (the header length) to the end of c, which holds min(file size,
// cluster size) bytes.
func parseExtensions(c []byte, start uint32, clusterSize uint64) ([]Extension, error) {
	end := uint64(len(c))
	seen := make(map[uint32]bool)
	var exts []Extension
	for off := uint64(start); ; {
		if off == clusterSize {
			// The area fills the whole cluster; QEMU stops here too.
			return exts, nil
		}
		if off+8 > end {
			return nil, unsafe("header extensions", fmt.Sprintf("header extension at %#x runs past %s", off, extentName(end, clusterSize)), "no end-of-extensions marker")
		}
		typ := binary.BigEndian.Uint32(c[off:])
		n := binary.BigEndian.Uint32(c[off+4:])
		if typ == ExtEnd {
			return exts, nil
		}
		field := fmt.Sprintf("extension %#08x", typ)
		data := off + 8
		padded := (uint64(n) + 7) &^ 7
		if padded > end-data {
			return nil, unsafe(field, fmt.Sprintf("header extension %#08x at %#x with length %d runs past %s", typ, off, n, extentName(end, clusterSize)), "malformed header extension")
		}
		if seen[typ] {
			return nil, unsafe(field, fmt.Sprintf("header extension %#08x repeated at %#x", typ, off), "each header extension may appear once")
		}
		seen[typ] = true
		if len(exts) == MaxExtensions {
			return nil, unsafe("header extensions", fmt.Sprintf("more than %d header extensions", MaxExtensions), "too many header extensions")
		}
		switch typ {
		case ExtExternalDataFile:
			return nil, unsafe(field, fmt.Sprintf("external data file name extension at %#x", off), "images with an external data file are refused")
		case ExtBackingFormat:
			return nil, unsafe(field, fmt.Sprintf("backing file format extension at %#x", off), "images with a backing file are refused")
		case ExtFullDiskCrypto:
			return nil, unsafe(field, fmt.Sprintf("full disk encryption extension at %#x", off), "encrypted images are refused")
		}
		exts = append(exts, Extension{Type: typ, Length: n, Offset: uint32(off)})
		off = data + padded
	}
}

func extentName(end, clusterSize uint64) string {
	if end < clusterSize {
		return fmt.Sprintf("the end of the %d-byte file", end)
	}
	return "the first cluster"
}
