package main

// Config changes, end to end with the real plugins: a changed release,
// variant or url of an installed image replaces it whatever the update
// policy, and one the source does not offer fails the image (exit 1),
// never a warning, with the installed build kept.

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	alpinereplica "github.com/sandlabx/fetchd/plugins/alpine/replica"
)

const cfgAlpine = "alpine-3.qcow2"

// setAlpine replaces the alpine image's line of the world's config.
func setAlpine(f *faultWorld, line string) {
	f.t.Helper()
	var out []string
	found := false
	for _, l := range strings.Split(f.base, "\n") {
		if strings.HasPrefix(l, "  "+cfgAlpine+":") {
			l, found = "  "+cfgAlpine+": "+line, true
		}
		out = append(out, l)
	}
	if !found {
		f.t.Fatalf("the world's config has no line for %s:\n%s", cfgAlpine, f.base)
	}
	f.base = strings.Join(out, "\n")
	f.writeConfig()
}

// TestFaultConfigChange: the installed alpine image's release is changed
// from latest-stable to the oldest branch, with update: never and with
// notify; then to a branch and a variant the source does not offer; then
// the image becomes a direct URL.
func TestFaultConfigChange(t *testing.T) {
	t.Parallel()
	for _, policy := range []string{"never", "notify"} {
		t.Run(policy, func(t *testing.T) {
			t.Parallel()
			f := newFaultWorld(t)
			oldest := alpinereplica.Branches()[0]
			want := f.world.Alpine.Newest(oldest, "amd64", "nocloud-uefi-cloudinit")
			if want.Path == "" {
				t.Fatalf("the replica has no %s build", oldest)
			}
			setAlpine(f, fmt.Sprintf("{source: alpine, release: %q, update: %s}", oldest, policy))
			res := f.syncJSON()
			f.check(res, expect{code: 0, changed: []string{cfgAlpine}})
			if got := res.summary[cfgAlpine]; got != "updated" && got != "replaced" {
				t.Errorf("%s after its release changed: %q, want updated", cfgAlpine, got)
			}
			if !strings.Contains(res.stdout, "the configuration changed: release latest-stable → "+oldest) {
				t.Errorf("the result does not say what changed:\n%s", res.stdout)
			}
			data, err := os.ReadFile(filepath.Join(f.world.Root, "alpine", filepath.FromSlash(want.Path)))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(f.read(cfgAlpine), data) {
				t.Errorf("%s is not the %s build %s", cfgAlpine, oldest, want.Version)
			}
			installed := f.read(cfgAlpine)
			f.good[cfgAlpine] = installed

			// A release the source does not have: an error for the image,
			// exit 1, the build stays.
			setAlpine(f, fmt.Sprintf("{source: alpine, release: \"9.99\", update: %s}", policy))
			res = f.syncJSON()
			f.check(res, expect{code: 1, failed: map[string]string{cfgAlpine: `release "9.99" is not offered by alpine (it has: latest-stable;`}})
			if strings.Contains(res.stderr, "warning: "+cfgAlpine) {
				t.Errorf("a release the source does not offer is a warning:\n%s", res.stderr)
			}
			// A variant it does not build: the same.
			setAlpine(f, fmt.Sprintf("{source: alpine, release: %q, variant: no-such-variant, update: %s}", oldest, policy))
			res = f.syncJSON()
			f.check(res, expect{code: 1, failed: map[string]string{cfgAlpine: "no-such-variant"}})

			// The image becomes a direct URL: replaced by those bytes.
			direct := f.factory.Next()
			url, sha := f.serveFile("direct/alpine.qcow2", direct)
			setAlpine(f, fmt.Sprintf("{url: %s, checksum: \"sha256:%s\", update: %s}", url, sha, policy))
			res = f.syncJSON()
			f.check(res, expect{code: 0, changed: []string{cfgAlpine}})
			if !bytes.Equal(f.read(cfgAlpine), direct) {
				t.Errorf("%s is not the direct URL's bytes after the change (%s)", cfgAlpine, res.summary[cfgAlpine])
			}
		})
	}
}
