package testutil

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

// RequireQemuEnv is the environment variable that turns a missing qemu-img
// from a skipped test into a failed one.
const RequireQemuEnv = "FETCHD_REQUIRE_QEMU"

// RequireQemuImg returns the absolute path of qemu-img. When qemu-img is not
// on PATH it skips the test, or fails it when FETCHD_REQUIRE_QEMU=1.
func RequireQemuImg(t testing.TB) string {
	t.Helper()
	return requireTool(t, "qemu-img")
}

// RequireQemuIO returns the absolute path of qemu-io (shipped with qemu-img
// in qemu-utils), with the same skip-or-fail rule as RequireQemuImg.
func RequireQemuIO(t testing.TB) string {
	t.Helper()
	return requireTool(t, "qemu-io")
}

func requireTool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		p, err = filepath.Abs(p)
	}
	if err != nil {
		if os.Getenv(RequireQemuEnv) == "1" {
			t.Fatalf("%s is required (%s=1) but not usable: %v; install qemu-utils (apt-get install qemu-utils)", name, RequireQemuEnv, err)
		}
		t.Skipf("%s not found (%v); install qemu-utils to run this test", name, err)
	}
	return p
}

// RunQemuImg runs the real qemu-img with args and fails the test when it
// does not exit 0. It returns the combined output.
func RunQemuImg(t testing.TB, args ...string) string {
	t.Helper()
	bin := RequireQemuImg(t)
	var out []byte
	var err error
	for range 3 {
		out, err = exec.CommandContext(t.Context(), bin, args...).CombinedOutput()
		// Creating a LUKS image times PBKDF2 on the CPU, and qemu-img gives
		// up with this message when the clock tells it nothing useful
		// (seen on a loaded machine): a property of the machine, not of
		// the command, so try again.
		if err == nil || !bytes.Contains(out, []byte("Unable to get accurate CPU usage")) {
			break
		}
	}
	if err != nil {
		t.Fatalf("qemu-img %q: %v\n%s", args, err, out)
	}
	return string(out)
}

// MakeQcow2 creates dir/name with `qemu-img create -f qcow2 [extraArgs...]
// <path> <sizeMB>M` and returns its absolute path. Extra arguments go before
// the file name, e.g. "-o", "compat=0.10".
func MakeQcow2(t testing.TB, dir, name string, sizeMB int, extraArgs ...string) string {
	t.Helper()
	return MakeImage(t, "qcow2", dir, name, sizeMB, extraArgs...)
}

// MakeImage creates dir/name with `qemu-img create -f <format>
// [extraArgs...] <path> <sizeMB>M` and returns its absolute path.
func MakeImage(t testing.TB, format, dir, name string, sizeMB int, extraArgs ...string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	args := append([]string{"create", "-q", "-f", format}, extraArgs...)
	args = append(args, p, strconv.Itoa(sizeMB)+"M")
	RunQemuImg(t, args...)
	return p
}

// WriteQemuIO runs `qemu-io -f <format> -c <cmd> <path>` for each command,
// e.g. "write -P 0xab 0 64k", and fails the test on error.
func WriteQemuIO(t testing.TB, format, path string, cmds ...string) {
	t.Helper()
	bin := RequireQemuIO(t)
	args := []string{"-f", format}
	for _, c := range cmds {
		args = append(args, "-c", c)
	}
	args = append(args, path)
	out, err := exec.CommandContext(t.Context(), bin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("qemu-io %q: %v\n%s", args, err, out)
	}
}
