package alpine

import (
	"strings"
	"testing"

	"github.com/sandlabx/fetchd/sdk"
)

const img = "nocloud_alpine-3.19.1-x86_64-uefi-cloudinit-r0.qcow2"

func FuzzParseFileName(f *testing.F) {
	for _, s := range []string{
		img,
		"generic_alpine-3.22.10-aarch64-uefi-tiny-r12.qcow2",
		"nocloud_alpine-3.20.0-x86_64-bios-tiny-metal-r4.qcow2",
		"gcp_alpine-3.21.2-x86_64-uefi-tiny-r0.raw.tar.gz",
		img + ".sha512",
		"nocloud_alpine-3.19.1-x86_64-uefi-cloudinit-r1-r0.qcow2",
		"nocloud_alpine-3.19.01-x86_64-uefi-cloudinit-r0.qcow2",
		"alpine-virt-3.19.1-x86_64.iso",
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseFileName(s)
		if err != nil {
			return
		}
		// One reading only: the name comes back byte for byte, and its
		// parts parse back to the same value.
		if n.String() != s {
			t.Fatalf("ParseFileName(%q).String() = %q", s, n.String())
		}
		again, err := ParseFileName(n.String())
		if err != nil || again != n {
			t.Fatalf("reparse of %q = %+v, %v; want %+v", s, again, err, n)
		}
		if err := sdk.ValidFileName(s); err != nil {
			t.Fatalf("%q parsed but is not a valid file name: %v", s, err)
		}
		if n.Major < 0 || n.Minor < 0 || n.Patch < 0 || n.Revision < 0 {
			t.Fatalf("%q: negative number in %+v", s, n)
		}
		for _, part := range []string{n.Cloud, n.Arch, n.Firmware, n.Bootstrap, n.Machine, n.Format} {
			if strings.ContainsAny(part, "-/ ") {
				t.Fatalf("%q: part %q holds a separator", s, part)
			}
		}
		if !n.Newer(ImageName{Major: n.Major, Minor: n.Minor, Patch: n.Patch, Revision: n.Revision - 1}) || n.Newer(n) {
			t.Fatalf("%q: Newer is not a strict order around itself", s)
		}
	})
}

func FuzzParseVariant(f *testing.F) {
	for _, s := range []string{"nocloud-uefi-cloudinit", "generic-bios-tiny", "aws-uefi-tiny", "nocloud-uefi", "a-b-c-d", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseVariant(s)
		if err != nil {
			return
		}
		if v.String() != s {
			t.Fatalf("ParseVariant(%q).String() = %q", s, v.String())
		}
		found := false
		for _, w := range allVariants() {
			found = found || w == v
		}
		if !found {
			t.Fatalf("ParseVariant(%q) = %+v, not a variant Describe offers", s, v)
		}
	})
}
