package inhouse_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sandlabx/fetchd/examples/inhouse"
	"github.com/sandlabx/fetchd/sdk"
	"github.com/sandlabx/fetchd/sdk/sdktest"
	"github.com/sandlabx/fetchd/sdk/signature/sigtest"
	"github.com/sandlabx/fetchd/sdk/testkit"
)

// The plugin's conformance run starts the test binary as the plugin
// process; it serves inhouse.New(), with the embedded key, as fetchd would.
func TestMain(m *testing.M) { sdktest.Main(m, inhouse.New()) }

// testKey signs the replica. The seed makes it the same key in every
// process, though only the test process needs it.
var testKey = sigtest.MustNewKey("Lab Test Key", "test@lab.example.com", sigtest.WithSeed("inhouse-tests"))

// server writes a copy of the lab's image server: the given images per
// release (each a small real qcow2), with SHA256SUMS signed by key, and
// serves it as nginx would.
func server(t *testing.T, key *sigtest.Key, files map[string][]string) *testkit.Mirror {
	t.Helper()
	root := t.TempDir()
	for release, names := range files {
		images := map[string][]byte{}
		for _, name := range names {
			images[name] = image(name)
			testkit.WriteFile(t, root, release+"/"+name, images[name])
		}
		sums := testkit.GNUChecksums(images)
		testkit.WriteFile(t, root, release+"/SHA256SUMS", sums)
		testkit.WriteFile(t, root, release+"/SHA256SUMS.asc", key.SignDetached(sums, true))
	}
	return testkit.Serve(t, root, testkit.Nginx)
}

// image is a distinct real qcow2 for each name.
func image(name string) []byte {
	sum := sha256.Sum256([]byte(name))
	return testkit.Qcow2(64<<20 + int64(sum[0])<<9)
}

var published = map[string][]string{
	"2026.1": {"labimage-2026.1-amd64-20260301.qcow2", "labimage-2026.1-arm64-20260301.qcow2"},
	"2026.2": {
		"labimage-2026.2-amd64-20261101.qcow2",
		"labimage-2026.2-amd64-20261101.1.qcow2", // a rebuild the same day: newer
		"labimage-2026.2-amd64-20261009.qcow2",
		"labimage-2026.2-arm64-20261009.qcow2",
		"labimage-2026.2-arm64-20261101.qcow2",
	},
}

func digestOf(name string) string {
	sum := sha256.Sum256(image(name))
	return hex.EncodeToString(sum[:])
}

func TestResolve(t *testing.T) {
	t.Parallel()
	srv := server(t, testKey, published)
	src := inhouse.New(inhouse.WithKeyring(testKey.PublicArmored()))
	tests := map[string]struct{ release, arch, wantFile, wantVersion string }{
		"2026.2 amd64 picks the rebuild": {"2026.2", "amd64", "labimage-2026.2-amd64-20261101.1.qcow2", "20261101.1"},
		"2026.2 arm64":                   {"2026.2", "arm64", "labimage-2026.2-arm64-20261101.qcow2", "20261101"},
		"2026.1 amd64":                   {"2026.1", "amd64", "labimage-2026.1-amd64-20260301.qcow2", "20260301"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			art, err := src.Resolve(t.Context(), sdk.ResolveRequest{Release: tc.release, Arch: tc.arch, BaseURL: srv.URL, Fetcher: sdktest.HTTPFetcher(nil)})
			if err != nil {
				t.Fatal(err)
			}
			got := []string{art.FileName, art.Version, art.Digest.Hex, art.URL, string(art.Signature.Status), art.Signature.KeyFingerprint}
			want := []string{tc.wantFile, tc.wantVersion, digestOf(tc.wantFile), srv.URL + "/" + tc.release + "/" + tc.wantFile, "verified", testKey.Fingerprint()}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if err := art.Validate(srv.URL, src.Describe()); err != nil {
				t.Errorf("answer fails the protocol's rules: %v", err)
			}
		})
	}
}

func TestResolveRefuses(t *testing.T) {
	t.Parallel()
	otherKey := sigtest.MustNewKey("Someone Else", "else@example.com")
	tests := map[string]struct {
		key   *sigtest.Key
		files map[string][]string
		edit  func(root string)
		want  error
		msg   string
	}{
		"signed by another key": {key: otherKey, files: published, want: sdk.ErrBadMetadata, msg: "SHA256SUMS.asc"},
		"no build for the arch": {key: testKey, files: map[string][]string{"2026.2": {"labimage-2026.2-arm64-20261101.qcow2"}}, want: sdk.ErrNotFound, msg: "lists no labimage build for 2026.2/amd64"},
		"only a longer name":    {key: testKey, files: map[string][]string{"2026.2": {"my-labimage-2026.2-amd64-20261101.qcow2"}}, want: sdk.ErrNotFound, msg: "lists no labimage build"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := server(t, tc.key, tc.files)
			src := inhouse.New(inhouse.WithKeyring(testKey.PublicArmored()))
			_, err := src.Resolve(t.Context(), sdk.ResolveRequest{Release: "2026.2", Arch: "amd64", BaseURL: srv.URL, Fetcher: sdktest.HTTPFetcher(nil)})
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("Resolve = %v, want %v containing %q", err, tc.want, tc.msg)
			}
		})
	}
}

func TestConflictingDigestsRefused(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	name := "labimage-2026.2-amd64-20261101.qcow2"
	sums := fmt.Sprintf("%s  %s\n%s  %s\n", digestOf(name), name, strings.Repeat("0", 64), name)
	testkit.WriteFile(t, root, "2026.2/SHA256SUMS", []byte(sums))
	testkit.WriteFile(t, root, "2026.2/SHA256SUMS.asc", testKey.SignDetached([]byte(sums), true))
	srv := testkit.Serve(t, root, testkit.Nginx)
	_, err := inhouse.New(inhouse.WithKeyring(testKey.PublicArmored())).Resolve(t.Context(),
		sdk.ResolveRequest{Release: "2026.2", Arch: "amd64", BaseURL: srv.URL, Fetcher: sdktest.HTTPFetcher(nil)})
	if !errors.Is(err, sdk.ErrBadMetadata) || !strings.Contains(err.Error(), "different digests") && !strings.Contains(err.Error(), "conflict") {
		t.Errorf("Resolve = %v, want ErrBadMetadata about two digests", err)
	}
}

// conformanceCases are the kit's checks against a replica signed with the
// test key. Without the operator's key the embedded (demo) key is used, and
// the replica's signature must be refused.
func conformanceCases(srv *testkit.Mirror) []sdktest.Case {
	operatorKey := [][]byte{testKey.PublicArmored()}
	return []sdktest.Case{
		{Name: "stable with the operator's key", Release: "stable", BaseURL: srv.URL, TrustedKeys: operatorKey,
			Check: func(t *testing.T, a sdk.Artifact) {
				if a.Version != "20261101.1" || a.Signature.KeyOrigin != sdk.KeyOperator {
					t.Errorf("got version %s, key origin %s", a.Version, a.Signature.KeyOrigin)
				}
			}},
		{Name: "2026.1 arm64", Release: "2026.1", Arch: "arm64", BaseURL: srv.URL, TrustedKeys: operatorKey},
		{Name: "embedded key refuses the test signature", Release: "stable", BaseURL: srv.URL, WantErr: sdk.ErrBadMetadata},
		{Name: "missing release directory", Release: "2026.1", BaseURL: srv.URL + "/nowhere", TrustedKeys: operatorKey, WantErr: sdk.ErrNotFound},
	}
}

func TestConformance(t *testing.T) {
	srv := server(t, testKey, published)
	sdktest.Run(t, inhouse.New(), conformanceCases(srv)...)
}

// TestConformanceBuiltBinary checks the binary a user would install, built
// from cmd/fetchd-plugin-inhouse.
func TestConformanceBuiltBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the plugin binary")
	}
	bin := filepath.Join(t.TempDir(), "fetchd-plugin-inhouse")
	cmd := exec.CommandContext(t.Context(), "go", "build", "-o", bin, "./cmd/fetchd-plugin-inhouse")
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("go build: %v", err)
	}
	srv := server(t, testKey, published)
	sdktest.RunBinary(t, bin, conformanceCases(srv)...)
}
