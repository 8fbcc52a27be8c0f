package engine_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sandlabx/fetchd/internal/config"
	"github.com/sandlabx/fetchd/internal/engine"
	"github.com/sandlabx/fetchd/internal/replica"
)

// Images with a URL and a checksum in the config need no plugin.
func TestSyncDirectURL(t *testing.T) {
	t.Parallel()
	fx := newFixture(t)
	b := builds(t, 3)
	put := func(rel string, data []byte) {
		t.Helper()
		if err := replica.WriteFile(fx.root, rel, data, time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	put("custom/disk.qcow2", b[0])
	put("custom/SHA512SUMS", fmt.Appendf(nil, "%s  other.qcow2\n%s  disk.qcow2\n", sha512Of(b[1]).Hex, sha512Of(b[0]).Hex))
	put("inline/disk.qcow2", b[1])
	put("unlisted/disk.qcow2", b[2])
	put("unlisted/SHA512SUMS", fmt.Appendf(nil, "%s  disk-1.qcow2\n", sha512Of(b[2]).Hex))
	base := fx.srv.URL
	fx.configure(
		config.Image{Name: "custom.qcow2", URL: base + "/custom/disk.qcow2", ChecksumFileURL: base + "/custom/SHA512SUMS", Update: config.Notify},
		config.Image{Name: "inline.qcow2", URL: base + "/inline/disk.qcow2", Checksum: sha256Of(b[1]), Update: config.Notify},
		config.Image{Name: "unlisted.qcow2", URL: base + "/unlisted/disk.qcow2", ChecksumFileURL: base + "/unlisted/SHA512SUMS", Update: config.Notify},
	)

	rs := fx.sync(online)
	want := map[string]engine.Outcome{
		"custom.qcow2":   engine.Installed,
		"inline.qcow2":   engine.Installed,
		"unlisted.qcow2": engine.Failed,
	}
	if diff := cmp.Diff(want, outcomes(rs)); diff != "" {
		t.Fatalf("outcomes (-want +got):\n%s\nerrors: %q %q", diff, errText(rs["custom.qcow2"]), errText(rs["inline.qcow2"]))
	}
	wantFile(t, fx.path("custom.qcow2"), b[0])
	wantFile(t, fx.path("inline.qcow2"), b[1])
	wantNoFile(t, fx.path("unlisted.qcow2"))
	wantErr(t, rs["unlisted.qcow2"], base+"/unlisted/SHA512SUMS", `no sha512 digest for "disk.qcow2"`, "disk-1.qcow2")
	if n := fx.srv.Requests("/unlisted/disk.qcow2"); n != 0 {
		t.Errorf("%d requests for an image without a checksum, want none", n)
	}

	type recorded struct{ Source, URL, Digest, Version, ChecksumURL, Signature string }
	record := func(name string) recorded {
		e, ok := fx.entry(name)
		if !ok {
			t.Errorf("no state entry for %s", name)
		}
		return recorded{e.Source, e.URL, e.Digest.String(), e.Version, e.ChecksumURL, e.Signature}
	}
	wantRec := map[string]recorded{
		"custom.qcow2": {
			URL: base + "/custom/disk.qcow2", Digest: sha512Of(b[0]).String(), Version: sha512Of(b[0]).Short(),
			ChecksumURL: base + "/custom/SHA512SUMS", Signature: "unsigned: checksum file over http",
		},
		"inline.qcow2": {
			URL: base + "/inline/disk.qcow2", Digest: sha256Of(b[1]).String(), Version: sha256Of(b[1]).Short(),
			ChecksumURL: "config", Signature: "unsigned: digest given in the config file",
		},
	}
	gotRec := map[string]recorded{"custom.qcow2": record("custom.qcow2"), "inline.qcow2": record("inline.qcow2")}
	if diff := cmp.Diff(wantRec, gotRec); diff != "" {
		t.Errorf("state entries (-want +got):\n%s", diff)
	}

	// The checksum file is read again on the next run; the images are not.
	rs = fx.sync(engine.Options{Names: []string{"custom.qcow2", "inline.qcow2"}, Download: true})
	if diff := cmp.Diff(map[string]engine.Outcome{"custom.qcow2": engine.Present, "inline.qcow2": engine.Present}, outcomes(rs)); diff != "" {
		t.Errorf("second sync (-want +got):\n%s", diff)
	}
	for _, p := range []string{"/custom/disk.qcow2", "/inline/disk.qcow2"} {
		if n := fx.srv.Requests(p); n != 1 {
			t.Errorf("%d requests for %s, want 1", n, p)
		}
	}
	if n := fx.srv.Requests("/custom/SHA512SUMS"); n != 2 {
		t.Errorf("%d requests for the checksum file, want 2 (once per run)", n)
	}
}
