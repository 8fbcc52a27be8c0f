// Package deploy holds the container files: the fetchd image (../Dockerfile),
// a stand-in lab backend with fetchd as its entrypoint (backend/,
// backend.Dockerfile) and a compose file that builds both. There is no
// container engine where fetchd is developed, so these tests read the files
// for what they promise, and cmd/fetchd's entrypoint tests run the
// entrypoint the way the containers do.
package deploy

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestCompose: both images build from this repository, and both services
// run as the images' uid, under an init, with a restart policy.
func TestCompose(t *testing.T) {
	t.Parallel()
	var c struct {
		Services map[string]struct {
			Build struct {
				Context    string `yaml:"context"`
				Dockerfile string `yaml:"dockerfile"`
			} `yaml:"build"`
			User    string `yaml:"user"`
			Init    *bool  `yaml:"init"`
			Restart string `yaml:"restart"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal([]byte(read(t, "compose.yaml")), &c); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"backend", "fetchd"} {
		s, ok := c.Services[name]
		if !ok {
			t.Errorf("no service %s", name)
			continue
		}
		ctx := filepath.Clean(s.Build.Context)
		if ctx != ".." {
			t.Errorf("%s builds from %q, want the repository root (..)", name, s.Build.Context)
		}
		if _, err := os.Stat(filepath.Join(ctx, s.Build.Dockerfile)); err != nil {
			t.Errorf("%s: dockerfile: %v", name, err)
		}
		if s.User != "10001:10001" {
			t.Errorf("%s runs as %q, want 10001:10001", name, s.User)
		}
		if s.Init == nil || !*s.Init {
			t.Errorf("%s: want init: true (signals forwarded, QEMU children reaped)", name)
		}
		if s.Restart == "" {
			t.Errorf("%s: no restart policy", name)
		}
	}
}

// TestDockerfiles: cross-compiled on the build platform with the go.mod's
// Go, on Debian's current stable, as uid 10001; the backend on the current
// Node LTS with the QEMU system emulator of each architecture fetchd picks
// images for, fetchd as its entrypoint.
func TestDockerfiles(t *testing.T) {
	t.Parallel()
	goLine := regexp.MustCompile(`(?m)^go (\S+)$`).FindStringSubmatch(read(t, "../go.mod"))
	if goLine == nil {
		t.Fatal("no go line in go.mod")
	}
	for _, path := range []string{"../Dockerfile", "backend.Dockerfile"} {
		df := read(t, path)
		for _, want := range []string{
			"FROM --platform=$BUILDPLATFORM golang:" + goLine[1] + " AS ",
			"ARG TARGETOS TARGETARCH",
			"CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH go build",
			"trixie",
			"--uid 10001",
			"\nUSER 10001:10001\n",
			"qemu-utils util-linux",
		} {
			if !strings.Contains(df, want) {
				t.Errorf("%s lacks %q", path, want)
			}
		}
	}
	be := read(t, "backend.Dockerfile")
	for _, want := range []string{
		"FROM node:26-trixie-slim",
		`amd64) qemu="qemu-system-x86 ovmf"`,
		`arm64) qemu="qemu-system-arm qemu-efi-aarch64"`,
		`ENTRYPOINT ["fetchd", "sync", "--best-effort", "--"]`,
		`CMD ["node", "server.js"]`,
		"COPY deploy/backend/package.json deploy/backend/package-lock.json ./",
	} {
		if !strings.Contains(be, want) {
			t.Errorf("backend.Dockerfile lacks %q", want)
		}
	}
	for _, f := range []string{"backend/server.js", "backend/package.json", "backend/package-lock.json"} {
		if _, err := os.Stat(f); err != nil {
			t.Error(err)
		}
	}
}
