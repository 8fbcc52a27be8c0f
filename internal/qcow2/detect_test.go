package qcow2

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// image returns n zero bytes with s written at each offset (negative
// offsets count from the end).
func image(n int, at map[int]string) []byte {
	b := make([]byte, n)
	for off, s := range at {
		if off < 0 {
			off += n
		}
		copy(b[off:], s)
	}
	return b
}

func TestDetect(t *testing.T) {
	t.Parallel()
	mbr := image(1<<20, map[int]string{0: "\xeb\x63\x90", 0x1fe: "\x55\xaa"})
	tests := map[string]struct {
		data []byte
		want Detection
	}{
		"zeros":           {image(1<<20, nil), Detection{Format: FormatRaw}},
		"empty":           {nil, Detection{Format: FormatRaw}},
		"tiny":            {[]byte("QFI"), Detection{Format: FormatRaw}},
		"mbr boot sector": {mbr, Detection{Format: FormatRaw}},
		"iso 9660 is a valid raw disk": {
			image(1<<20, map[int]string{0x8001: "CD001"}), Detection{Format: FormatRaw},
		},
		"qcow2": {
			validV3().bytes(), Detection{FormatQcow2, `magic "QFI\xfb" at offset 0x0`},
		},
		"qcow2 of unknown version is still qcow2": {
			image(4096, map[int]string{0: "QFI\xfb\x00\x00\x00\x07"}), Detection{FormatQcow2, `magic "QFI\xfb" at offset 0x0`},
		},
		"qcow version 1": {
			image(4096, map[int]string{0: "QFI\xfb\x00\x00\x00\x01"}), Detection{FormatQcow1, `magic "QFI\xfb" at offset 0x0`},
		},
		"qed": {
			image(4096, map[int]string{0: "QED\x00\x01"}), Detection{FormatQED, `magic "QED\x00" at offset 0x0`},
		},
		"vmdk sparse": {
			image(4096, map[int]string{0: "KDMV"}), Detection{FormatVMDK, `magic "KDMV" at offset 0x0`},
		},
		"vmdk esx sparse": {
			image(4096, map[int]string{0: "COWD"}), Detection{FormatVMDK, `magic "COWD" at offset 0x0`},
		},
		"vmdk descriptor": {
			[]byte("# Disk DescriptorFile\nversion=1\nRW 2048 FLAT \"/etc/shadow\" 0\n"),
			Detection{FormatVMDK, `magic "# Disk DescriptorFile" at offset 0x0`},
		},
		"vmdk descriptor without the title comment": {
			[]byte("# a comment\n\n   \r\nversion=3\r\nRW 2048 FLAT \"/etc/shadow\" 0\n"),
			Detection{FormatVMDK, "VMDK text descriptor (version= line) at offset 0"},
		},
		"vdi": {
			image(4096, map[int]string{0: "<<< QEMU VM Virtual Disk Image >>>\n", 0x40: "\x7f\x10\xda\xbe"}),
			Detection{FormatVDI, `magic "\x7f\x10\xda\xbe" at offset 0x40`},
		},
		"vhdx": {
			image(4096, map[int]string{0: "vhdxfile"}), Detection{FormatVHDX, `magic "vhdxfile" at offset 0x0`},
		},
		"dynamic vhd": {
			image(4096, map[int]string{0: "conectix"}), Detection{FormatVPC, `magic "conectix" at offset 0x0`},
		},
		"fixed vhd footer": {
			image(1<<20, map[int]string{-512: "conectix"}), Detection{FormatVPC, `VHD footer "conectix" at offset 0xffe00`},
		},
		"fixed vhd 511-byte footer": {
			image(1<<20, map[int]string{-511: "conectix"}), Detection{FormatVPC, `VHD footer "conectix" at offset 0xffe01`},
		},
		"luks": {
			image(4096, map[int]string{0: "LUKS\xba\xbe\x00\x02"}), Detection{FormatLUKS, `magic "LUKS\xba\xbe" at offset 0x0`},
		},
		"parallels": {
			image(4096, map[int]string{0: "WithoutFreeSpace"}), Detection{FormatParallels, `magic "WithoutFreeSpace" at offset 0x0`},
		},
		"parallels ext": {
			image(4096, map[int]string{0: "WithouFreSpacExt"}), Detection{FormatParallels, `magic "WithouFreSpacExt" at offset 0x0`},
		},
		"bochs": {
			image(4096, map[int]string{0: "Bochs Virtual HD Image\x00"}), Detection{FormatBochs, `magic "Bochs Virtual HD Image" at offset 0x0`},
		},
		"cloop": {
			image(4096, map[int]string{0: "#!/bin/sh\n#V2.0 Format\nmodprobe cloop file=$0 && mount -r -t iso9660 /dev/cloop $1\n"}),
			Detection{FormatCloop, `magic "#!/bin/sh\n#V2.0 Format\n" at offset 0x0`},
		},
		"dmg trailer": {
			image(1<<20, map[int]string{-512: "koly"}), Detection{FormatDMG, `dmg trailer "koly" at offset 0xffe00`},
		},
		"shell script is not vmdk": {
			[]byte("#!/bin/sh\necho version=1\n"), Detection{Format: FormatRaw},
		},
		"unterminated version line is not vmdk": {
			[]byte("# x\nversion=1"), Detection{Format: FormatRaw},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := Detect(bytes.NewReader(tc.data), int64(len(tc.data)))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Detect (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDetectReadsHeadAndTailOnly(t *testing.T) {
	t.Parallel()
	b := image(64<<20, nil)
	cr := &countingReader{r: bytes.NewReader(b)}
	if _, err := Detect(cr, int64(len(b))); err != nil {
		t.Fatal(err)
	}
	if cr.maxEnd != int64(len(b)) {
		t.Errorf("Detect did not read the tail: furthest byte %d", cr.maxEnd)
	}
}

func TestISO9660(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		data []byte
		want int64
	}{
		"sector 16":          {image(0x10000, map[int]string{0x8001: "CD001"}), 0x8001},
		"sector 17":          {image(0x10000, map[int]string{0x8801: "CD001"}), 0x8801},
		"sector 18":          {image(0x10000, map[int]string{0x9001: "CD001"}), 0x9001},
		"none":               {image(0x10000, nil), -1},
		"off by one":         {image(0x10000, map[int]string{0x8000: "CD001"}), -1},
		"file ends mid-sig":  {image(0x8004, map[int]string{0x8001: "CD0"}), -1},
		"file ends at sig":   {image(0x8006, map[int]string{0x8001: "CD001"}), 0x8001},
		"shorter than 32KiB": {image(0x7000, nil), -1},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := ISO9660(bytes.NewReader(tc.data), int64(len(tc.data)))
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("ISO9660 = %#x, want %#x", got, tc.want)
			}
		})
	}
}
