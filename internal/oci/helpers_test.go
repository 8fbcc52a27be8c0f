package oci_test

import (
	"crypto/rand"
	"crypto/sha512"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sandlabx/fetchd/internal/netpolicy"
	"github.com/sandlabx/fetchd/internal/oci"
	"github.com/sandlabx/fetchd/internal/state"
	"github.com/sandlabx/fetchd/internal/store"
	"github.com/sandlabx/fetchd/internal/testing/registry"
	"github.com/sandlabx/fetchd/sdk/checksum"
	"github.com/sandlabx/fetchd/sdk/signature"
	"github.com/sandlabx/fetchd/sdk/signature/sigtest"
)

// publisherDir makes an image directory holding one image with a state
// record, as sync leaves it, and returns the directory, the state and the
// image's bytes.
func publisherDir(t *testing.T, name, version string, size int) (string, *state.State, []byte) {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, state.PrivateDir), 0o700); err != nil {
		t.Fatal(err)
	}
	data := make([]byte, size)
	if _, err := rand.Read(data); err != nil {
		t.Fatal(err)
	}
	sum := sha512.Sum512(data)
	d := checksum.Digest{Algorithm: checksum.SHA512, Hex: hex.EncodeToString(sum[:])}
	// As sync leaves it: the build in the private directory, the name a
	// hard link to it, the record stamped with the build file.
	build := filepath.Join(dir, state.PrivateDir, "builds", state.BuildFile(d, "qcow2"))
	if err := os.MkdirAll(filepath.Dir(build), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(build, data, 0o444); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.Link(build, path); err != nil {
		t.Fatal(err)
	}
	var sys unix.Stat_t
	if err := unix.Lstat(build, &sys); err != nil {
		t.Fatal(err)
	}
	ent := state.Entry{
		File:   state.BuildFile(d, "qcow2"),
		Source: "debian", Release: "13", Arch: "amd64", Variant: "generic", Version: version,
		URL: "https://cloud.debian.org/images/cloud/trixie/" + version + "/" + name, Format: "qcow2",
		Digest: d, Size: int64(size), Stamp: store.StampOf(&sys),
		VerifiedAt: time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC), VerifiedBy: []string{"sha512", "qcow2-header", "qemu-img info", "qemu-img check"},
		ChecksumURL: "https://cloud.debian.org/images/cloud/trixie/" + version + "/SHA512SUMS",
		Signature:   "unsigned: checksum over https",
	}
	st := state.New()
	st.SetBuild(ent)
	st.SetImage(name, state.Image{Build: d.String()})
	out, err := state.Encode(st)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(state.Path(dir), out, 0o600); err != nil {
		t.Fatal(err)
	}
	return dir, st, data
}

// clientFor returns a client trusting the registry's CA, with credentials
// for user in a Docker config.json of its own.
func clientFor(t *testing.T, reg *registry.Registry, user, pass string) *oci.Client {
	t.Helper()
	file := filepath.Join(t.TempDir(), "config.json")
	if err := os.WriteFile(file, registry.DockerConfig(reg.Host, user, pass), 0o600); err != nil {
		t.Fatal(err)
	}
	return &oci.Client{
		Policy:          netpolicy.Policy{RootCAs: reg.CA.Pool()},
		CredentialsFile: file,
	}
}

func newKey(t *testing.T, name string) (*sigtest.Key, *signature.Keyring) {
	t.Helper()
	k, err := sigtest.NewKey(name, "publisher@example.invalid")
	if err != nil {
		t.Fatal(err)
	}
	kr, err := signature.ParseKeyring(k.PublicArmored())
	if err != nil {
		t.Fatal(err)
	}
	return k, kr
}

func mustRef(t *testing.T, s string) oci.Ref {
	t.Helper()
	r, err := oci.ParseRef(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
