package alpine

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseFileName(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		want ImageName // zero: an error containing msg
		msg  string
	}{
		"nocloud_alpine-3.19.1-x86_64-uefi-cloudinit-r0.qcow2": {want: ImageName{
			Cloud: "nocloud", Major: 3, Minor: 19, Patch: 1, Arch: "x86_64", Firmware: "uefi", Bootstrap: "cloudinit", Format: "qcow2"}},
		"generic_alpine-3.22.10-aarch64-uefi-tiny-r12.qcow2": {want: ImageName{
			Cloud: "generic", Major: 3, Minor: 22, Patch: 10, Arch: "aarch64", Firmware: "uefi", Bootstrap: "tiny", Revision: 12, Format: "qcow2"}},
		"nocloud_alpine-3.20.0-x86_64-bios-tiny-metal-r4.qcow2": {want: ImageName{
			Cloud: "nocloud", Major: 3, Minor: 20, Arch: "x86_64", Firmware: "bios", Bootstrap: "tiny", Machine: "metal", Revision: 4, Format: "qcow2"}},
		"gcp_alpine-3.21.2-x86_64-uefi-tiny-r0.raw.tar.gz": {want: ImageName{
			Cloud: "gcp", Major: 3, Minor: 21, Patch: 2, Arch: "x86_64", Firmware: "uefi", Bootstrap: "tiny", Format: "raw.tar.gz"}},
		"nocloud_alpine-3.19.1-x86_64-uefi-cloudinit-r0.qcow2.sha512": {want: ImageName{
			Cloud: "nocloud", Major: 3, Minor: 19, Patch: 1, Arch: "x86_64", Firmware: "uefi", Bootstrap: "cloudinit", Format: "qcow2.sha512"}},

		"no revision":              {msg: "does not follow"},
		"alpine-3.19.1-x86_64.iso": {msg: "does not follow"},
		"nocloud_alpine-3.19-x86_64-uefi-cloudinit-r0.qcow2":                               {msg: "does not follow"},
		"nocloud_alpine-3.19.01-x86_64-uefi-cloudinit-r0.qcow2":                            {msg: "does not follow"},
		"nocloud_alpine-3.19.1-x86_64-uefi-cloudinit-r00.qcow2":                            {msg: "does not follow"},
		"nocloud_alpine-3.19.1-x86_64-uefi-cloudinit-r0":                                   {msg: "does not follow"},
		"nocloud_alpine-3.19.1-x86_64-uefi-cloudinit-r0.":                                  {msg: "does not follow"},
		"nocloud_alpine-3.19.1-x86_64-uefi-cloudinit-r0..qcow2":                            {msg: "does not follow"},
		"nocloud_alpine-3.19.1-x86_64-UEFI-cloudinit-r0.qcow2":                             {msg: "does not follow"},
		"nocloud_alpine-3.19.1_rc1-x86_64-uefi-cloudinit-r0.qcow2":                         {msg: "does not follow"},
		"nocloud_alpine-3.19.1-x86_64-uefi-r0.qcow2":                                       {msg: "does not follow"},
		"nocloud_alpine-3.19.1-x86_64-uefi-cloudinit-vm-extra-r0.qcow2":                    {msg: "does not follow"},
		"nocloud-alpine-3.19.1-x86_64-uefi-cloudinit-r0.qcow2":                             {msg: "does not follow"},
		" nocloud_alpine-3.19.1-x86_64-uefi-cloudinit-r0.qcow2":                            {msg: "does not follow"},
		"nocloud_alpine-3.19.1-x86_64-uefi-cloudinit-r0.qcow2\n":                           {msg: "does not follow"},
		"nocloud_alpine-3.19.1-x86_64-uefi-cloudinit-r1-r0.qcow2":                          {msg: "two revisions"},
		"nocloud_alpine-3.19.1234567890-x86_64-uefi-cloudinit-r0.qcow2":                    {msg: "does not follow"},
		"nocloud_alpine-3.19.1-x86_64-uefi-cloudinit-r0.qcow2" + strings.Repeat(".x", 110): {msg: "longer than 255"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseFileName(name)
			if tc.msg != "" {
				if err == nil || !strings.Contains(err.Error(), tc.msg) {
					t.Fatalf("ParseFileName = %+v, %v; want an error containing %q", got, err, tc.msg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ParseFileName (-want +got):\n%s", diff)
			}
			if got.String() != name {
				t.Errorf("String() = %q, want %q", got.String(), name)
			}
		})
	}
}

func TestImageNameVersion(t *testing.T) {
	t.Parallel()
	n, err := ParseFileName("nocloud_alpine-3.22.1-x86_64-uefi-cloudinit-r0.qcow2")
	if err != nil {
		t.Fatal(err)
	}
	got := []string{n.Branch(), n.PointRelease(), n.Version()}
	if diff := cmp.Diff([]string{"3.22", "3.22.1", "3.22.1-r0"}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestNewer(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		a, b string // versions major.minor.patch-rN
		want bool
	}{
		"patch numerically":       {"3.19.10-r0", "3.19.9-r0", true},
		"not lexically":           {"3.19.9-r0", "3.19.10-r0", false},
		"point beats revision":    {"3.22.3-r0", "3.22.2-r2", true},
		"revision":                {"3.22.3-r1", "3.22.3-r0", true},
		"revision numerically":    {"3.22.3-r10", "3.22.3-r9", true},
		"equal is not newer":      {"3.22.3-r1", "3.22.3-r1", false},
		"branch beats everything": {"3.23.0-r0", "3.22.99-r99", true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			img := func(v string) ImageName {
				n, err := ParseFileName("nocloud_alpine-" + strings.Replace(v, "-r", "-x86_64-uefi-tiny-r", 1) + ".qcow2")
				if err != nil {
					t.Fatal(err)
				}
				return n
			}
			if got := img(tc.a).Newer(img(tc.b)); got != tc.want {
				t.Errorf("%s.Newer(%s) = %v, want %v", tc.a, tc.b, got, tc.want)
			}
		})
	}
}
