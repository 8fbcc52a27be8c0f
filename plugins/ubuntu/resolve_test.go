package ubuntu_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sandlabx/fetchd/plugins/ubuntu"
	"github.com/sandlabx/fetchd/plugins/ubuntu/keys"
	"github.com/sandlabx/fetchd/plugins/ubuntu/replica"
	"github.com/sandlabx/fetchd/sdk"
	"github.com/sandlabx/fetchd/sdk/checksum"
	"github.com/sandlabx/fetchd/sdk/signature/sigtest"
)

// want is the artifact a correct Resolve returns for b.
func (f *fixture) want(b replica.Build, origin sdk.KeyOrigin, fpr string) sdk.Artifact {
	sumsURL := f.url(b.SumsPath)
	return sdk.Artifact{
		URL:         f.url(b.Path),
		FileName:    b.FileName,
		Version:     b.Version,
		Format:      sdk.FormatQCOW2,
		Size:        b.Size,
		Digest:      b.Digest,
		ChecksumURL: sumsURL,
		Signature: sdk.Verified(fpr, sumsURL+".gpg", origin,
			"SHA256SUMS.gpg by Ubuntu Plugin Test Signing Key <ubuntu-tests@example.invalid>; the simplestreams digest agrees"),
		Release: b.Release,
		Arch:    b.Arch,
		Variant: b.Variant,
	}
}

// TestResolveEveryClaim resolves every release, architecture and variant
// Describe offers against the replica and expects exactly its newest build.
func TestResolveEveryClaim(t *testing.T) {
	t.Parallel()
	f := newFixture(t, replica.Options{})
	d := ubuntu.New().Describe()
	for _, r := range d.Releases {
		for _, a := range d.Arches {
			for _, v := range d.Variants {
				t.Run(r.Name+"/"+a.Name+"/"+v.Name, func(t *testing.T) {
					t.Parallel()
					b := f.l.Newest(r.Name, a.Name, v.Name)
					if b.Version == "" {
						t.Fatalf("the replica has no %s %s %s build: it must cover every claim", r.Name, a.Name, v.Name)
					}
					got, err := f.resolve(t, r.Name, a.Name, v.Name)
					if err != nil {
						t.Fatal(err)
					}
					if err := got.Validate(f.srv.URL, d); err != nil {
						t.Errorf("answer fails the protocol's rules: %v", err)
					}
					if diff := cmp.Diff(f.want(b, sdk.KeyEmbedded, testKey.Fingerprint()), got); diff != "" {
						t.Errorf("artifact (-want +got):\n%s", diff)
					}
				})
			}
		}
	}
}

// TestResolveNewestNotLast pins the ordering traps: the replica's newest
// release build is a .10 respin after .9, and its JSON lists .9 last.
func TestResolveNewestNotLast(t *testing.T) {
	t.Parallel()
	f := newFixture(t, replica.Options{Omit: only("24.04")})
	builds := f.l.Builds("24.04", "amd64", "server")
	var serials []string
	for _, b := range builds {
		serials = append(serials, b.Version)
	}
	if n := len(serials); n < 4 || serials[n-1][len(serials[n-1])-3:] != ".10" || serials[n-2][len(serials[n-2])-2:] != ".9" {
		t.Fatalf("replica serials %v: want a .9 and a .10 respin as the newest two", serials)
	}
	got, err := f.resolve(t, "24.04", "amd64", "server")
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != serials[len(serials)-1] {
		t.Errorf("resolved %s, want the newest %s of %v", got.Version, serials[len(serials)-1], serials)
	}
}

func TestResolveArmoredSignature(t *testing.T) {
	t.Parallel()
	f := newFixture(t, replica.Options{ArmoredSignatures: true, Omit: only("22.04")})
	b := f.l.Newest("22.04", "arm64", "daily")
	if sig := f.read(t, b.SumsPath+".gpg"); string(sig[:10]) != "-----BEGIN" {
		t.Fatalf("SHA256SUMS.gpg is not armored: %q", sig[:10])
	}
	got, err := f.resolve(t, "22.04", "arm64", "daily")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(f.want(b, sdk.KeyEmbedded, testKey.Fingerprint()), got); diff != "" {
		t.Errorf("artifact (-want +got):\n%s", diff)
	}
}

// TestResolveAfterPublish: a new upstream build is the answer as soon as
// it is published, and the previous answer's URL, pinned to its serial
// directory, still serves the bytes it promised.
func TestResolveAfterPublish(t *testing.T) {
	t.Parallel()
	for _, variant := range []string{"server", "daily"} {
		t.Run(variant, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, replica.Options{Omit: only("24.04")})
			before, err := f.resolve(t, "24.04", "riscv64", variant)
			if err != nil {
				t.Fatal(err)
			}
			pub, err := f.l.Publish("24.04", "riscv64", variant)
			if err != nil {
				t.Fatal(err)
			}
			after, err := f.resolve(t, "24.04", "riscv64", variant)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(f.want(pub, sdk.KeyEmbedded, testKey.Fingerprint()), after); diff != "" {
				t.Errorf("after Publish (-want +got):\n%s", diff)
			}
			if after.Version == before.Version || after.URL == before.URL {
				t.Errorf("Publish did not change the answer: %s %s", after.Version, after.URL)
			}
			old := sdkDigestOf(t, f.srv.Client().Get, before.URL)
			if old != before.Digest {
				t.Errorf("the earlier answer's URL now serves %s, want %s", old, before.Digest)
			}
		})
	}
}

// TestResolveWithCanonicalsRealSignature serves Canonical's real
// SHA256SUMS and SHA256SUMS.gpg of releases/noble/release-20260725/ and
// resolves with New(), which trusts only the embedded Canonical key.
func TestResolveWithCanonicalsRealSignature(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	dir := "releases/noble/release-20260725"
	for _, name := range []string{"SHA256SUMS", "SHA256SUMS.gpg"} {
		b, err := os.ReadFile(filepath.Join("testdata", "real-noble-20260725", name))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, root, dir+"/"+name, b)
	}
	if err := os.MkdirAll(filepath.Join(root, "releases", "server"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("..", filepath.Join(root, "releases", "server", "releases")); err != nil {
		t.Fatal(err)
	}
	const digest = "d1940f7d69d343355e183dff1e08a59852d32e7309baa7a4bad8365b11b005ac" // its line for the amd64 .img
	writeFile(t, root, "releases/streams/v1/index.json", []byte(`{"format": "index:1.0", "index": {
	 "com.ubuntu.cloud:released:download": {"datatype": "image-downloads", "format": "products:1.0",
	  "path": "streams/v1/com.ubuntu.cloud:released:download.json", "products": ["com.ubuntu.cloud:server:24.04:amd64"]}}}`))
	writeFile(t, root, "releases/streams/v1/com.ubuntu.cloud:released:download.json", []byte(`{
	 "content_id": "com.ubuntu.cloud:released:download", "datatype": "image-downloads", "format": "products:1.0",
	 "products": {"com.ubuntu.cloud:server:24.04:amd64": {"arch": "amd64", "os": "ubuntu", "release": "noble", "version": "24.04",
	  "aliases": "24.04,default,lts,n,noble", "support_eol": "2029-05-31", "supported": true,
	  "versions": {"20260725": {"label": "release", "items": {"disk1.img": {"ftype": "disk1.img",
	   "path": "server/releases/noble/release-20260725/ubuntu-24.04-server-cloudimg-amd64.img",
	   "sha256": "`+digest+`", "size": 614203392}}}}}}}`))
	srv := newServer(t, root)
	got, err := ubuntu.New().Resolve(t.Context(), sdk.ResolveRequest{
		Release: "24.04", Arch: "amd64", Variant: "server", BaseURL: srv.URL, Fetcher: httpFetcher(),
	})
	if err != nil {
		t.Fatal(err)
	}
	sums := srv.URL + "/releases/server/releases/noble/release-20260725/SHA256SUMS"
	want := sdk.Artifact{
		URL:         srv.URL + "/releases/server/releases/noble/release-20260725/ubuntu-24.04-server-cloudimg-amd64.img",
		FileName:    "ubuntu-24.04-server-cloudimg-amd64.img",
		Version:     "20260725",
		Format:      sdk.FormatQCOW2,
		Size:        614203392,
		Digest:      checksum.Digest{Algorithm: checksum.SHA256, Hex: digest},
		ChecksumURL: sums,
		Signature: sdk.Verified(keys.UECImageSigningKeyFingerprint, sums+".gpg", sdk.KeyEmbedded,
			"SHA256SUMS.gpg by UEC Image Automatic Signing Key <cdimage@ubuntu.com>; the simplestreams digest agrees"),
		Release: "24.04", Arch: "amd64", Variant: "server",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("artifact (-want +got):\n%s", diff)
	}
}

// TestResolveKeys: the operator's trusted keys replace the plugin's own
// (and are reported as the operator's); a signature by any other key fails.
func TestResolveKeys(t *testing.T) {
	t.Parallel()
	f := newFixture(t, replica.Options{Omit: only("24.04")})
	b := f.l.Newest("24.04", "amd64", "server")
	other := sigtest.MustNewKey("Someone Else", "else@example.invalid")
	cases := map[string]struct {
		src     *ubuntu.Source
		trusted [][]byte
		origin  sdk.KeyOrigin
		wantErr []string // empty: success
	}{
		"own key":                            {src: f.src, origin: sdk.KeyEmbedded},
		"operator key replaces embedded one": {src: ubuntu.New(), trusted: [][]byte{testKey.PublicBinary()}, origin: sdk.KeyOperator},
		"operator key replaces own key":      {src: ubuntu.New(ubuntu.WithKeyring(other.PublicArmored())), trusted: [][]byte{testKey.PublicArmored()}, origin: sdk.KeyOperator},
		"embedded Canonical key refuses":     {src: ubuntu.New(), wantErr: []string{"unknown signer", keys.UECImageSigningKeyFingerprint, f.url(b.SumsPath) + ".gpg"}}, // the hint is the host's (signatureHint)
		"operator key refuses":               {src: f.src, trusted: [][]byte{other.PublicArmored()}, wantErr: []string{"unknown signer", other.Fingerprint()}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			req := f.request("24.04", "amd64", "server")
			req.TrustedKeys = c.trusted
			got, err := c.src.Resolve(t.Context(), req)
			if len(c.wantErr) > 0 {
				checkErr(t, err, sdk.ErrBadMetadata, c.wantErr...)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(f.want(b, c.origin, testKey.Fingerprint()), got); diff != "" {
				t.Errorf("artifact (-want +got):\n%s", diff)
			}
		})
	}
}

func TestResolveRefusesBadOperatorKeys(t *testing.T) {
	t.Parallel()
	f := newFixture(t, replica.Options{Omit: only("24.04")})
	req := f.request("24.04", "amd64", "server")
	req.TrustedKeys = [][]byte{[]byte("not a key")}
	_, err := f.src.Resolve(t.Context(), req)
	checkErr(t, err, sdk.ErrInvalidArgument, "operator-configured keys")
}
