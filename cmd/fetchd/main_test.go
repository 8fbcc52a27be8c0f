package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain lets the test binary act as the fetchd command inside scripts
// (and as fetchd's own built-in plugin processes, which re-execute it).
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){"fetchd": main})
}

var (
	buildOnce   sync.Once
	buildDir    string
	buildErr    error
	buildOutput []byte
)

// examplePlugins builds the example third-party plugin once per test run
// and returns the directory holding it.
func examplePlugins(t testing.TB) string {
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "fetchd-example-plugins-")
		if buildErr != nil {
			return
		}
		cmd := exec.Command("go", "build", "-o", buildDir, "../../examples/inhouse/cmd/fetchd-plugin-inhouse")
		buildOutput, buildErr = cmd.CombinedOutput()
	})
	if buildErr != nil {
		t.Fatalf("building the example plugin: %v\n%s", buildErr, buildOutput)
	}
	return buildDir
}

func TestScripts(t *testing.T) {
	plugins := examplePlugins(t)
	t.Cleanup(func() { os.RemoveAll(plugins) })
	testscript.Run(t, testscript.Params{
		Dir: filepath.Join("testdata", "script"),
		Setup: func(env *testscript.Env) error {
			env.Setenv("EXAMPLE_PLUGINS", plugins)
			return nil
		},
		Cmds: scriptCommands,
		Condition: func(cond string) (bool, error) {
			switch cond {
			case "qemu":
				// Scripts that need qemu-img say [!qemu] skip; CI sets
				// FETCHD_REQUIRE_QEMU=1 and a missing qemu-img fails instead.
				_, err := exec.LookPath("qemu-img")
				if err != nil && os.Getenv("FETCHD_REQUIRE_QEMU") == "1" {
					return false, fmt.Errorf("qemu-img is required (FETCHD_REQUIRE_QEMU=1): %v", err)
				}
				return err == nil, nil
			case "root":
				// Scripts that act as another user (setpriv) need root.
				_, err := exec.LookPath("setpriv")
				return os.Geteuid() == 0 && err == nil, nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
	})
}
