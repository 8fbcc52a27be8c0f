package sdktest

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/sandlabx/fetchd/internal/pluginhost"
	"github.com/sandlabx/fetchd/internal/wire"
	"github.com/sandlabx/fetchd/sdk"
)

// Case is one Resolve the kit makes and what it expects.
type Case struct {
	Name string
	// Release, Arch and Variant as an operator would write them (names or
	// aliases; "" for the source's default). Arch "" means amd64.
	Release, Arch, Variant string
	// BaseURL overrides the source's default base URL, e.g. a local
	// replica's URL. Plain http is allowed to loopback addresses only.
	BaseURL string
	// TrustedKeys are operator-configured keys for the source, for every
	// release; ReleaseKeys, when set, are the operator's keys per release
	// instead (sources.<name>.keys as a mapping): the plugin is sent only
	// the requested release's, as fetchd does.
	TrustedKeys [][]byte
	ReleaseKeys map[string][][]byte
	// WantErr is the kind of error expected (sdk.ErrNotFound,
	// sdk.ErrBadMetadata, ...), or nil for success.
	WantErr error
	// Check, if set, inspects a successful answer further.
	Check func(t *testing.T, a sdk.Artifact)
}

var served = map[string]sdk.Source{}
var mainCalled bool

// Main is for TestMain. When the test binary is started as a plugin (by Run)
// it serves the source whose name the binary was started as; otherwise it
// runs the tests.
func Main(m *testing.M, sources ...sdk.Source) {
	for _, s := range sources {
		served[s.Describe().Name] = s
	}
	// Run starts this binary as fetchd-plugin-<name>. The test binary
	// itself may have a name of that shape too: a source package at the
	// root of a module called fetchd-plugin-<name> builds
	// fetchd-plugin-<name>.test, which is no plugin name (it has a dot),
	// so it runs the tests.
	if name, ok := strings.CutPrefix(filepath.Base(os.Args[0]), pluginhost.FilePrefix); ok && sdk.ValidName(name) {
		if s, ok := served[name]; ok {
			sdk.Serve(s)
		}
		os.Stderr.WriteString("sdktest: no source called " + name + " was passed to sdktest.Main\n")
		os.Exit(2)
	}
	mainCalled = true
	os.Exit(m.Run())
}

// Run checks src as a real plugin process: the test binary, linked under the
// plugin's file name, serves it (see Main).
func Run(t *testing.T, src sdk.Source, cases ...Case) {
	t.Helper()
	if !mainCalled {
		t.Fatal("sdktest.Run needs the test binary to serve the source: add func TestMain(m *testing.M) { sdktest.Main(m, <your source>) }")
	}
	name := src.Describe().Name
	if _, ok := served[name]; !ok {
		t.Fatalf("sdktest.Run: source %q was not passed to sdktest.Main", name)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), pluginhost.FilePrefix+name)
	if err := os.Symlink(self, path); err != nil {
		t.Fatal(err)
	}
	RunBinary(t, path, cases...)
}

// RunBinary checks the plugin binary at path, which must be named
// fetchd-plugin-<name>.
func RunBinary(t *testing.T, path string, cases ...Case) {
	t.Helper()
	name, ok := strings.CutPrefix(filepath.Base(path), pluginhost.FilePrefix)
	if !ok {
		t.Fatalf("plugin binary %s: its file name must start with %s", path, pluginhost.FilePrefix)
	}
	t.Run("started by hand", func(t *testing.T) { checkByHand(t, path, name) })

	h, err := pluginhost.New(pluginhost.Options{
		StartTimeout:   10 * time.Second,
		ResolveTimeout: 30 * time.Second,
		Fetcher:        loopbackFetcher(),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	p, err := h.Start(t.Context(), pluginhost.Candidate{Name: name, Path: path})
	if err != nil {
		t.Fatalf("start (handshake, protocol version, Describe): %v", err)
	}
	if p.Protocol != sdk.ProtocolVersion {
		t.Errorf("negotiated protocol %d, want %d", p.Protocol, sdk.ProtocolVersion)
	}
	desc := p.Desc

	t.Run("refuses what it does not offer", func(t *testing.T) {
		arch := desc.Arches[0].Name
		variant := desc.DefaultVariant
		refusals := map[string]pluginhost.Request{
			"unknown release": {Release: "no-such-release", Arch: arch, Variant: variant},
			"unknown arch":    {Release: desc.DefaultRelease, Arch: "no-such-arch", Variant: variant},
		}
		if len(desc.Variants) > 0 {
			refusals["unknown variant"] = pluginhost.Request{Release: desc.DefaultRelease, Arch: arch, Variant: "no-such-variant"}
		}
		for what, req := range refusals {
			_, err := p.ResolveAsIs(t.Context(), req)
			if got := codeOf(err); got != codes.NotFound {
				t.Errorf("%s: Resolve returned %v (code %v), want NOT_FOUND", what, err, got)
			}
		}
	})

	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			arch := c.Arch
			if arch == "" {
				arch = "amd64"
			}
			ctx, cancel := context.WithTimeout(t.Context(), 40*time.Second)
			defer cancel()
			art, err := p.Resolve(ctx, pluginhost.Request{
				Release: c.Release, Arch: arch, Variant: c.Variant, BaseURL: c.BaseURL, TrustedKeys: c.TrustedKeys, ReleaseKeys: c.ReleaseKeys,
			})
			if c.WantErr != nil {
				if want := codeFor(c.WantErr); codeOf(err) != want {
					t.Fatalf("Resolve: got %v (code %v), want an error of kind %v (code %v)", err, codeOf(err), c.WantErr, want)
				}
				return
			}
			if err != nil {
				t.Fatalf("Resolve: %v", err)
			}
			if c.Check != nil {
				c.Check(t, art)
			}
		})
	}
}

// checkByHand runs the binary outside fetchd: it must refuse to serve, and
// answer --version and describe.
func checkByHand(t *testing.T, path, name string) {
	run := func(args ...string) (string, string, error) {
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, path, args...)
		cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		return out.String(), errb.String(), err
	}
	if _, stderr, err := run(); err == nil || !strings.Contains(stderr, "fetchd") {
		t.Errorf("started by hand without arguments: exit %v, stderr %q; want a non-zero exit and a note about fetchd", err, stderr)
	}
	if out, _, err := run("--version"); err != nil || !strings.HasPrefix(out, name+" ") {
		t.Errorf("--version: exit %v, output %q; want %q followed by the version", err, out, name)
	}
	if out, _, err := run("describe"); err != nil || !strings.Contains(out, `"name": "`+name+`"`) {
		t.Errorf("describe: exit %v, output %q; want the description as JSON", err, out)
	}
}

func codeOf(err error) codes.Code {
	var pe *pluginhost.Error
	if errors.As(err, &pe) && pe.Kind == pluginhost.Failed {
		return pe.Code
	}
	if err == nil {
		return codes.OK
	}
	return codes.Unknown
}

// codeFor is the code a kind of error travels as: sdk's one table (see
// internal/wire/bridge.go).
var codeFor = wire.CodeOfKind.(func(error) codes.Code)
