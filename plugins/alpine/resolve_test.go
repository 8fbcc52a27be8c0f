package alpine_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sandlabx/fetchd/internal/replica"
	"github.com/sandlabx/fetchd/plugins/alpine"
	areplica "github.com/sandlabx/fetchd/plugins/alpine/replica"
	"github.com/sandlabx/fetchd/sdk"
	"github.com/sandlabx/fetchd/sdk/sdktest"
)

// TestResolveEveryClaim resolves every release, architecture and variant
// Describe offers against the replica and compares with what the replica
// says is newest; combinations upstream does not build must be NOT_FOUND.
// It also pins the ordering traps by name (testPicks).
func TestResolveEveryClaim(t *testing.T) {
	t.Parallel()
	l := tree(t)
	srv := serve(t, l)
	desc := alpine.New().Describe()
	t.Run("picks", func(t *testing.T) {
		t.Parallel()
		testPicks(t, l, srv)
	})

	var branches []string
	for _, r := range desc.Releases[1:] {
		branches = append(branches, r.Name)
	}
	slices.Reverse(branches)
	if diff := cmp.Diff(areplica.Branches(), branches); diff != "" {
		t.Fatalf("Describe's branches differ from the replica's (-replica +describe):\n%s", diff)
	}

	type result struct {
		URL, FileName, Version, Digest, ChecksumURL, Release, Arch, Variant string
		Size                                                                int64
		Status                                                              sdk.SignatureStatus
	}
	for _, rel := range desc.Releases {
		for _, arch := range desc.Arches {
			for _, v := range desc.Variants {
				t.Run(rel.Name+"/"+arch.Name+"/"+v.Name, func(t *testing.T) {
					t.Parallel()
					want := l.Newest(rel.Name, arch.Name, v.Name)
					art, err := resolve(t.Context(), sdktest.HTTPFetcher(nil), srv.URL, rel.Name, arch.Name, v.Name)
					if want.FileName == "" {
						if !errors.Is(err, sdk.ErrNotFound) {
							t.Fatalf("Resolve = %+v, %v; want NOT_FOUND (upstream builds no such image)", art, err)
						}
						return
					}
					if err != nil {
						t.Fatal(err)
					}
					if err := art.Validate(srv.URL, desc); err != nil {
						t.Fatalf("answer fails the protocol's rules: %v", err)
					}
					got := result{art.URL, art.FileName, art.Version, art.Digest.String(), art.ChecksumURL, art.Release, art.Arch, art.Variant, art.Size, art.Signature.Status}
					exp := result{srv.URL + "/" + want.Path, want.FileName, want.Version, want.Digest.String(), srv.URL + "/" + want.ChecksumPath(), rel.Name, arch.Name, v.Name, want.Size, sdk.SignatureUnsigned}
					if diff := cmp.Diff(exp, got); diff != "" {
						t.Errorf("Resolve (-want +got):\n%s", diff)
					}
					if strings.Contains(art.URL, areplica.LatestStable) {
						t.Errorf("URL %s is not pinned to a branch directory", art.URL)
					}
				})
			}
		}
	}
}

// testPicks pins the answers for the replica's ordering traps
// independently of the replica's own bookkeeping.
func testPicks(t *testing.T, l *areplica.Layout, srv *replica.Server) {
	tests := map[string]struct {
		release, arch, variant string
		want                   string // URL path
	}{
		"3.19.10 over 3.19.9-r2":        {"3.19", "x86_64", "nocloud-uefi-tiny", "/v3.19/releases/cloud/nocloud_alpine-3.19.10-x86_64-uefi-tiny-r0.qcow2"},
		"r10 over r9":                   {"3.22", "x86_64", "nocloud-bios-tiny", "/v3.22/releases/cloud/nocloud_alpine-3.22.3-x86_64-bios-tiny-r10.qcow2"},
		"r1, not oci r3 or metal r4":    {"3.24", "x86_64", "nocloud-uefi-cloudinit", "/v3.24/releases/cloud/nocloud_alpine-3.24.1-x86_64-uefi-cloudinit-r1.qcow2"},
		"latest-stable pinned to v3.24": {"latest-stable", "aarch64", "generic-uefi-cloudinit", "/v3.24/releases/cloud/generic_alpine-3.24.1-aarch64-uefi-cloudinit-r1.qcow2"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			art, err := resolve(t.Context(), sdktest.HTTPFetcher(nil), srv.URL, tc.release, tc.arch, tc.variant)
			if err != nil {
				t.Fatal(err)
			}
			if art.URL != srv.URL+tc.want {
				t.Errorf("URL = %s, want %s%s", art.URL, srv.URL, tc.want)
			}
		})
	}
}

// TestResolveAfterPublish checks that a rebuild is picked up, that the
// answer before it still downloads the same bytes (it is pinned), and that
// latest-stable follows a rebuild in the newest branch.
func TestResolveAfterPublish(t *testing.T) {
	t.Parallel()
	for _, release := range []string{"3.21", "latest-stable"} {
		t.Run(release, func(t *testing.T) {
			t.Parallel()
			l := tree(t)
			srv := serve(t, l)
			f := sdktest.HTTPFetcher(nil)
			before, err := resolve(t.Context(), f, srv.URL, release, "x86_64", "nocloud-uefi-cloudinit")
			if err != nil {
				t.Fatal(err)
			}
			b, err := l.Publish(release, "amd64", "nocloud-uefi-cloudinit")
			if err != nil {
				t.Fatal(err)
			}
			after, err := resolve(t.Context(), f, srv.URL, release, "x86_64", "nocloud-uefi-cloudinit")
			if err != nil {
				t.Fatal(err)
			}
			if after.URL != srv.URL+"/"+b.Path || after.Version != b.Version || after.Digest != b.Digest {
				t.Errorf("after Publish: %s %s %s, want %s %s %s", after.URL, after.Version, after.Digest.Short(), b.Path, b.Version, b.Digest.Short())
			}
			if after.Version == before.Version {
				t.Errorf("version did not change: %s", after.Version)
			}
			if _, err := f.Fetch(t.Context(), before.URL); err != nil {
				t.Errorf("the earlier answer's pinned URL is gone: %v", err)
			}
		})
	}
}
