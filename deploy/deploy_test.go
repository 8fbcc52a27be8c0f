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

	"github.com/sandlabx/fetchd/internal/config"
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

// TestComposeSidecar: fetchd serve runs as its own service on the shared
// volume with a readiness healthcheck, and the backend starts once it is
// healthy, with the API's address and the token.
func TestComposeSidecar(t *testing.T) {
	t.Parallel()
	var c struct {
		Services map[string]struct {
			Command     []string `yaml:"command"`
			Environment map[string]string
			Volumes     []string `yaml:"volumes"`
			Secrets     []string `yaml:"secrets"`
			Healthcheck struct {
				Test []string `yaml:"test"`
			} `yaml:"healthcheck"`
			DependsOn map[string]struct {
				Condition string `yaml:"condition"`
			} `yaml:"depends_on"`
		} `yaml:"services"`
		Secrets map[string]struct {
			File string `yaml:"file"`
		} `yaml:"secrets"`
	}
	if err := yaml.Unmarshal([]byte(read(t, "compose.yaml")), &c); err != nil {
		t.Fatal(err)
	}
	f, b := c.Services["fetchd"], c.Services["backend"]
	if strings.Join(f.Command, " ") != "serve --listen 0.0.0.0:8080" {
		t.Errorf("fetchd runs %q, want serve --listen 0.0.0.0:8080", f.Command)
	}
	if strings.Join(f.Healthcheck.Test, " ") != "CMD fetchd health --ready" {
		t.Errorf("fetchd's healthcheck %q, want fetchd health --ready", f.Healthcheck.Test)
	}
	if b.DependsOn["fetchd"].Condition != "service_healthy" {
		t.Errorf("backend depends_on %v, want fetchd: service_healthy", b.DependsOn)
	}
	for name, s := range map[string][]string{"fetchd": f.Volumes, "backend": b.Volumes} {
		if !slicesContains(s, "./images:/images:rw") {
			t.Errorf("%s does not share ./images as /images: %v", name, s)
		}
	}
	if c.Secrets["fetchd_token"].File == "" || !slicesContains(f.Secrets, "fetchd_token") || !slicesContains(b.Secrets, "fetchd_token") {
		t.Errorf("the token is not a secret both services get: %v %v %v", c.Secrets, f.Secrets, b.Secrets)
	}
	if b.Environment["FETCHD_API"] != "http://fetchd:8080" || b.Environment["FETCHD_TOKEN_FILE"] != "/run/secrets/fetchd_token" {
		t.Errorf("backend environment %v, want the API's address and the token file", b.Environment)
	}
	cfg := read(t, "fetchd.yaml")
	if !strings.Contains(cfg, "token_file: /run/secrets/fetchd_token") || f.Environment["FETCHD_CONFIG"] != "/etc/fetchd/fetchd.yaml" {
		t.Errorf("fetchd's config does not take the token from the secret")
	}
	js := read(t, "backend/server.js")
	for _, want := range []string{"process.env.FETCHD_API", `"/v1/images"`, `"Bearer " + token`} {
		if !strings.Contains(js, want) {
			t.Errorf("backend/server.js lacks %s", want)
		}
	}
}

func slicesContains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// TestSidecarConfig: fetchd.yaml is a config fetchd loads (with the token
// file where the secret would be).
func TestSidecarConfig(t *testing.T) {
	t.Parallel()
	tok := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tok, []byte(strings.Repeat("ab", 32)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	data := strings.Replace(read(t, "fetchd.yaml"), "/run/secrets/fetchd_token", tok, 1)
	c, err := config.Parse("fetchd.yaml", []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	if c.Dir != "/images" || c.API.TokenFile != tok || len(c.Images) != 3 || c.SocketPath() != "/images/.fetchd/run/api.sock" {
		t.Errorf("config: dir %s, token file %s, %d images, socket %s", c.Dir, c.API.TokenFile, len(c.Images), c.SocketPath())
	}
}
