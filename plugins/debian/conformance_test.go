package debian_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	ireplica "github.com/sandlabx/fetchd/internal/replica"
	"github.com/sandlabx/fetchd/plugins/debian"
	"github.com/sandlabx/fetchd/plugins/debian/replica"
	"github.com/sandlabx/fetchd/sdk"
	"github.com/sandlabx/fetchd/sdk/sdktest"
	"github.com/sandlabx/fetchd/sdk/signature/sigtest"
)

// TestConformance runs the source as a real plugin process through
// fetchd's host code against the replica.
func TestConformance(t *testing.T) {
	t.Parallel()
	l, srv := serve(t, replica.Options{})
	// A second tree whose trixie SHA512SUMS disagrees with the manifests.
	broken, err := replica.Write(t.TempDir(), replica.Options{Releases: []string{"13"}})
	if err != nil {
		t.Fatal(err)
	}
	o, brokenSrv := serveOverlay(t, broken)
	bb := broken.Newest("13", "amd64", "generic")
	o.rewrite(bb.SumsPath, func(d []byte) []byte {
		return replaceLine(t, d, bb.FileName, func(string) string { return bb.Digest.Hex[64:] + bb.Digest.Hex[:64] + "  " + bb.FileName + "\n" })
	})
	empty := ireplica.Serve(t, t.TempDir())

	expect := func(rel, arch, variant string) func(*testing.T, sdk.Artifact) {
		return func(t *testing.T, got sdk.Artifact) {
			if diff := cmp.Diff(want(srv.URL, l.Newest(rel, arch, variant)), got); diff != "" {
				t.Errorf("Resolve (-want +got):\n%s", diff)
			}
		}
	}
	key := sigtest.MustNewKey("Operator", "ops@example.org")
	sdktest.Run(t, debian.New(),
		sdktest.Case{Name: "defaults", BaseURL: srv.URL, Check: expect("13", "amd64", "generic")},
		sdktest.Case{Name: "12", Release: "12", Arch: "arm64", Variant: "nocloud", BaseURL: srv.URL, Check: expect("12", "arm64", "nocloud")},
		sdktest.Case{Name: "bookworm", Release: "bookworm", Variant: "genericcloud", BaseURL: srv.URL, Check: expect("12", "amd64", "genericcloud")},
		sdktest.Case{Name: "oldstable", Release: "oldstable", BaseURL: srv.URL, Check: expect("12", "amd64", "generic")},
		sdktest.Case{Name: "13", Release: "13", Arch: "arm64", Variant: "genericcloud", BaseURL: srv.URL, Check: expect("13", "arm64", "genericcloud")},
		sdktest.Case{Name: "trixie x86_64", Release: "trixie", Arch: "x86_64", Variant: "nocloud", BaseURL: srv.URL, Check: expect("13", "amd64", "nocloud")},
		sdktest.Case{Name: "stable", Release: "stable", Arch: "aarch64", BaseURL: srv.URL, Check: expect("13", "arm64", "generic")},
		sdktest.Case{Name: "14", Release: "14", Variant: "genericcloud", BaseURL: srv.URL, Check: expect("14", "amd64", "genericcloud")},
		sdktest.Case{Name: "forky", Release: "forky", Arch: "arm64", BaseURL: srv.URL, Check: expect("14", "arm64", "generic")},
		sdktest.Case{Name: "testing", Release: "testing", Variant: "nocloud", BaseURL: srv.URL, Check: expect("14", "amd64", "nocloud")},
		sdktest.Case{Name: "base URL with a trailing slash", Release: "13", BaseURL: srv.URL + "/", Check: expect("13", "amd64", "generic")},
		sdktest.Case{Name: "bullseye is not offered", Release: "bullseye", BaseURL: srv.URL, WantErr: sdk.ErrNotFound},
		sdktest.Case{Name: "sid is not offered", Release: "sid", BaseURL: srv.URL, WantErr: sdk.ErrNotFound},
		sdktest.Case{Name: "ppc64el is not offered", Arch: "ppc64el", BaseURL: srv.URL, WantErr: sdk.ErrNotFound},
		sdktest.Case{Name: "azure is not offered", Variant: "azure", BaseURL: srv.URL, WantErr: sdk.ErrNotFound},
		sdktest.Case{Name: "trusted keys cannot be used", BaseURL: srv.URL, TrustedKeys: [][]byte{key.PublicArmored()}, WantErr: sdk.ErrInvalidArgument},
		sdktest.Case{Name: "manifest and SHA512SUMS disagree", BaseURL: brokenSrv.URL, WantErr: sdk.ErrBadMetadata},
		sdktest.Case{Name: "nothing published", BaseURL: empty.URL, WantErr: sdk.ErrNotFound},
	)
}
