package qcow2

import (
	"bytes"
	"fmt"
	"io"
	"strings"
)

// Format is a disk image format name.
type Format string

// The formats a plugin may announce.
const (
	FormatQcow2 Format = "qcow2"
	FormatRaw   Format = "raw"
)

// Formats Detect may report besides the two above: container formats that
// QEMU would interpret, and ISO 9660.
const (
	FormatQcow1     Format = "qcow"
	FormatQED       Format = "qed"
	FormatVMDK      Format = "vmdk"
	FormatVDI       Format = "vdi"
	FormatVHDX      Format = "vhdx"
	FormatVPC       Format = "vpc"
	FormatLUKS      Format = "luks"
	FormatParallels Format = "parallels"
	FormatDMG       Format = "dmg"
	FormatBochs     Format = "bochs"
	FormatCloop     Format = "cloop"
	FormatISO9660   Format = "iso9660"
)

// headLen is how much of the start of a file Detect reads: every magic at
// a fixed offset and the VMDK text descriptor probe fit (QEMU probes 512).
const headLen = 4096

// tailLen covers the VHD footer and the dmg "koly" trailer.
const tailLen = 512

type magic struct {
	format Format
	offset int
	value  string
}

var magics = []magic{
	{FormatQcow2, 0, Magic},
	{FormatQED, 0, "QED\x00"},
	{FormatVMDK, 0, "KDMV"},
	{FormatVMDK, 0, "COWD"},
	{FormatVMDK, 0, "# Disk DescriptorFile"},
	{FormatVDI, 0x40, "\x7f\x10\xda\xbe"},
	{FormatVHDX, 0, "vhdxfile"},
	{FormatVPC, 0, "conectix"},
	{FormatLUKS, 0, "LUKS\xba\xbe"},
	{FormatParallels, 0, "WithoutFreeSpace"},
	{FormatParallels, 0, "WithouFreSpacExt"},
	{FormatBochs, 0, "Bochs Virtual HD Image"},
	{FormatCloop, 0, "#!/bin/sh\n#V2.0 Format\n"},
}

// Detection is the result of Detect.
type Detection struct {
	Format Format
	// Evidence says what was seen where; empty for FormatRaw.
	Evidence string
}

// Detect guesses an image's format from its content: the first 4 KiB and
// the last 512 bytes. Content with no known signature is FormatRaw. ISO
// 9660 is not reported here (a raw ISO is a valid raw disk); see ISO9660.
func Detect(r io.ReaderAt, size int64) (Detection, error) {
	head := make([]byte, min(max(size, 0), headLen))
	if _, err := io.ReadFull(io.NewSectionReader(r, 0, int64(len(head))), head); err != nil {
		return Detection{}, fmt.Errorf("read first %d bytes: %w", len(head), err)
	}
	for _, m := range magics {
		if m.offset+len(m.value) <= len(head) && string(head[m.offset:m.offset+len(m.value)]) == m.value {
			f := m.format
			if f == FormatQcow2 && len(head) >= 8 && string(head[4:8]) == "\x00\x00\x00\x01" {
				f = FormatQcow1
			}
			return Detection{f, fmt.Sprintf("magic %s at offset %#x", quoteBytes(m.value), m.offset)}, nil
		}
	}
	if vmdkDescriptor(head) {
		return Detection{FormatVMDK, "VMDK text descriptor (version= line) at offset 0"}, nil
	}
	if size < tailLen {
		return Detection{Format: FormatRaw}, nil
	}
	tail := make([]byte, tailLen)
	if _, err := io.ReadFull(io.NewSectionReader(r, size-tailLen, tailLen), tail); err != nil {
		return Detection{}, fmt.Errorf("read last %d bytes: %w", tailLen, err)
	}
	// A fixed VHD ends with a 512-byte footer (511 bytes in some old
	// Virtual PC images); a dmg ends with a 512-byte "koly" trailer.
	switch {
	case bytes.HasPrefix(tail, []byte("conectix")):
		return Detection{FormatVPC, fmt.Sprintf(`VHD footer "conectix" at offset %#x`, size-tailLen)}, nil
	case bytes.HasPrefix(tail[1:], []byte("conectix")):
		return Detection{FormatVPC, fmt.Sprintf(`VHD footer "conectix" at offset %#x`, size-tailLen+1)}, nil
	case bytes.HasPrefix(tail, []byte("koly")):
		return Detection{FormatDMG, fmt.Sprintf(`dmg trailer "koly" at offset %#x`, size-tailLen)}, nil
	}
	return Detection{Format: FormatRaw}, nil
}

// quoteBytes quotes s like %q but escapes every byte outside printable
// ASCII as \xNN, so binary magics read as bytes, not as runes.
func quoteBytes(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\n':
			b.WriteString(`\n`)
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c >= 0x20 && c < 0x7f:
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, `\x%02x`, c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// vmdkDescriptor reports whether head starts like a VMDK text descriptor:
// after comment lines (starting with '#') and blank lines, a line
// "version=1", "version=2" or "version=3". QEMU's probe accepts that.
func vmdkDescriptor(head []byte) bool {
	for len(head) > 0 {
		line, rest, found := bytes.Cut(head, []byte("\n"))
		if !found {
			return false // QEMU wants the version line terminated
		}
		trimmed := bytes.TrimRight(line, " \t\r")
		switch {
		case len(trimmed) > 0 && trimmed[0] == '#':
		case len(bytes.TrimLeft(trimmed, " \t")) == 0:
		default:
			v := bytes.TrimLeft(trimmed, " \t")
			return len(v) == len("version=1") && bytes.HasPrefix(v, []byte("version=")) && v[8] >= '1' && v[8] <= '3'
		}
		head = rest
	}
	return false
}

// ISO 9660 volume descriptors are 2 KiB sectors from sector 16 (0x8000)
// on, each a type byte followed by "CD001"; the primary descriptor may come
// after a boot record, so sectors 16, 17 and 18 are looked at (as libmagic
// does).
var isoOffsets = []int64{0x8001, 0x8801, 0x9001}

// ISO9660 reports the offset of an ISO 9660 "CD001" signature, or -1.
func ISO9660(r io.ReaderAt, size int64) (int64, error) {
	buf := make([]byte, 5)
	for _, off := range isoOffsets {
		if off+int64(len(buf)) > size {
			break
		}
		if _, err := io.ReadFull(io.NewSectionReader(r, off, int64(len(buf))), buf); err != nil {
			return -1, fmt.Errorf("read %d bytes at %#x: %w", len(buf), off, err)
		}
		if string(buf) == "CD001" {
			return off, nil
		}
	}
	return -1, nil
}
