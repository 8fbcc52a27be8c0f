package debian

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"path"
	"strings"
	"testing"

	"github.com/sandlabx/fetchd/sdk"
)

// FuzzParseManifest: whatever the bytes, ParseManifest and readManifest
// either fail with ErrBadMetadata/ErrNotFound or return an image that is
// exactly where a trixie generic amd64 image must be, whose digest is
// valid and whose build agrees with the manifest.
func FuzzParseManifest(f *testing.F) {
	good := testManifest(f, "20261109-2641", []byte("image"), nil)
	f.Add(good)
	f.Add(testManifest(f, "20261109-2641", []byte("image"), func(doc map[string]any) { delete(doc, "kind") }))
	f.Add(testManifest(f, "20261126-10000", nil, nil))
	f.Add([]byte(`{"apiVersion":"v1","kind":"List","items":[{"kind":"Build","data":{"info":{"version":"x"}}}]}`))
	f.Add([]byte(`{"apiVersion":"v1","kind":"List","items":[{"kind":"Upload","data":{"ref":"a","Ref":"b"}}]}`))
	f.Add([]byte("<html>"))
	f.Add([]byte(`[]`))
	trixie, _ := lookupRelease("13")
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseManifest(data)
		if err != nil {
			if !errors.Is(err, sdk.ErrBadMetadata) {
				t.Fatalf("ParseManifest error without ErrBadMetadata: %v", err)
			}
			return
		}
		if m.Build.Version == "" {
			t.Fatal("ParseManifest accepted a manifest without a build version")
		}
		if !json.Valid(data) {
			t.Fatal("ParseManifest accepted invalid JSON")
		}
		img, err := readManifest(trixie, "generic", "amd64", data)
		if err != nil {
			if !errors.Is(err, sdk.ErrBadMetadata) && !errors.Is(err, sdk.ErrNotFound) {
				t.Fatalf("readManifest error of no known kind: %v", err)
			}
			return
		}
		if want := "trixie/" + img.build + "/debian-13-generic-amd64-" + img.build + ".qcow2"; img.ref != want {
			t.Fatalf("readManifest accepted ref %q, want %q", img.ref, want)
		}
		if img.build != m.Build.Version || img.fileName != path.Base(img.ref) {
			t.Fatalf("readManifest: build %q, file %q for version %q, ref %q", img.build, img.fileName, m.Build.Version, img.ref)
		}
		if err := img.digest.Validate(); err != nil || img.digest.Algorithm != "sha512" {
			t.Fatalf("readManifest returned digest %v: %v", img.digest, err)
		}
	})
}

// FuzzDecodeDigest: an accepted annotation is the one canonical base64
// spelling (padded or not) of the digest returned.
func FuzzDecodeDigest(f *testing.F) {
	sum := make([]byte, 64)
	for i := range sum {
		sum[i] = byte(i * 7)
	}
	raw := base64.RawStdEncoding.EncodeToString(sum)
	for _, s := range []string{"sha512:" + raw, "sha512:" + raw + "==", "sha512:" + raw[:85] + "B", "sha256:" + raw, "sha512:" + raw + "\n", "sha512:", ":", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := DecodeDigest(s)
		if err != nil {
			if !errors.Is(err, sdk.ErrBadMetadata) {
				t.Fatalf("DecodeDigest(%q) error without ErrBadMetadata: %v", s, err)
			}
			return
		}
		if err := d.Validate(); err != nil || d.Algorithm != "sha512" {
			t.Fatalf("DecodeDigest(%q) = %v: %v", s, d, err)
		}
		b, _ := hex.DecodeString(d.Hex)
		canon := "sha512:" + base64.RawStdEncoding.EncodeToString(b)
		if s != canon && s != canon+"==" {
			t.Fatalf("DecodeDigest(%q) accepted a non-canonical spelling of %s", s, canon)
		}
	})
}

// FuzzPinnedRef: an accepted ref is rebuilt exactly from the build it
// returns.
func FuzzPinnedRef(f *testing.F) {
	for _, s := range []string{
		"trixie/20261109-2641/debian-13-generic-amd64-20261109-2641.qcow2",
		"forky/daily/20261126-2669/debian-14-generic-amd64-daily-20261126-2669.qcow2",
		"trixie/latest/debian-13-generic-amd64.qcow2",
		"trixie/../20261109-2641/debian-13-generic-amd64-20261109-2641.qcow2",
		"trixie/20261131-1/debian-13-generic-amd64-20261131-1.qcow2",
	} {
		f.Add(s, false)
		f.Add(s, true)
	}
	trixie, _ := lookupRelease("13")
	forky, _ := lookupRelease("14")
	f.Fuzz(func(t *testing.T, ref string, daily bool) {
		r := trixie
		if daily {
			r = forky
		}
		build, err := PinnedRef(r, "generic", "amd64", ref)
		if err != nil {
			if !errors.Is(err, sdk.ErrBadMetadata) {
				t.Fatalf("PinnedRef(%q) error without ErrBadMetadata: %v", ref, err)
			}
			return
		}
		if want := r.dir() + "/" + build + "/" + r.family("generic", "amd64") + "-" + build + ".qcow2"; ref != want {
			t.Fatalf("PinnedRef(%q) = %q, but that build's ref is %q", ref, build, want)
		}
		if strings.Contains(ref, "..") || strings.Contains(ref, "//") {
			t.Fatalf("PinnedRef accepted %q", ref)
		}
		if _, err := ParseBuild(build); err != nil {
			t.Fatalf("PinnedRef(%q) returned build %q that ParseBuild refuses: %v", ref, build, err)
		}
	})
}
