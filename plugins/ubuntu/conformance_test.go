package ubuntu_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sandlabx/fetchd/plugins/ubuntu"
	"github.com/sandlabx/fetchd/plugins/ubuntu/replica"
	"github.com/sandlabx/fetchd/sdk"
	"github.com/sandlabx/fetchd/sdk/sdktest"
	"github.com/sandlabx/fetchd/sdk/signature/sigtest"
)

// TestConformance runs the source as a real plugin process through fetchd's
// host code against a replica: one case per release, the aliases, both
// variants, the default, and the operator's trusted keys.
func TestConformance(t *testing.T) {
	t.Parallel()
	f := newFixture(t, replica.Options{})
	expect := func(release, arch, variant string, origin sdk.KeyOrigin) func(*testing.T, sdk.Artifact) {
		return func(t *testing.T, got sdk.Artifact) {
			b := f.l.Newest(release, arch, variant)
			if b.Version == "" {
				t.Fatalf("the replica has no %s %s %s build", release, arch, variant)
			}
			if diff := cmp.Diff(f.want(b, origin, testKey.Fingerprint()), got); diff != "" {
				t.Errorf("artifact (-want +got):\n%s", diff)
			}
		}
	}
	base := f.srv.URL
	cases := []sdktest.Case{
		{Name: "default release and variant", BaseURL: base, Check: expect("24.04", "amd64", "server", sdk.KeyEmbedded)},
		{Name: "lts", Release: "lts", BaseURL: base, Check: expect("26.04", "amd64", "server", sdk.KeyEmbedded)},
		{Name: "arch alias aarch64", Release: "noble", Arch: "aarch64", BaseURL: base, Check: expect("24.04", "arm64", "server", sdk.KeyEmbedded)},
		{Name: "arch alias ppc64le daily", Release: "jammy", Arch: "ppc64le", Variant: "daily", BaseURL: base, Check: expect("22.04", "ppc64el", "daily", sdk.KeyEmbedded)},
		{
			Name: "operator key", Release: "24.04", Arch: "s390x", BaseURL: base,
			TrustedKeys: [][]byte{testKey.PublicArmored()},
			Check:       expect("24.04", "s390x", "server", sdk.KeyOperator),
		},
		{
			Name: "operator key that did not sign", Release: "24.04", BaseURL: base,
			TrustedKeys: [][]byte{sigtest.MustNewKey("Other", "other@example.invalid").PublicArmored()},
			WantErr:     sdk.ErrBadMetadata,
		},
		{Name: "no simplestreams at the base URL", Release: "24.04", BaseURL: base + "/nothing-here", WantErr: sdk.ErrUnavailable},
	}
	for _, r := range ubuntu.New().Describe().Releases {
		for _, v := range []string{"server", "daily"} {
			cases = append(cases, sdktest.Case{
				Name: r.Name + " " + v, Release: r.Aliases[0], Arch: "riscv64", Variant: v, BaseURL: base,
				Check: expect(r.Name, "riscv64", v, sdk.KeyEmbedded),
			})
		}
	}
	sdktest.Run(t, ubuntu.New(ubuntu.WithKeyring(testKey.PublicArmored())), cases...)
}
