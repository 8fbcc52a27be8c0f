package alpine_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/sandlabx/fetchd/plugins/alpine"
	"github.com/sandlabx/fetchd/sdk"
	"github.com/sandlabx/fetchd/sdk/sdktest"
)

// TestConformance runs the source as a real plugin process through fetchd's
// host code against the replica.
func TestConformance(t *testing.T) {
	t.Parallel()
	l := tree(t)
	srv := serve(t, l)
	broken := serve(t, l)
	broken.Hook(func(w http.ResponseWriter, r *http.Request) bool {
		switch r.URL.Path {
		case "/v3.21/releases/cloud/":
			_, _ = w.Write([]byte(errorPage)) // an error page with 200
		case "/v3.20/releases/cloud/":
			http.Error(w, "busy", http.StatusServiceUnavailable)
		case "/v3.19/releases/cloud/":
			http.NotFound(w, r)
		default:
			return false
		}
		return true
	})

	expect := func(release, arch, variant string) func(*testing.T, sdk.Artifact) {
		return func(t *testing.T, a sdk.Artifact) {
			want := l.Newest(release, arch, variant)
			if a.URL != srv.URL+"/"+want.Path || a.Version != want.Version || a.Digest != want.Digest || a.Size != want.Size {
				t.Errorf("got %s %s %s %d, want %s/%s %s %s %d", a.URL, a.Version, a.Digest.Short(), a.Size, srv.URL, want.Path, want.Version, want.Digest.Short(), want.Size)
			}
			if a.Release != release || a.Arch != arch || a.Variant != variant {
				t.Errorf("answered for %s/%s/%s, want %s/%s/%s", a.Release, a.Arch, a.Variant, release, arch, variant)
			}
			if a.Signature.Status != sdk.SignatureUnsigned || a.Signature.Detail == "" {
				t.Errorf("signature %+v, want unsigned with a reason", a.Signature)
			}
		}
	}
	cases := []sdktest.Case{
		{Name: "defaults", BaseURL: srv.URL, Check: expect("latest-stable", "x86_64", "nocloud-uefi-cloudinit")},
		{Name: "latest-stable arm64", Release: "latest-stable", Arch: "arm64", Variant: "generic-uefi-tiny", BaseURL: srv.URL, Check: expect("latest-stable", "aarch64", "generic-uefi-tiny")},
		{Name: "alias v3.22", Release: "v3.22", Arch: "x86_64", Variant: "generic-bios-cloudinit", BaseURL: srv.URL, Check: expect("3.22", "x86_64", "generic-bios-cloudinit")},
		{Name: "aarch64 bios", Release: "3.22", Arch: "arm64", Variant: "nocloud-bios-tiny", BaseURL: srv.URL, WantErr: sdk.ErrNotFound},
		{Name: "generic on 3.19", Release: "3.19", Variant: "generic-uefi-tiny", BaseURL: srv.URL, WantErr: sdk.ErrNotFound},
		{Name: "operator keys", Release: "3.23", Arch: "arm64", BaseURL: srv.URL, TrustedKeys: [][]byte{l.Key.PublicArmored()},
			Check: func(t *testing.T, a sdk.Artifact) {
				expect("3.23", "aarch64", "nocloud-uefi-cloudinit")(t, a)
				if !strings.Contains(a.Signature.Detail, "fetchd checks the image's .asc against the operator's keys") {
					t.Errorf("detail %q does not say fetchd checks the .asc with the operator's keys", a.Signature.Detail)
				}
				if !strings.HasSuffix(a.ImageSignatureURL, a.FileName+".asc") {
					t.Errorf("image signature URL %q is not the image's .asc", a.ImageSignatureURL)
				}
			}},
		{Name: "operator keys that are not keys", Release: "3.23", BaseURL: srv.URL, TrustedKeys: [][]byte{[]byte("nonsense")}, WantErr: sdk.ErrInvalidArgument},
		{Name: "listing is an error page", Release: "3.21", BaseURL: broken.URL, WantErr: sdk.ErrBadMetadata},
		{Name: "listing unavailable", Release: "3.20", BaseURL: broken.URL, WantErr: sdk.ErrUnavailable},
		{Name: "listing missing", Release: "3.19", BaseURL: broken.URL, WantErr: sdk.ErrNotFound},
	}
	for _, r := range alpine.New().Describe().Releases[1:] {
		cases = append(cases, sdktest.Case{Name: "release " + r.Name, Release: r.Name, Arch: "amd64", Variant: "nocloud-bios-tiny", BaseURL: srv.URL, Check: expect(r.Name, "x86_64", "nocloud-bios-tiny")})
	}
	sdktest.Run(t, alpine.New(), cases...)
}
