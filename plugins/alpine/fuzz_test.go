package alpine

import (
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/sandlabx/fetchd/internal/replica"
	"github.com/sandlabx/fetchd/sdk"
)

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

func FuzzParseListing(f *testing.F) {
	for _, s := range []string{
		nginxPage,
		apachePage,
		lighttpdPage,
		"<html><head><title>Index of /</title></head><body><pre><a href=\"../\">../</a>\r\n</pre></body></html>",
		"<!DOCTYPE html><title>503</title><a href=\"https://status.example/\">status</a>",
		"Index of /\n<a href=\"a\">x</a>\n<a href=\"a\">y</a>\n",
		"Index of /\n<a HREF='a%2Bb'>x</a> 25-Jan-2024 20:44 12\n",
		"<a href=\"İİİhref=\"x\">",
		"",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		entries, err := ParseListing(data)
		if err != nil {
			if entries != nil {
				t.Fatalf("error %v with entries %v", err, entries)
			}
			return
		}
		seen := map[string]bool{}
		for _, e := range entries {
			if err := sdk.ValidFileName(e.Name); err != nil {
				t.Fatalf("entry %+v: %v", e, err)
			}
			if strings.ContainsFunc(e.Name, func(r rune) bool { return r == '/' || r == '\\' || unicode.IsControl(r) }) {
				t.Fatalf("entry %+v: separator or control character", e)
			}
			if seen[e.Name] {
				t.Fatalf("entry %q twice", e.Name)
			}
			seen[e.Name] = true
			if e.Size < -1 {
				t.Fatalf("entry %+v: size below -1", e)
			}
		}
		// A parent-directory link adds no file.
		more, err := ParseListing(append(slices.Clip(data), "\n<a href=\"../\">../</a>\n"...))
		if err != nil || !slices.EqualFunc(more, entries, func(a, b ListingEntry) bool { return a.Name == b.Name }) {
			t.Fatalf("with a parent link: %v, %v; want the names of %v", more, err, entries)
		}
		// Rendered again as an nginx listing, plain names read back with
		// their sizes.
		var page []replica.ListingEntry
		var want []ListingEntry
		for _, e := range entries {
			if strings.Trim(e.Name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._+-") != "" {
				return
			}
			size := max(e.Size, 0)
			page = append(page, replica.ListingEntry{Name: e.Name, Size: size})
			want = append(want, ListingEntry{e.Name, size})
		}
		got, err := ParseListing(replica.Listing("/x/", page))
		if err != nil || !slices.Equal(got, want) {
			t.Fatalf("re-rendered listing read back as %v, %v; want %v", got, err, want)
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
