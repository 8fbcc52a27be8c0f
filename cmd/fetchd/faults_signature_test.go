package main

// Fault cases: image signatures. The operator configures a key for Alpine,
// whose <image>.asc signs the image itself, so fetchd checks it over the
// downloaded bytes before the image is installed. Upstream publishes a
// newer build and `sync --update always` fetches it while its .asc is
// wrong in one way or another; the previous good alpine-3.qcow2 must stay,
// the other images must be unaffected, and nothing unverified may appear.

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	alpinereplica "github.com/sandlabx/fetchd/plugins/alpine/replica"
)

const sigAlpine = "alpine-3.qcow2"

// sigBuild is a newer Alpine build published upstream.
type sigBuild struct {
	alpinereplica.Build
	file    string // the image on the server's disk
	urlPath string // its URL path
	data    []byte
}

func sigPublish(t *testing.T, f *faultWorld) sigBuild {
	t.Helper()
	b, err := f.world.Alpine.Publish("latest-stable", "x86_64", "nocloud-uefi-cloudinit")
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(f.world.Root, "alpine", filepath.FromSlash(b.Path))
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return sigBuild{Build: b, file: file, urlPath: upstreamURLPath("alpine", b.Path), data: data}
}

// sigKeys configures keyFile as the operator's key for Alpine.
func sigKeys(f *faultWorld, keyFile string) {
	f.base = strings.Replace(f.base, "  alpine:\n", "  alpine:\n    keys: ["+keyFile+"]\n", 1)
	f.writeConfig()
}

type sigImageJSON struct {
	Name       string   `json:"name"`
	State      string   `json:"state"`
	Digest     string   `json:"digest"`
	Signature  string   `json:"signature"`
	VerifiedBy []string `json:"verified_by"`
}

func sigImage(t *testing.T, stdout string) sigImageJSON {
	t.Helper()
	var doc struct {
		Images []sigImageJSON `json:"images"`
	}
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatalf("fetchd --json output is not JSON (%v):\n%s", err, stdout)
	}
	for _, im := range doc.Images {
		if im.Name == sigAlpine {
			return im
		}
	}
	t.Fatalf("%s not in the output:\n%s", sigAlpine, stdout)
	return sigImageJSON{}
}

// TestFaultSigGood: with the key that signed it, the newer build is
// installed and recorded as verified by the operator's key, the signature
// check among its checks.
func TestFaultSigGood(t *testing.T) {
	t.Parallel()
	f := newFaultWorld(t)
	sigKeys(f, f.world.AlpineKeyFile)
	b := sigPublish(t, f)
	res := f.syncJSON("--update", "always")
	f.check(res, expect{code: 0, changed: []string{sigAlpine}})
	im := sigImage(t, res.stdout)
	if im.State != "updated" || !bytes.Equal(f.read(sigAlpine), b.data) {
		t.Fatalf("%s: %q, want the newer build installed (updated)", sigAlpine, im.State)
	}
	fpr := f.world.Alpine.Key.Fingerprint()
	if want := "verified (key " + fpr + ", operator)"; im.Signature != want {
		t.Errorf("signature %q, want %q", im.Signature, want)
	}
	if !slices.Contains(im.VerifiedBy, "openpgp-signature") {
		t.Errorf("verified_by %q does not list the signature check", im.VerifiedBy)
	}
	if n := f.srv.Requests(b.urlPath + ".asc"); n != 1 {
		t.Errorf("%d requests for the .asc, want 1", n)
	}

	// status reports what was recorded; a second sync is a no-op.
	st := f.run("status", "--json")
	if st.code != 0 || !strings.Contains(st.stdout, "verified (key "+fpr+", operator)") {
		t.Errorf("status --json (exit %d) does not report the verified signature:\n%s", st.code, st.stdout)
	}
	again := f.syncJSON()
	f.check(again, expect{code: 0, changed: []string{sigAlpine}})
	if im := sigImage(t, again.stdout); im.State != "present" {
		t.Errorf("second sync: %s %q, want present", sigAlpine, im.State)
	}
}

// TestFaultSig: each way an image signature can be wrong fails the image,
// with the cause, and leaves the installed build in place.
func TestFaultSig(t *testing.T) {
	t.Parallel()
	f := newFaultWorld(t)
	other, err := os.ReadFile(filepath.Join(f.world.Root, "alpine", filepath.FromSlash(f.world.Alpine.Newest("latest-stable", "x86_64", "nocloud-uefi-cloudinit").SignaturePath())))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		key  string                     // the operator's key file; "" = the one that signs
		edit func(*testing.T, sigBuild) // breaks the new build's signature
		want string                     // in the error
		// fetched says whether the image may be downloaded at all: a
		// signature that cannot verify is refused before.
		fetched bool
		// warn: the source itself refuses to answer, which for an
		// installed image is a warning (it stays present, exit 0), as
		// for any source failure.
		warn bool
	}{
		{name: "wrong key", key: f.world.StrangerKeyFile, edit: func(*testing.T, sigBuild) {},
			want: "which is not in the keyring"},
		{name: "signs other bytes", edit: func(t *testing.T, b sigBuild) { sigWrite(t, b.file+".asc", other) },
			want: "does not match the data", fetched: true},
		{name: "not a signature", edit: func(t *testing.T, b sigBuild) { sigWrite(t, b.file+".asc", []byte("<html>not found</html>\n")) },
			want: "image signature " + "http"},
		{name: "listed but gone", edit: func(t *testing.T, b sigBuild) { sigRemove(t, b.file+".asc") },
			want: "image signature: "},
		{name: "not published", edit: func(t *testing.T, b sigBuild) {
			if err := f.world.Alpine.Remove(b.SignaturePath()); err != nil {
				t.Fatal(err)
			}
		}, want: "keys are configured for alpine but", warn: true},
	}
	for _, tc := range cases {
		t.Run(strings.ReplaceAll(tc.name, " ", "_"), func(t *testing.T) {
			c := *f
			c.t = t
			key := tc.key
			if key == "" {
				key = f.world.AlpineKeyFile
			}
			c.base = f.base
			sigKeys(&c, key)
			b := sigPublish(t, &c)
			tc.edit(t, b)
			res := c.syncJSON("--update", "always")
			if tc.warn {
				c.check(res, expect{code: 0})
				if w := srvStderrLine(res, "warning", sigAlpine); !strings.Contains(w, tc.want) {
					t.Errorf("no warning for %s containing %q:\n%s", sigAlpine, tc.want, res.stderr)
				}
			} else {
				c.check(res, expect{code: 1, failed: map[string]string{sigAlpine: tc.want}})
			}
			if n := c.srv.Requests(b.urlPath); !tc.fetched && n != 0 {
				t.Errorf("the image was requested %d times; a signature that cannot verify must stop it first", n)
			}
			if _, err := os.Stat(filepath.Join(c.images, ".fetchd", "partial")); err == nil {
				entries, _ := os.ReadDir(filepath.Join(c.images, ".fetchd", "partial"))
				for _, e := range entries {
					t.Errorf("partial %s kept after the signature failed", e.Name())
				}
			}
		})
	}
}

func sigWrite(t *testing.T, file string, data []byte) {
	t.Helper()
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func sigRemove(t *testing.T, file string) {
	t.Helper()
	if err := os.Remove(file); err != nil {
		t.Fatal(err)
	}
}
