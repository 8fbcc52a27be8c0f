package qcow2

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// MaxBackingName is the longest backing file name QEMU accepts (1023
// bytes; block/qcow2.c refuses a longer one).
const MaxBackingName = 1023

// DefaultMaxBackingHeader bounds how much of an overlay ReadBacking reads
// when the caller sets no cap: QEMU writes the header, its extensions and
// the backing file name in the first few hundred bytes.
const DefaultMaxBackingHeader = 64 << 10

// ErrNotQcow2 is ReadBacking finding no qcow2 magic: the file is something
// else, and only the first bytes were read.
var ErrNotQcow2 = errors.New("not a qcow2 image")

// Backing is what a qcow2 image's header says about its backing file.
type Backing struct {
	// Name is the backing file name as written ("" when the image has no
	// backing file). QEMU resolves a relative name against the
	// directory of the image.
	Name string
	// Format is the backing file format extension's value ("" when the
	// header has none: QEMU then probes the format).
	Format string
}

// ReadBacking reads the backing file name and format of the qcow2 image r
// of size bytes. Unlike Inspect it accepts any image QEMU could run (dirty,
// with snapshots, bitmaps or unknown features): it is for VM disks, which
// fetchd only looks at. It reads at most maxHeader bytes
// (DefaultMaxBackingHeader when 0), first 512; a file without the qcow2
// magic gives ErrNotQcow2 after reading 512 bytes or fewer. A malformed
// header is an *UnsafeError.
func ReadBacking(r io.ReaderAt, size int64, maxHeader int) (Backing, error) {
	if maxHeader <= 0 {
		maxHeader = DefaultMaxBackingHeader
	}
	maxHeader = max(maxHeader, prefixLen)
	if size < 4 {
		return Backing{}, ErrNotQcow2
	}
	buf := make([]byte, min(size, prefixLen))
	if err := readAt(r, buf); err != nil {
		return Backing{}, err
	}
	if string(buf[:4]) != Magic {
		return Backing{}, ErrNotQcow2
	}
	if size < V2HeaderLength {
		return Backing{}, unsafe("file", fmt.Sprintf("file is %d bytes, shorter than the %d-byte qcow2 header", size, V2HeaderLength), "")
	}
	be := binary.BigEndian
	version := be.Uint32(buf[4:])
	if version != 2 && version != 3 {
		return Backing{}, unsafe("version", fmt.Sprintf("version %d", version), "only qcow2 versions 2 and 3 are read")
	}
	cbits := be.Uint32(buf[20:])
	if cbits < MinClusterBits || cbits > MaxClusterBits {
		return Backing{}, unsafe("cluster_bits", fmt.Sprintf("cluster_bits %d", cbits), fmt.Sprintf("must be %d..%d", MinClusterBits, MaxClusterBits))
	}
	cluster := uint64(1) << cbits
	nameOff, nameLen := be.Uint64(buf[8:]), uint64(be.Uint32(buf[16:]))
	hdrLen := uint64(V2HeaderLength)
	if version == 3 {
		if size < MinV3HeaderLength {
			return Backing{}, unsafe("file", fmt.Sprintf("file is %d bytes, shorter than the %d-byte qcow2 version 3 header", size, MinV3HeaderLength), "")
		}
		hdrLen = uint64(be.Uint32(buf[100:]))
		if err := checkHeaderLength(uint32(hdrLen), cluster, size); err != nil {
			return Backing{}, err
		}
	}
	if nameOff == 0 {
		return Backing{}, nil
	}
	// QEMU's own rules: the name lies in the first cluster, after the
	// header, and is at most 1023 bytes.
	switch {
	case nameLen > MaxBackingName:
		return Backing{}, unsafe("backing_file_size", fmt.Sprintf("backing file name length %d", nameLen), fmt.Sprintf("QEMU accepts at most %d", MaxBackingName))
	case nameOff < hdrLen || nameOff > cluster || nameLen > cluster-nameOff:
		return Backing{}, unsafe("backing_file_offset", fmt.Sprintf("backing file name at %#x, length %d", nameOff, nameLen), "must lie in the first cluster, after the header")
	case nameOff+nameLen > uint64(size):
		return Backing{}, unsafe("backing_file_offset", fmt.Sprintf("backing file name at %#x, length %d", nameOff, nameLen), fmt.Sprintf("runs past the end of the %d-byte file", size))
	case nameOff+nameLen > uint64(maxHeader):
		return Backing{}, unsafe("backing_file_offset", fmt.Sprintf("backing file name at %#x, length %d", nameOff, nameLen), fmt.Sprintf("past the %d bytes fetchd reads of a header", maxHeader))
	}
	// The extensions lie between the header and the name.
	area := make([]byte, nameOff+nameLen)
	if err := readAt(r, area); err != nil {
		return Backing{}, err
	}
	b := Backing{Name: string(area[nameOff:])}
	if nameLen == 0 {
		return Backing{}, unsafe("backing_file_size", "backing file offset set with an empty name", "malformed header")
	}
	if version == 3 {
		f, err := backingFormat(area[:nameOff], hdrLen)
		if err != nil {
			return Backing{}, err
		}
		b.Format = f
	}
	return b, nil
}

// backingFormat finds the backing file format extension in the extension
// area c[start:], which ends where the backing file name starts.
func backingFormat(c []byte, start uint64) (string, error) {
	end := uint64(len(c))
	for off, n := start, 0; off+8 <= end; n++ {
		if n > MaxExtensions {
			return "", unsafe("header extensions", fmt.Sprintf("more than %d header extensions", MaxExtensions), "too many header extensions")
		}
		typ := binary.BigEndian.Uint32(c[off:])
		l := uint64(binary.BigEndian.Uint32(c[off+4:]))
		if typ == ExtEnd {
			return "", nil
		}
		data := off + 8
		if l > end-data {
			return "", unsafe(fmt.Sprintf("extension %#08x", typ), fmt.Sprintf("header extension %#08x at %#x with length %d runs into the backing file name", typ, off, l), "malformed header extension")
		}
		if typ == ExtBackingFormat {
			if l == 0 || l > 16 {
				return "", unsafe("extension 0xe2792aca", fmt.Sprintf("backing file format of %d bytes", l), "malformed header extension")
			}
			return string(c[data : data+l]), nil
		}
		off = data + (l+7)&^7
	}
	return "", nil
}
