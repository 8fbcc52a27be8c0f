package ubuntu_test

import (
	"bufio"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sandlabx/fetchd/internal/metadata"
	"github.com/sandlabx/fetchd/internal/netpolicy"
	"github.com/sandlabx/fetchd/internal/pluginhost"
	"github.com/sandlabx/fetchd/plugins/ubuntu/replica"
	"github.com/sandlabx/fetchd/sdk"
)

// TestResolveFromA40MiBStream: the released products document of a replica
// with every release since 12.04 and 150 old serials per product (the
// shape of the real one, which keeps every build Canonical published) is
// over 40 MiB; the plugin, as a real process behind fetchd's own fetch
// service, resolves from it correctly, and its peak RSS stays far below
// what holding the document would cost. BENCHMARKS.md reports the figure.
func TestResolveFromA40MiBStream(t *testing.T) {
	if testing.Short() {
		t.Skip("writes and serves a 40 MiB document")
	}
	t.Parallel()
	f := newFixture(t, replica.Options{History: 150, Omit: only("24.04")})
	products := f.file("releases/streams/v1/com.ubuntu.cloud:released:download.json")
	fi, err := os.Stat(products)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() < 40<<20 {
		t.Fatalf("the products document is %d bytes, want at least 40 MiB", fi.Size())
	}

	u, _ := url.Parse(f.srv.URL)
	fetcher, err := metadata.New(netpolicy.Policy{AllowHTTP: []string{u.Host}}, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	h, err := pluginhost.New(pluginhost.Options{Fetcher: fetcher, ResolveTimeout: 2 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(t.TempDir(), pluginhost.FilePrefix+"ubuntu")
	if err := os.Symlink(self, link); err != nil {
		t.Fatal(err)
	}
	p, err := h.Start(t.Context(), pluginhost.Candidate{Name: "ubuntu", Path: link})
	if err != nil {
		t.Fatal(err)
	}
	got, err := p.Resolve(t.Context(), pluginhost.Request{Release: "24.04", Arch: "amd64", BaseURL: f.srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	want := f.want(f.l.Newest("24.04", "amd64", "server"), sdk.KeyEmbedded, testKey.Fingerprint())
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("artifact (-want +got):\n%s", diff)
	}
	peak := peakRSS(t, p.PID())
	t.Logf("products document %.1f MiB; plugin peak RSS %.1f MiB", float64(fi.Size())/(1<<20), float64(peak)/(1<<20))
	// Holding the document and its decoded form costs several times its
	// size; decoding it as it streams costs a few MiB over the runtime's
	// own.
	if peak > 100<<20 && !raceEnabled { // ThreadSanitizer's shadow memory counts too
		t.Errorf("plugin peak RSS %d MiB for a %d MiB document", peak>>20, fi.Size()>>20)
	}
}

// peakRSS is VmHWM of the process, in bytes.
func peakRSS(t *testing.T, pid int) int64 {
	t.Helper()
	fh, err := os.Open(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			var kb int64
			for _, c := range strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")) {
				kb = kb*10 + int64(c-'0')
			}
			return kb << 10
		}
	}
	t.Fatal("no VmHWM")
	return 0
}
