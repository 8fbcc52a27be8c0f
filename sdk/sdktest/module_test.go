package sdktest_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestAModuleAtItsRoot builds and tests a plugin laid out as the guide
// says: `go mod init example.com/fetchd-plugin-mylab`, the source package
// at the module root, its tests calling sdktest.Main and sdktest.Run. go
// test names that binary fetchd-plugin-mylab.test; the kit must run its
// tests, and serve the source when Run starts it as fetchd-plugin-mylab.
func TestAModuleAtItsRoot(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a module")
	}
	t.Parallel()
	_, here, _, _ := runtime.Caller(0)
	repo := filepath.Clean(filepath.Join(filepath.Dir(here), "..", ".."))
	dir := filepath.Join(t.TempDir(), "fetchd-plugin-mylab")
	sum, err := os.ReadFile(filepath.Join(repo, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"go.mod": "module example.com/fetchd-plugin-mylab\n\ngo 1.26\n\nrequire github.com/sandlabx/fetchd v0.0.0\n\nreplace github.com/sandlabx/fetchd => " + repo + "\n",
		"go.sum": string(sum),
		"mylab.go": `package mylab

import (
	"context"
	"fmt"

	"github.com/sandlabx/fetchd/sdk"
)

type Source struct{}

func (Source) Describe() sdk.Description {
	return sdk.Description{Name: "mylab", Summary: "a lab", Version: "0.1.0",
		Releases: []sdk.Release{{Name: "1"}}, Arches: []sdk.Arch{{Name: "amd64"}},
		DefaultBaseURL: "https://lab.example.com", DefaultRelease: "1"}
}

func (Source) Resolve(ctx context.Context, req sdk.ResolveRequest) (sdk.Artifact, error) {
	return sdk.Artifact{}, fmt.Errorf("%s has nothing yet: %w", req.BaseURL, sdk.ErrNotFound)
}
`,
		"mylab_test.go": `package mylab_test

import (
	"testing"

	mylab "example.com/fetchd-plugin-mylab"
	"github.com/sandlabx/fetchd/sdk"
	"github.com/sandlabx/fetchd/sdk/sdktest"
)

func TestMain(m *testing.M) { sdktest.Main(m, mylab.Source{}) }

func TestConformance(t *testing.T) {
	sdktest.Run(t, mylab.Source{}, sdktest.Case{Name: "nothing yet", BaseURL: "http://127.0.0.1:1", WantErr: sdk.ErrNotFound})
}
`,
	}
	for name, content := range files {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.CommandContext(t.Context(), "go", "test", "-count=1", "-v", "-run", "TestConformance", ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go test in a module at its root: %v\n%s", err, out)
	}
	for _, want := range []string{"--- PASS: TestConformance/started_by_hand", "--- PASS: TestConformance/nothing_yet", "ok  \texample.com/fetchd-plugin-mylab"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
