package ubuntu_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	ireplica "github.com/sandlabx/fetchd/internal/replica"
	"github.com/sandlabx/fetchd/plugins/ubuntu"
	"github.com/sandlabx/fetchd/plugins/ubuntu/replica"
	"github.com/sandlabx/fetchd/sdk"
	"github.com/sandlabx/fetchd/sdk/checksum"
	"github.com/sandlabx/fetchd/sdk/sdktest"
	"github.com/sandlabx/fetchd/sdk/signature/sigtest"
)

// testKey signs the replicas. It is derived from a fixed seed and time so
// that the plugin process sdktest.Run starts (this test binary again) makes
// the very same key in TestMain and trusts it.
var testKey = sigtest.MustNewKey("Ubuntu Plugin Test Signing Key", "ubuntu-tests@example.invalid",
	sigtest.WithSeed("fetchd plugins/ubuntu tests"), sigtest.WithTime(time.Date(2025, time.January, 1, 0, 0, 0, 0, time.UTC)))

func TestMain(m *testing.M) {
	sdktest.Main(m, ubuntu.New(ubuntu.WithKeyring(testKey.PublicArmored())))
}

// fixture is a replica, its server and a source that trusts its key.
type fixture struct {
	l   *replica.Layout
	srv *ireplica.Server
	src *ubuntu.Source
}

func newFixture(t *testing.T, opts replica.Options) *fixture {
	t.Helper()
	if opts.Key == nil {
		opts.Key = testKey
	}
	l, err := replica.Write(t.TempDir(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{l: l, srv: ireplica.Serve(t, l.Root()), src: ubuntu.New(ubuntu.WithKeyring(opts.Key.PublicArmored()))}
}

// only keeps the given releases (and every architecture) in a replica, to
// keep fault tests small.
func only(releases ...string) func(string, string, string) bool {
	return func(release, _, _ string) bool { return !slices.Contains(releases, release) }
}

func (f *fixture) request(release, arch, variant string) sdk.ResolveRequest {
	return sdk.ResolveRequest{Release: release, Arch: arch, Variant: variant, BaseURL: f.srv.URL, Fetcher: sdktest.HTTPFetcher(nil)}
}

func (f *fixture) resolve(t *testing.T, release, arch, variant string) (sdk.Artifact, error) {
	t.Helper()
	return f.src.Resolve(t.Context(), f.request(release, arch, variant))
}

// url is the server's URL of a path relative to the replica root.
func (f *fixture) url(rel string) string { return f.srv.URL + "/" + rel }

// file is the local name of a path relative to the replica root.
func (f *fixture) file(rel string) string {
	return filepath.Join(f.l.Root(), filepath.FromSlash(rel))
}

func (f *fixture) read(t *testing.T, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(f.file(rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (f *fixture) write(t *testing.T, rel string, data []byte) {
	t.Helper()
	if err := os.WriteFile(f.file(rel), data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) remove(t *testing.T, rel string) {
	t.Helper()
	if err := os.Remove(f.file(rel)); err != nil {
		t.Fatal(err)
	}
}

// editSums rewrites the SHA256SUMS of b line by line and signs it again.
func (f *fixture) editSums(t *testing.T, b replica.Build, edit func(lines []string) []string) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(string(f.read(t, b.SumsPath)), "\n"), "\n")
	f.write(t, b.SumsPath, []byte(strings.Join(edit(lines), "\n")+"\n"))
	if err := f.l.Resign(b.SumsPath); err != nil {
		t.Fatal(err)
	}
}

// The replica's released stream documents.
const (
	releasedIndex    = "releases/streams/v1/index.json"
	releasedProducts = "releases/streams/v1/com.ubuntu.cloud:released:download.json"
	dailyProducts    = "daily/streams/v1/com.ubuntu.cloud:daily:download.json"
)

// editJSON rewrites a JSON document of the replica.
func (f *fixture) editJSON(t *testing.T, rel string, edit func(doc map[string]any)) {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(f.read(t, rel), &doc); err != nil {
		t.Fatal(err)
	}
	edit(doc)
	b, err := json.MarshalIndent(doc, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	f.write(t, rel, b)
}

// productVersion returns a version object of the products document doc.
func productVersion(doc map[string]any, productID, serial string) map[string]any {
	p := doc["products"].(map[string]any)[productID].(map[string]any)
	return p["versions"].(map[string]any)[serial].(map[string]any)
}

func diskItem(doc map[string]any, productID, serial string) map[string]any {
	return productVersion(doc, productID, serial)["items"].(map[string]any)["disk1.img"].(map[string]any)
}

// checkErr fails unless err is of kind and its message has every want.
func checkErr(t *testing.T, err error, kind error, want ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one of kind %v", kind)
	}
	if !errors.Is(err, kind) {
		t.Errorf("error %q is not of kind %v", err, kind)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not mention %q", err, w)
		}
	}
}

func writeFile(t *testing.T, root, rel string, data []byte) {
	t.Helper()
	if err := ireplica.WriteFile(root, rel, data, time.Time{}); err != nil {
		t.Fatal(err)
	}
}

func newServer(t *testing.T, root string) *ireplica.Server { return ireplica.Serve(t, root) }

func httpFetcher() sdk.Fetcher { return sdktest.HTTPFetcher(nil) }

// sdkDigestOf downloads url and returns the SHA-256 of its body.
func sdkDigestOf(t *testing.T, get func(string) (*http.Response, error), url string) checksum.Digest {
	t.Helper()
	resp, err := get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	h := sha256.New()
	if _, err := io.Copy(h, resp.Body); err != nil {
		t.Fatal(err)
	}
	return checksum.Digest{Algorithm: checksum.SHA256, Hex: hex.EncodeToString(h.Sum(nil))}
}
