package alpine

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sandlabx/fetchd/sdk/listing"
)

func entries(names ...string) []listing.Entry {
	var out []listing.Entry
	for i, n := range names {
		out = append(out, listing.Entry{Name: n, Size: int64(100 + i)})
	}
	return out
}

func TestChoose(t *testing.T) {
	t.Parallel()
	nuc := Variant{"nocloud", "uefi", "cloudinit"}
	// distractors are names a resolver for nocloud-uefi-cloudinit x86_64
	// must skip, each "newer" than any real candidate.
	distractors := []string{
		"nocloud_alpine-3.22.9-x86_64-uefi-cloudinit-r9.qcow2.sha512",
		"nocloud_alpine-3.22.9-x86_64-uefi-cloudinit-r9.qcow2.asc",
		"nocloud_alpine-3.22.9-x86_64-uefi-cloudinit-r9.vhd",
		"nocloud_alpine-3.22.9-x86_64-uefi-cloudinit-r9.raw",
		"nocloud_alpine-3.22.9-x86_64-uefi-cloudinit-metal-r9.qcow2",
		"oci_alpine-3.22.9-x86_64-uefi-cloudinit-r9.qcow2",
		"generic_alpine-3.22.9-x86_64-uefi-cloudinit-r9.qcow2",
		"nocloud_alpine-3.22.9-aarch64-uefi-cloudinit-r9.qcow2",
		"nocloud_alpine-3.22.9-x86_64-bios-cloudinit-r9.qcow2",
		"nocloud_alpine-3.22.9-x86_64-uefi-tiny-r9.qcow2",
		"nocloud_alpine-3.23.0-x86_64-uefi-cloudinit-r0.qcow2", // another branch
		"nocloud_alpine-3.22.9-x86_64-uefi-cloudinit-r9.QCOW2",
		"index.html",
	}
	tests := map[string]struct {
		names  []string
		branch string
		want   string // "" for not found
		others []string
	}{
		"newest point release, then revision": {
			names: append([]string{
				"nocloud_alpine-3.22.9-x86_64-uefi-cloudinit-r1.qcow2",
				"nocloud_alpine-3.22.10-x86_64-uefi-cloudinit-r0.qcow2",
				"nocloud_alpine-3.22.10-x86_64-uefi-cloudinit-r1.qcow2",
				"nocloud_alpine-3.22.2-x86_64-uefi-cloudinit-r5.qcow2",
			}, distractors...),
			branch: "3.22",
			want:   "nocloud_alpine-3.22.10-x86_64-uefi-cloudinit-r1.qcow2",
		},
		"r10 after r9": {
			names:  []string{"nocloud_alpine-3.22.1-x86_64-uefi-cloudinit-r10.qcow2", "nocloud_alpine-3.22.1-x86_64-uefi-cloudinit-r9.qcow2"},
			branch: "3.22",
			want:   "nocloud_alpine-3.22.1-x86_64-uefi-cloudinit-r10.qcow2",
		},
		"any branch (latest-stable)": {
			names: append([]string{"nocloud_alpine-3.22.10-x86_64-uefi-cloudinit-r1.qcow2"}, distractors...),
			want:  "nocloud_alpine-3.23.0-x86_64-uefi-cloudinit-r0.qcow2",
		},
		"only distractors": {
			names:  distractors,
			branch: "3.22",
			others: []string{"generic-uefi-cloudinit", "nocloud-bios-cloudinit", "nocloud-uefi-tiny"},
		},
		"empty": {branch: "3.22"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c := Choose(entries(tc.names...), nuc, "x86_64", tc.branch)
			got := ""
			if c.Found {
				got = c.Image.String()
				if c.Entry.Name != got {
					t.Errorf("Entry = %+v, want the entry of %s", c.Entry, got)
				}
			}
			if got != tc.want {
				t.Errorf("Choose picked %q, want %q", got, tc.want)
			}
			if !c.Found {
				if diff := cmp.Diff(tc.others, c.Others); diff != "" {
					t.Errorf("Others (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestNotFoundMessage(t *testing.T) {
	t.Parallel()
	const dir = "https://dl-cdn.alpinelinux.org/alpine/v3.19/releases/cloud/"
	tests := map[string]struct {
		names   []string
		v       Variant
		arch    string
		branch  string
		want    []string
		notWant []string
	}{
		"generic before 3.20": {
			names:   []string{"nocloud_alpine-3.19.1-x86_64-uefi-tiny-r0.qcow2"},
			v:       Variant{"generic", "uefi", "tiny"},
			arch:    "x86_64",
			branch:  "3.19",
			want:    []string{"no generic-uefi-tiny image for x86_64 in " + dir, "(for x86_64 it has: nocloud-uefi-tiny)", "generic images are published from 3.20 on"},
			notWant: []string{"do not follow"},
		},
		"renamed files": {
			names:   []string{"alpine-nocloud-3.19.1-x86_64.qcow2", "alpine-nocloud-3.19.1-x86_64.qcow2.sha512"},
			v:       Variant{"nocloud", "uefi", "tiny"},
			arch:    "x86_64",
			branch:  "3.19",
			want:    []string{"it has no nocloud or generic qcow2 image for x86_64", "2 file names there do not follow"},
			notWant: []string{"3.20 on"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c := Choose(entries(tc.names...), tc.v, tc.arch, tc.branch)
			if c.Found {
				t.Fatalf("found %s", c.Image)
			}
			msg := c.notFound(tc.v, tc.arch, tc.branch, dir)
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("message %q lacks %q", msg, w)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(msg, w) {
					t.Errorf("message %q has %q", msg, w)
				}
			}
		})
	}
}
