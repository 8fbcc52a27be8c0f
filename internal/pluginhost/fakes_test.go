package pluginhost

// Fake plugins for the tests. The test binary doubles as every fake: tests
// link it into a directory as fetchd-plugin-<mode>, and TestMain, seeing
// that name in argv[0], runs the fake instead of the tests.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-plugin"
	"golang.org/x/sys/unix"

	sourcev1 "github.com/sandlabx/fetchd/internal/gen/fetchd/source/v1"
	"github.com/sandlabx/fetchd/internal/testutil/rawplugin"
	"github.com/sandlabx/fetchd/internal/wire"
	"github.com/sandlabx/fetchd/sdk"
	"github.com/sandlabx/fetchd/sdk/checksum"
)

func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == "__launch" {
		LaunchMain(os.Args[2:]) // the test binary doubles as the launcher
	}
	base := filepath.Base(os.Args[0])
	if mode, ok := strings.CutPrefix(base, FilePrefix); ok {
		runFake(mode)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func runFake(mode string) {
	switch mode {
	case "good", "good-two":
		sdk.Serve(fakeSource{name: mode})
	case "crash":
		sdk.Serve(fakeSource{name: mode, resolve: func() error {
			// An unrecovered panic on another goroutine: the runtime
			// prints it to fd 2 and kills the process.
			go func() { panic("fake: crash in Resolve") }()
			select {}
		}})
	case "hang":
		sdk.Serve(fakeSource{name: mode, resolve: func() error { select {} }})
	case "forker":
		// Starts three children that would outlive it, each another way,
		// then serves normally.
		startChildren()
		sdk.Serve(fakeSource{name: mode})
	case "keys":
		// Reports the operator keys it was sent.
		sdk.Serve(keysSource{fakeSource{name: mode}})
	case "limits":
		sdk.Serve(fakeSource{name: mode, resolve: func() error { return errors.New(limitsReport()) }})
	case "hog":
		sdk.Serve(fakeSource{name: mode, resolve: func() error {
			var keep [][]byte
			for range 64 {
				b := make([]byte, 32<<20)
				for i := 0; i < len(b); i += 4096 {
					b[i] = 1
				}
				keep = append(keep, b)
			}
			return fmt.Errorf("allocated %d MiB", 32*len(keep))
		}})
	case "misnamed":
		sdk.Serve(fakeSource{name: "someone-else"})
	case "chatty":
		fmt.Println("hello from a plugin that prints before the handshake")
		sdk.Serve(fakeSource{name: mode})
	case "nohandshake":
		time.Sleep(time.Hour)
	case "wrongproto":
		plugin.Serve(&plugin.ServeConfig{
			HandshakeConfig: plugin.HandshakeConfig{
				ProtocolVersion:  wire.ProtocolVersion + 1,
				MagicCookieKey:   wire.Handshake.MagicCookieKey,
				MagicCookieValue: wire.Handshake.MagicCookieValue,
			},
			Plugins:    plugin.PluginSet{wire.PluginName: rawplugin.Plugin(&rawplugin.Server{})},
			GRPCServer: plugin.DefaultGRPCServer,
		})
	default:
		// raw-<case>: a plugin that bypasses the sdk's own checks and sends
		// whatever the case says, to prove the host checks for itself.
		if c, ok := strings.CutPrefix(mode, "raw-"); ok {
			serveRaw(mode, c)
			return
		}
		fmt.Fprintf(os.Stderr, "unknown fake plugin mode %q\n", mode)
		os.Exit(2)
	}
}

// fakeSource is a small but honest source: it reads SHA256SUMS from the base
// URL through the host's fetch service.
type fakeSource struct {
	name    string
	resolve func() error
}

func fakeDescription(name string) sdk.Description {
	return sdk.Description{
		Name:    name,
		Summary: "a fake source for pluginhost tests",
		Version: "0.1.0",
		Releases: []sdk.Release{
			{Name: "1.0", Aliases: []string{"stable"}, EOL: "2030-01-01"},
			{Name: "2.0"},
		},
		Arches:         []sdk.Arch{{Name: "x86_64", Aliases: []string{"amd64"}}, {Name: "aarch64", Aliases: []string{"arm64"}}},
		Variants:       []sdk.Variant{{Name: "cloud"}, {Name: "tiny"}},
		DefaultBaseURL: "https://images.example.org",
		DefaultRelease: "stable",
		DefaultVariant: "cloud",
	}
}

func (s fakeSource) Describe() sdk.Description { return fakeDescription(s.name) }

func (s fakeSource) Resolve(ctx context.Context, req sdk.ResolveRequest) (sdk.Artifact, error) {
	if s.resolve != nil {
		if err := s.resolve(); err != nil {
			return sdk.Artifact{}, err
		}
	}
	file := fmt.Sprintf("fake-%s-%s-%s.qcow2", req.Release, req.Arch, req.Variant)
	sumsURL := req.BaseURL + "/" + req.Release + "/SHA256SUMS"
	body, err := req.Fetcher.Fetch(ctx, sumsURL)
	if err != nil {
		return sdk.Artifact{}, fmt.Errorf("reading %s: %w", sumsURL, err)
	}
	for _, line := range strings.Split(string(body.Body), "\n") {
		hex, name, ok := strings.Cut(line, "  ")
		if !ok || name != file {
			continue
		}
		d, err := checksum.NewDigest(checksum.SHA256, hex)
		if err != nil {
			return sdk.Artifact{}, fmt.Errorf("%s: %v: %w", sumsURL, err, sdk.ErrBadMetadata)
		}
		return sdk.Artifact{
			URL:         req.BaseURL + "/" + req.Release + "/" + file,
			FileName:    file,
			Version:     req.Release + ".20260101",
			Format:      sdk.FormatQCOW2,
			Digest:      d,
			ChecksumURL: sumsURL,
			Signature:   sdk.Unsigned("fake upstream signs nothing"),
			Release:     req.Release,
			Arch:        req.Arch,
			Variant:     req.Variant,
		}, nil
	}
	return sdk.Artifact{}, fmt.Errorf("%s has no line for %s: %w", sumsURL, file, sdk.ErrBadMetadata)
}

// goodArtifact is a valid answer for release 1.0, x86_64, cloud.
func goodArtifact() *sourcev1.Artifact {
	return &sourcev1.Artifact{
		Url:         "https://images.example.org/1.0/fake.qcow2",
		FileName:    "fake.qcow2",
		Version:     "1.0.20260101",
		Format:      sourcev1.Format_FORMAT_QCOW2,
		Checksum:    &sourcev1.Checksum{Algorithm: sourcev1.HashAlgorithm_HASH_ALGORITHM_SHA256, Hex: strings.Repeat("ab", 32)},
		ChecksumUrl: "https://images.example.org/1.0/SHA256SUMS",
		Signature:   &sourcev1.Signature{Status: sourcev1.SignatureStatus_SIGNATURE_STATUS_UNSIGNED, Detail: "fake"},
		Release:     "1.0",
		Arch:        "x86_64",
		Variant:     "cloud",
	}
}

func serveRaw(mode, c string) {
	desc := rawplugin.DescribeToProto(fakeDescription(mode))
	art := goodArtifact()
	switch c {
	case "file-url":
		art.Url = "file:///etc/shadow"
	case "http-url":
		art.Url = "http://images.example.org/1.0/fake.qcow2"
	case "getter-url":
		art.Url = "git::https://images.example.org/repo"
	case "slash-name":
		art.FileName = "../../etc/passwd"
	case "short-digest":
		art.Checksum.Hex = strings.Repeat("ab", 31)
	case "nonhex-digest":
		art.Checksum.Hex = strings.Repeat("zz", 32)
	case "no-checksum":
		art.Checksum = nil
	case "wrong-release":
		art.Release = "2.0"
	case "bad-name":
		desc.Name = "raw/bad-name"
	case "huge-describe":
		desc.Summary = strings.Repeat("x", 2<<20)
	case "ok":
	default:
		fmt.Fprintf(os.Stderr, "unknown raw case %q\n", c)
		os.Exit(2)
	}
	rawplugin.Serve(&rawplugin.Server{Desc: desc, Answer: func(*sourcev1.ResolveRequest) *sourcev1.Artifact { return art }})
}

// startChildren starts, for the "forker" fake, a child in the plugin's own
// process group, a daemon that left its session (setsid, then a fork whose
// parent exits, so it is re-parented away from the plugin), and a child
// holding the plugin's stderr. They sleep for an hour; the tests find them
// by FAKE_TREE_TOKEN in their environment.
func startChildren() {
	for _, c := range []*exec.Cmd{
		exec.Command("sleep", "3601"),
		exec.Command("setsid", "sh", "-c", "sleep 3602 & exit 0"),
		exec.Command("sleep", "3603"),
	} {
		if c.Args[1] == "3603" {
			c.Stderr = os.Stderr
		}
		if err := c.Start(); err != nil {
			fmt.Fprintln(os.Stderr, "fake forker:", err)
			os.Exit(1)
		}
	}
}

// limitsReport says which resource limits the process runs under.
func limitsReport() string {
	var data, cpu, core unix.Rlimit
	_ = unix.Getrlimit(unix.RLIMIT_DATA, &data)
	_ = unix.Getrlimit(unix.RLIMIT_CPU, &cpu)
	_ = unix.Getrlimit(unix.RLIMIT_CORE, &core)
	return fmt.Sprintf("limits: data=%d cpu=%d core=%d", data.Cur, cpu.Cur, core.Cur)
}

type keysSource struct{ fakeSource }

func (s keysSource) Resolve(_ context.Context, req sdk.ResolveRequest) (sdk.Artifact, error) {
	var keys []string
	for _, k := range req.TrustedKeys {
		keys = append(keys, string(k))
	}
	return sdk.Artifact{}, fmt.Errorf("release %s got keys [%s]", req.Release, strings.Join(keys, " "))
}
