package qcow2

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func inspectBytes(b []byte, lim Limits) (*Header, error) {
	return Inspect(bytes.NewReader(b), int64(len(b)), lim)
}

func TestInspectRefuses(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		h     func() testHeader
		lim   Limits
		field string
		want  string // substring of the message
	}{
		"wrong magic": {
			h: func() testHeader { h := validV3(); h.magic = "QFI\x00"; return h }, field: "magic", want: "not a qcow2 image",
		},
		"version 1": {
			h: func() testHeader { h := validV3(); h.version = 1; return h }, field: "version", want: "version 1",
		},
		"version 4": {
			h: func() testHeader { h := validV3(); h.version = 4; return h }, field: "version", want: "versions 2 and 3",
		},
		"backing file offset": {
			h: func() testHeader {
				h := validV3()
				h.backingOffset = 0x1c8
				h.backingSize = 9
				h.extraAtOffset = map[int]string{0x1c8: "/etc/shadow"}
				return h
			},
			field: "backing_file_offset", want: "unsafe qcow2 header: backing file set (offset 0x1c8): images with a backing file are refused",
		},
		"backing file size alone": {
			h: func() testHeader { h := validV3(); h.backingSize = 11; return h }, field: "backing_file_size", want: "backing file",
		},
		"cluster bits 8": {
			h: func() testHeader { h := validV3(); h.clusterBits = 8; return h }, field: "cluster_bits", want: "must be 9..21",
		},
		"cluster bits 22": {
			h: func() testHeader { h := validV3(); h.clusterBits = 22; return h }, field: "cluster_bits", want: "cluster_bits 22",
		},
		"cluster bits huge": {
			h: func() testHeader { h := validV3(); h.clusterBits = 0xffffffff; return h }, field: "cluster_bits",
		},
		"aes encryption": {
			h: func() testHeader { h := validV3(); h.cryptMethod = 1; return h }, field: "crypt_method", want: "crypt_method 1 (AES): encrypted images are refused",
		},
		"luks encryption": {
			h: func() testHeader { h := validV3(); h.cryptMethod = 2; return h }, field: "crypt_method", want: "LUKS",
		},
		"virtual size over cap": {
			h: validV3, lim: Limits{MaxVirtualSize: 64<<20 - 1}, field: "size", want: "over the cap of 67108863 bytes",
		},
		"v2 virtual size over cap": {
			h: validV2, lim: Limits{MaxVirtualSize: 1 << 20}, field: "size",
		},
		"header length below 104": {
			h: func() testHeader { h := validV3(); h.headerLength = 96; h.exts = nil; return h }, field: "header_length", want: "at least 104",
		},
		"header length not a multiple of 8": {
			h: func() testHeader { h := validV3(); h.headerLength = 108; h.exts = nil; return h }, field: "header_length", want: "multiple of 8",
		},
		"header length over cluster size": {
			h: func() testHeader {
				h := validV3()
				h.clusterBits = 9
				h.headerLength = 520
				h.exts = nil
				h.fileLen = 4096
				return h
			},
			field: "header_length", want: "cluster size 512",
		},
		"header length past end of file": {
			h: func() testHeader {
				h := validV3()
				h.headerLength = 4096
				h.exts = nil
				h.fileLen = 2048
				return h
			},
			field: "header_length", want: "end of the 2048-byte file",
		},
		"dirty bit": {
			h: func() testHeader { h := validV3(); h.incompat = IncompatDirty; return h }, field: "incompatible_features", want: "dirty bit",
		},
		"corrupt bit": {
			h: func() testHeader { h := validV3(); h.incompat = IncompatCorrupt; return h }, field: "incompatible_features", want: "marked corrupt",
		},
		"external data file bit": {
			h: func() testHeader { h := validV3(); h.incompat = IncompatExternalData; return h }, field: "incompatible_features", want: "external data file",
		},
		"unknown incompatible bit 5": {
			h: func() testHeader { h := validV3(); h.incompat = 1 << 5; return h }, field: "incompatible_features", want: "unknown bits 0x20",
		},
		"unknown incompatible bit 63": {
			h: func() testHeader { h := validV3(); h.incompat = 1<<63 | IncompatExtendedL2; return h }, field: "incompatible_features", want: "unknown",
		},
		"raw external data autoclear bit": {
			h: func() testHeader { h := validV3(); h.autoclear = AutoclearRawExternalData; return h }, field: "autoclear_features", want: "external data",
		},
		"refcount order 7": {
			h: func() testHeader { h := validV3(); h.refcountOrder = 7; return h }, field: "refcount_order",
		},
		"unknown compression type": {
			h: func() testHeader {
				h := validV3()
				h.compressionType = 2
				h.incompat = IncompatCompressionType
				return h
			},
			field: "compression_type", want: "unknown compression type",
		},
		"compression bit with zlib": {
			h: func() testHeader { h := validV3(); h.incompat = IncompatCompressionType; return h }, field: "compression_type",
		},
		"zstd without compression bit": {
			h: func() testHeader { h := validV3(); h.compressionType = CompressionZstd; return h }, field: "compression_type",
		},
		"external data file extension": {
			h: func() testHeader {
				h := validV3()
				h.exts = append(h.exts, testExt{typ: ExtExternalDataFile, data: []byte("/etc/shadow")})
				return h
			},
			field: "extension 0x44415441", want: "external data file name extension at 0x88",
		},
		"external data file extension in v2": {
			h: func() testHeader {
				h := validV2()
				h.exts = []testExt{{typ: ExtExternalDataFile, data: []byte("/etc/shadow")}}
				return h
			},
			field: "extension 0x44415441",
		},
		"backing format extension": {
			h: func() testHeader {
				h := validV3()
				h.exts = []testExt{{typ: ExtBackingFormat, data: []byte("raw")}}
				return h
			},
			field: "extension 0xe2792aca", want: "backing file",
		},
		"full disk encryption extension": {
			h: func() testHeader {
				h := validV3()
				h.exts = []testExt{{typ: ExtFullDiskCrypto, data: make([]byte, 16)}}
				return h
			},
			field: "extension 0x0537be77", want: "encrypted",
		},
		"repeated known extension": {
			h: func() testHeader {
				h := validV3()
				h.exts = append(h.exts, h.exts[0])
				return h
			},
			field: "extension 0x6803f857", want: "repeated",
		},
		"repeated unknown extension": {
			h: func() testHeader {
				h := validV3()
				h.exts = []testExt{{typ: 0x12345678}, {typ: 0x12345678, data: []byte("x")}}
				return h
			},
			field: "extension 0x12345678", want: "repeated",
		},
		"too many extensions": {
			h: func() testHeader {
				h := validV3()
				h.exts = nil
				for i := range MaxExtensions + 1 {
					h.exts = append(h.exts, testExt{typ: 0x1000 + uint32(i)})
				}
				return h
			},
			field: "header extensions", want: "more than 64",
		},
		"extension length past first cluster": {
			h: func() testHeader {
				h := validV3()
				h.exts = []testExt{{typ: 0x12345678, length: u32p(1 << 16)}}
				return h
			},
			field: "extension 0x12345678", want: "runs past the first cluster",
		},
		"extension length 0xffffffff": {
			h: func() testHeader {
				h := validV3()
				h.exts = []testExt{{typ: ExtFeatureNameTable, length: u32p(0xffffffff)}}
				return h
			},
			field: "extension 0x6803f857",
		},
		"extension past end of file": {
			h: func() testHeader {
				h := validV3()
				h.exts = []testExt{{typ: 0x12345678, length: u32p(8192)}}
				h.fileLen = 4096
				return h
			},
			field: "extension 0x12345678", want: "end of the 4096-byte file",
		},
		"no end marker before end of file": {
			h: func() testHeader {
				h := validV3()
				h.truncateAfterExts = true
				return h
			},
			field: "header extensions", want: "no end-of-extensions marker",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h, err := inspectBytes(tc.h().bytes(), tc.lim)
			if err == nil {
				t.Fatalf("Inspect accepted the image: %+v", h)
			}
			ue, ok := errors.AsType[*UnsafeError](err)
			if !ok {
				t.Fatalf("error %v (%T) is not an *UnsafeError", err, err)
			}
			if ue.Field != tc.field {
				t.Errorf("Field = %q, want %q (error: %v)", ue.Field, tc.field, err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
		})
	}
}

func TestInspectShortFiles(t *testing.T) {
	t.Parallel()
	full := validV3().bytes()
	tests := map[string]struct {
		n    int
		want string
	}{
		"empty":            {0, "file is 0 bytes, shorter than the 72-byte qcow2 header"},
		"magic only":       {4, "shorter than the 72-byte"},
		"71 bytes":         {71, "shorter than the 72-byte"},
		"v3 with 72 bytes": {72, "shorter than the 104-byte qcow2 version 3 header"},
		"v3 with 103":      {103, "104-byte"},
		"v3 with 104":      {104, "header_length 112: runs past the end of the 104-byte file"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := inspectBytes(full[:tc.n], Limits{})
			if _, ok := errors.AsType[*UnsafeError](err); !ok {
				t.Fatalf("error %v (%T) is not an *UnsafeError", err, err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
		})
	}
}

func TestInspectAccepts(t *testing.T) {
	t.Parallel()
	featureTable := Extension{Type: ExtFeatureNameTable, Length: 12, Offset: 112}
	tests := map[string]struct {
		h    func() testHeader
		lim  Limits
		want Header
	}{
		"v3 as qemu-img creates it": {
			h:   validV3,
			lim: Limits{MaxVirtualSize: 64 << 20},
			want: Header{Version: 3, ClusterBits: 16, VirtualSize: 64 << 20, L1Size: 1, L1TableOffset: 0x30000,
				RefcountTableOffset: 0x10000, RefcountTableClusters: 1, RefcountOrder: 4, HeaderLength: 112,
				Extensions: []Extension{featureTable}},
		},
		"v2 with no extensions": {
			h: validV2,
			want: Header{Version: 2, ClusterBits: 16, VirtualSize: 64 << 20, L1Size: 1, L1TableOffset: 0x30000,
				RefcountTableOffset: 0x10000, RefcountTableClusters: 1, RefcountOrder: 4, HeaderLength: 72},
		},
		"zstd, extended L2, lazy refcounts, bitmaps, unknown extension": {
			h: func() testHeader {
				h := validV3()
				h.incompat = IncompatCompressionType | IncompatExtendedL2
				h.compressionType = CompressionZstd
				h.compat = 1
				h.autoclear = 1
				h.exts = append(h.exts, testExt{typ: ExtBitmaps, data: make([]byte, 24)}, testExt{typ: 0x12345678, data: []byte("abc")})
				return h
			},
			want: Header{Version: 3, ClusterBits: 16, VirtualSize: 64 << 20, L1Size: 1, L1TableOffset: 0x30000,
				RefcountTableOffset: 0x10000, RefcountTableClusters: 1, RefcountOrder: 4, HeaderLength: 112,
				IncompatibleFeatures: 0x18, CompatibleFeatures: 1, AutoclearFeatures: 1, CompressionType: 1,
				Extensions: []Extension{
					featureTable,
					{Type: ExtBitmaps, Length: 24, Offset: 136},
					{Type: 0x12345678, Length: 3, Offset: 168},
				}},
		},
		"header length 104 with no compression byte": {
			h: func() testHeader {
				h := validV3()
				h.headerLength = 104
				h.exts = nil
				return h
			},
			want: Header{Version: 3, ClusterBits: 16, VirtualSize: 64 << 20, L1Size: 1, L1TableOffset: 0x30000,
				RefcountTableOffset: 0x10000, RefcountTableClusters: 1, RefcountOrder: 4, HeaderLength: 104},
		},
		"extensions fill the whole 512-byte cluster": {
			h: func() testHeader {
				h := validV3()
				h.clusterBits = 9
				h.exts = []testExt{{typ: 0x12345678, data: make([]byte, 512-112-8)}}
				return h
			},
			want: Header{Version: 3, ClusterBits: 9, VirtualSize: 64 << 20, L1Size: 1, L1TableOffset: 0x30000,
				RefcountTableOffset: 0x10000, RefcountTableClusters: 1, RefcountOrder: 4, HeaderLength: 112,
				Extensions: []Extension{{Type: 0x12345678, Length: 392, Offset: 112}}},
		},
		"2 MiB clusters": {
			h: func() testHeader { h := validV3(); h.clusterBits = 21; return h },
			want: Header{Version: 3, ClusterBits: 21, VirtualSize: 64 << 20, L1Size: 1, L1TableOffset: 0x30000,
				RefcountTableOffset: 0x10000, RefcountTableClusters: 1, RefcountOrder: 4, HeaderLength: 112,
				Extensions: []Extension{featureTable}},
		},
		"file shorter than the cluster": {
			h: func() testHeader { h := validV3(); h.fileLen = 512; return h },
			want: Header{Version: 3, ClusterBits: 16, VirtualSize: 64 << 20, L1Size: 1, L1TableOffset: 0x30000,
				RefcountTableOffset: 0x10000, RefcountTableClusters: 1, RefcountOrder: 4, HeaderLength: 112,
				Extensions: []Extension{featureTable}},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := inspectBytes(tc.h().bytes(), tc.lim)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(&tc.want, got); diff != "" {
				t.Errorf("Inspect (-want +got):\n%s", diff)
			}
		})
	}
}

// TestInspectReadsOnlyFirstCluster pins the read bound: a 2 MiB cluster is
// the most Inspect ever reads, whatever the file size.
func TestInspectReadsOnlyFirstCluster(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		clusterBits uint32
		fileLen     int
		wantMax     int64
	}{
		"64 KiB clusters": {16, 1 << 20, 1 << 16},
		"2 MiB clusters":  {21, 8 << 20, 2 << 20},
		"refused 4 MiB":   {22, 16 << 20, 512},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := validV3()
			h.clusterBits = tc.clusterBits
			h.fileLen = tc.fileLen
			b := h.bytes()
			cr := &countingReader{r: bytes.NewReader(b)}
			_, _ = Inspect(cr, int64(len(b)), Limits{})
			if cr.maxEnd != tc.wantMax {
				t.Errorf("read up to byte %d, want %d", cr.maxEnd, tc.wantMax)
			}
		})
	}
}

type failingReader struct{}

func (failingReader) ReadAt([]byte, int64) (int, error) { return 0, io.ErrUnexpectedEOF }

func TestInspectReadError(t *testing.T) {
	t.Parallel()
	_, err := Inspect(failingReader{}, 1<<20, Limits{})
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("error %v does not wrap the read error", err)
	}
	if _, ok := errors.AsType[*UnsafeError](err); ok {
		t.Fatalf("a read error is reported as unsafe content: %v", err)
	}
}

func TestInspectNegativeSize(t *testing.T) {
	t.Parallel()
	if _, err := Inspect(bytes.NewReader(nil), -1, Limits{}); err == nil {
		t.Fatal("Inspect accepted a negative size")
	}
}
