package qcow2

import (
	"encoding/binary"
	"fmt"
	"io"
)

// Magic is the qcow2 (and qcow1) magic at offset 0.
const Magic = "QFI\xfb"

// Bounds from the qcow2 specification, and fetchd's own.
const (
	// MinClusterBits and MaxClusterBits bound cluster_bits (512 B .. 2 MiB),
	// so the first cluster, the most Inspect reads, is at most 2 MiB.
	MinClusterBits = 9
	MaxClusterBits = 21
	// V2HeaderLength is the fixed header length of a version 2 image.
	V2HeaderLength = 72
	// MinV3HeaderLength is the smallest header_length of a version 3 image.
	MinV3HeaderLength = 104
	// MaxExtensions bounds the number of header extensions (the end marker
	// not counted). QEMU writes at most a handful.
	MaxExtensions = 64
	// MaxRefcountOrder is the largest refcount_order (64-bit refcounts).
	MaxRefcountOrder = 6
)

// Incompatible feature bits (incompatible_features, version 3).
const (
	IncompatDirty           = 1 << 0
	IncompatCorrupt         = 1 << 1
	IncompatExternalData    = 1 << 2
	IncompatCompressionType = 1 << 3
	IncompatExtendedL2      = 1 << 4
	// incompatKnown are the bits this package understands; any other bit
	// is refused.
	incompatKnown = 1<<5 - 1
)

// AutoclearRawExternalData is the autoclear bit saying the external data
// file is a valid raw image; it only makes sense with an external data file.
const AutoclearRawExternalData = 1 << 1

// Header extension types.
const (
	ExtEnd              = 0x00000000
	ExtBackingFormat    = 0xe2792aca
	ExtFeatureNameTable = 0x6803f857
	ExtBitmaps          = 0x23852875
	ExtFullDiskCrypto   = 0x0537be77
	ExtExternalDataFile = 0x44415441
)

// Compression types (the byte at offset 104 of a version 3 header).
const (
	CompressionZlib = 0
	CompressionZstd = 1
)

// Limits are the caller's bounds on an image.
type Limits struct {
	// MaxVirtualSize caps the virtual disk size in bytes; 0 means no cap.
	MaxVirtualSize uint64
}

// Extension is one header extension as found in the first cluster.
type Extension struct {
	Type uint32
	// Length is the length of the data, without the padding to 8 bytes.
	Length uint32
	// Offset is the file offset of the extension's 8-byte type/length
	// header.
	Offset uint32
}

// Header is a qcow2 header that passed every rule of Inspect.
type Header struct {
	Version               uint32
	ClusterBits           uint32
	VirtualSize           uint64
	CryptMethod           uint32
	L1Size                uint32
	L1TableOffset         uint64
	RefcountTableOffset   uint64
	RefcountTableClusters uint32
	NbSnapshots           uint32
	SnapshotsOffset       uint64
	// The feature bitmaps and refcount_order are zero and 4 for version 2.
	IncompatibleFeatures uint64
	CompatibleFeatures   uint64
	AutoclearFeatures    uint64
	RefcountOrder        uint32
	// HeaderLength is 72 for version 2.
	HeaderLength    uint32
	CompressionType uint8
	Extensions      []Extension
}

// ClusterSize is 1 << ClusterBits.
func (h *Header) ClusterSize() uint64 { return 1 << h.ClusterBits }

// prefixLen is what Inspect reads first: the largest fixed header field
// read from the prefix (compression_type at 104) fits, and no valid cluster
// is smaller.
const prefixLen = 1 << MinClusterBits

// Inspect reads the header and header extensions in the first cluster of the
// qcow2 image r of size bytes (at most 2 MiB, with io.ReadFull) and applies
// every rule of SECURITY.md. A refused image gives an *UnsafeError.
func Inspect(r io.ReaderAt, size int64, lim Limits) (*Header, error) {
	if size < 0 {
		return nil, fmt.Errorf("inspect qcow2 header: negative file size %d", size)
	}
	if size < V2HeaderLength {
		return nil, unsafe("file", fmt.Sprintf("file is %d bytes, shorter than the %d-byte qcow2 header", size, V2HeaderLength), "")
	}
	buf := make([]byte, min(size, prefixLen))
	if err := readAt(r, buf); err != nil {
		return nil, err
	}
	h, err := parseFixed(buf, size, lim)
	if err != nil {
		return nil, err
	}
	// cluster_bits is checked, so this allocation is at most 2 MiB.
	cluster := make([]byte, min(uint64(size), h.ClusterSize()))
	if err := readAt(r, cluster); err != nil {
		return nil, err
	}
	if h.Extensions, err = parseExtensions(cluster, h.HeaderLength, h.ClusterSize()); err != nil {
		return nil, err
	}
	return h, nil
}

func readAt(r io.ReaderAt, buf []byte) error {
	if _, err := io.ReadFull(io.NewSectionReader(r, 0, int64(len(buf))), buf); err != nil {
		return fmt.Errorf("read first %d bytes of qcow2 image: %w", len(buf), err)
	}
	return nil
}

func unsafe(field, detail, reason string) *UnsafeError {
	return &UnsafeError{Format: FormatQcow2, Field: field, Detail: detail, Reason: reason}
}

// parseFixed checks the fixed part of the header. b holds the first
// min(size, 512) bytes.
func parseFixed(b []byte, size int64, lim Limits) (*Header, error) {
	be := binary.BigEndian
	if string(b[0:4]) != Magic {
		return nil, unsafe("magic", fmt.Sprintf("magic is %s, want %s", quoteBytes(string(b[0:4])), quoteBytes(Magic)), "not a qcow2 image")
	}
	h := &Header{
		Version:               be.Uint32(b[4:]),
		ClusterBits:           be.Uint32(b[20:]),
		VirtualSize:           be.Uint64(b[24:]),
		CryptMethod:           be.Uint32(b[32:]),
		L1Size:                be.Uint32(b[36:]),
		L1TableOffset:         be.Uint64(b[40:]),
		RefcountTableOffset:   be.Uint64(b[48:]),
		RefcountTableClusters: be.Uint32(b[56:]),
		NbSnapshots:           be.Uint32(b[60:]),
		SnapshotsOffset:       be.Uint64(b[64:]),
		RefcountOrder:         4,
		HeaderLength:          V2HeaderLength,
	}
	if h.Version != 2 && h.Version != 3 {
		return nil, unsafe("version", fmt.Sprintf("version %d", h.Version), "only qcow2 versions 2 and 3 are accepted")
	}
	if off := be.Uint64(b[8:]); off != 0 {
		return nil, unsafe("backing_file_offset", fmt.Sprintf("backing file set (offset %#x)", off), "images with a backing file are refused")
	}
	if n := be.Uint32(b[16:]); n != 0 {
		return nil, unsafe("backing_file_size", fmt.Sprintf("backing file name length %d", n), "images with a backing file are refused")
	}
	if h.ClusterBits < MinClusterBits || h.ClusterBits > MaxClusterBits {
		return nil, unsafe("cluster_bits", fmt.Sprintf("cluster_bits %d", h.ClusterBits), fmt.Sprintf("must be %d..%d", MinClusterBits, MaxClusterBits))
	}
	if h.CryptMethod != 0 {
		return nil, unsafe("crypt_method", fmt.Sprintf("crypt_method %d (%s)", h.CryptMethod, cryptName(h.CryptMethod)), "encrypted images are refused")
	}
	if lim.MaxVirtualSize != 0 && h.VirtualSize > lim.MaxVirtualSize {
		return nil, unsafe("size", fmt.Sprintf("virtual size %d bytes", h.VirtualSize), fmt.Sprintf("over the cap of %d bytes", lim.MaxVirtualSize))
	}
	if h.Version == 2 {
		return h, nil
	}
	if size < MinV3HeaderLength {
		return nil, unsafe("file", fmt.Sprintf("file is %d bytes, shorter than the %d-byte qcow2 version 3 header", size, MinV3HeaderLength), "")
	}
	h.IncompatibleFeatures = be.Uint64(b[72:])
	h.CompatibleFeatures = be.Uint64(b[80:])
	h.AutoclearFeatures = be.Uint64(b[88:])
	h.RefcountOrder = be.Uint32(b[96:])
	h.HeaderLength = be.Uint32(b[100:])
	if err := checkHeaderLength(h.HeaderLength, h.ClusterSize(), size); err != nil {
		return nil, err
	}
	if err := checkIncompatible(h.IncompatibleFeatures); err != nil {
		return nil, err
	}
	if h.AutoclearFeatures&AutoclearRawExternalData != 0 {
		return nil, unsafe("autoclear_features", fmt.Sprintf("raw external data bit set (%#x)", h.AutoclearFeatures), "images with an external data file are refused")
	}
	if h.RefcountOrder > MaxRefcountOrder {
		return nil, unsafe("refcount_order", fmt.Sprintf("refcount_order %d", h.RefcountOrder), fmt.Sprintf("must be 0..%d", MaxRefcountOrder))
	}
	if h.HeaderLength > MinV3HeaderLength {
		// header_length ≤ size was checked, so b holds min(size, 512) ≥
		// 112 bytes.
		h.CompressionType = b[104]
	}
	return h, checkCompression(h)
}

func cryptName(m uint32) string {
	switch m {
	case 1:
		return "AES"
	case 2:
		return "LUKS"
	}
	return "unknown"
}

func checkHeaderLength(n uint32, cluster uint64, size int64) error {
	detail := fmt.Sprintf("header_length %d", n)
	switch {
	case n < MinV3HeaderLength:
		return unsafe("header_length", detail, fmt.Sprintf("must be at least %d for version 3", MinV3HeaderLength))
	case n%8 != 0:
		return unsafe("header_length", detail, "must be a multiple of 8")
	case uint64(n) > cluster:
		return unsafe("header_length", detail, fmt.Sprintf("must not exceed the cluster size %d", cluster))
	case int64(n) > size:
		return unsafe("header_length", detail, fmt.Sprintf("runs past the end of the %d-byte file", size))
	}
	return nil
}

func checkIncompatible(f uint64) error {
	detail := fmt.Sprintf("incompatible_features %#x", f)
	switch {
	case f&IncompatCorrupt != 0:
		return unsafe("incompatible_features", detail+" (corrupt bit)", "the image is marked corrupt")
	case f&IncompatExternalData != 0:
		return unsafe("incompatible_features", detail+" (external data file bit)", "images with an external data file are refused")
	case f&^incompatKnown != 0:
		return unsafe("incompatible_features", fmt.Sprintf("%s (unknown bits %#x)", detail, f&^incompatKnown), "unknown incompatible features are refused")
	case f&IncompatDirty != 0:
		return unsafe("incompatible_features", detail+" (dirty bit)", "a published image must not be dirty (refcounts may be stale)")
	}
	return nil
}

func checkCompression(h *Header) error {
	bit := h.IncompatibleFeatures&IncompatCompressionType != 0
	switch {
	case h.CompressionType != CompressionZlib && h.CompressionType != CompressionZstd:
		return unsafe("compression_type", fmt.Sprintf("compression_type %d", h.CompressionType), "unknown compression type")
	case bit && h.CompressionType == CompressionZlib:
		return unsafe("compression_type", "compression type bit set with zlib compression", "inconsistent header")
	case !bit && h.CompressionType != CompressionZlib:
		return unsafe("compression_type", fmt.Sprintf("compression_type %d without the compression type bit", h.CompressionType), "inconsistent header")
	}
	return nil
}
