package fedora_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sandlabx/fetchd/examples/fedora"
	"github.com/sandlabx/fetchd/sdk"
	"github.com/sandlabx/fetchd/sdk/checksum"
	"github.com/sandlabx/fetchd/sdk/sdktest"
	"github.com/sandlabx/fetchd/sdk/signature/sigtest"
	"github.com/sandlabx/fetchd/sdk/testkit"
)

func TestMain(m *testing.M) { sdktest.Main(m, fedora.New()) }

// One key per release, as Fedora has.
var (
	key40 = sigtest.MustNewKey("Fedora", "fedora-40-primary@fedoraproject.org", sigtest.WithComment("40"))
	key41 = sigtest.MustNewKey("Fedora", "fedora-41-primary@fedoraproject.org", sigtest.WithComment("41"))
)

// mirror lays out releases 40 (old file names) and 41 (new ones, two
// respins) for x86_64, each CHECKSUM clearsigned by its release's key
// (or by sign41with for 41), and serves them as Apache does.
func mirror(t *testing.T, sign41with *sigtest.Key) *testkit.Mirror {
	t.Helper()
	root := t.TempDir()
	lay := func(release string, key *sigtest.Key, names ...string) {
		for _, name := range names {
			respin := strings.TrimSuffix(strings.Split(name, "-"+release+"-")[1], ".x86_64.qcow2")
			dir := "releases/" + release + "/Cloud/x86_64/images/"
			img := testkit.Qcow2(int64(len(name)) << 20)
			testkit.WriteFile(t, root, dir+name, img)
			sums := testkit.BSDChecksums(map[string][]byte{name: img}, true)
			testkit.WriteFile(t, root, fmt.Sprintf("%sFedora-Cloud-%s-%s-x86_64-CHECKSUM", dir, release, respin), key.Clearsign(sums))
		}
	}
	lay("40", key40, "Fedora-Cloud-Base-40-1.14.x86_64.qcow2")
	lay("41", sign41with, "Fedora-Cloud-Base-Generic-41-1.4.x86_64.qcow2", "Fedora-Cloud-Base-Generic-41-1.10.x86_64.qcow2")
	return testkit.Serve(t, root, testkit.Apache)
}

var operatorKeys = map[string][][]byte{"40": {key40.PublicArmored()}, "41": {key41.PublicArmored()}}

func want(m *testkit.Mirror, release, name, version string, key *sigtest.Key) sdk.Artifact {
	img := testkit.Qcow2(int64(len(name)) << 20)
	sum := sha256.Sum256(img)
	dir := m.URL + "/releases/" + release + "/Cloud/x86_64/images/"
	respin := strings.TrimPrefix(version, release+"-")
	return sdk.Artifact{
		URL: dir + name, FileName: name, Version: version, Format: sdk.FormatQCOW2, Size: int64(len(img)),
		Digest:      mustDigest(hex.EncodeToString(sum[:])),
		ChecksumURL: fmt.Sprintf("%sFedora-Cloud-%s-%s-x86_64-CHECKSUM", dir, release, respin),
		Signature: sdk.Verified(key.Fingerprint(), fmt.Sprintf("%sFedora-Cloud-%s-%s-x86_64-CHECKSUM", dir, release, respin), sdk.KeyOperator,
			fmt.Sprintf("Fedora-Cloud-%s-%s-x86_64-CHECKSUM by Fedora (%s) <fedora-%s-primary@fedoraproject.org>", release, respin, release, release)),
		Release: release, Arch: "x86_64",
	}
}

func TestConformance(t *testing.T) {
	m := mirror(t, key41)
	expect := func(w sdk.Artifact) func(*testing.T, sdk.Artifact) {
		return func(t *testing.T, got sdk.Artifact) {
			if diff := cmp.Diff(w, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		}
	}
	sdktest.Run(t, fedora.New(),
		sdktest.Case{Name: "41: the newest respin, new file names", Release: "41", BaseURL: m.URL, ReleaseKeys: operatorKeys,
			Check: expect(want(m, "41", "Fedora-Cloud-Base-Generic-41-1.10.x86_64.qcow2", "41-1.10", key41))},
		sdktest.Case{Name: "40: old file names", Release: "40", BaseURL: m.URL, ReleaseKeys: operatorKeys,
			Check: expect(want(m, "40", "Fedora-Cloud-Base-40-1.14.x86_64.qcow2", "40-1.14", key40))},
		sdktest.Case{Name: "no keys: fails closed", Release: "41", BaseURL: m.URL, WantErr: sdk.ErrBadMetadata},
		sdktest.Case{Name: "not published", Release: "42", BaseURL: m.URL, ReleaseKeys: operatorKeys, WantErr: sdk.ErrNotFound},
	)
}

// TestAnotherReleasesKey: 41's CHECKSUM signed with 40's key is refused,
// because the plugin is given only 41's keys.
func TestAnotherReleasesKey(t *testing.T) {
	t.Parallel()
	m := mirror(t, key40)
	src := fedora.New()
	req := sdk.ResolveRequest{Release: "41", Arch: "x86_64", BaseURL: m.URL, Fetcher: sdktest.HTTPFetcher(nil), TrustedKeys: operatorKeys["41"]}
	_, err := src.Resolve(t.Context(), req)
	if !errors.Is(err, sdk.ErrBadMetadata) || !strings.Contains(err.Error(), "unknown signer") {
		t.Errorf("41 signed by 40's key: %v, want an unknown-signer refusal", err)
	}
	req.TrustedKeys = append(req.TrustedKeys, operatorKeys["40"]...)
	if _, err := src.Resolve(t.Context(), req); err != nil {
		t.Errorf("with both keys trusted for 41 (a list of keys for every release): %v", err)
	}
}

func mustDigest(hexDigits string) checksum.Digest {
	d, err := checksum.ParseDigest("sha256:" + hexDigits)
	if err != nil {
		panic(err)
	}
	return d
}
