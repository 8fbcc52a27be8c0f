package qemuimg

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// fakeRoot holds fake qemu-img scripts, one directory each. They are all
// written in TestMain, before any test forks, so no exec can hit ETXTBSY
// from a write descriptor inherited by a concurrent fork.
var fakeRoot string

const cleanInfo = `{"format": "qcow2", "virtual-size": 1048576, "filename": "x"}`

// fakes are shell scripts standing in for qemu-img. $D is the script's own
// directory, where it may leave files for the test to read.
var fakes = map[string]string{
	// Hangs, with a child in the same process group.
	"hang": `sleep 1000 &
echo $! > "$D/child"
echo $$ > "$D/pid"
wait`,
	// Records what it got, then answers like qemu-img info.
	"record-tool":    record + "echo '" + cleanInfo + "'",
	"record-syscall": waitForLimit + record + "echo '" + cleanInfo + "'",
	"exit1":          `echo "qemu-img: Could not open '$5': Image is not in qcow2 format" >&2; exit 1`,
	"big-stdout":     `head -c 2000000 /dev/zero | tr '\0' ' '; echo '` + cleanInfo + `'`,
	"big-stderr":     `head -c 200000 /dev/zero | tr '\0' 'e' >&2; exit 1`,
	"xcpu":           `kill -XCPU $$`,
	// Needs ~100 MB: fine unlimited, fatal under a 64 MiB address space.
	"memhog":         `x=$(head -c 100000000 /dev/zero | tr '\0' a); echo '` + cleanInfo + `'`,
	"info-backing":   `echo '{"format": "qcow2", "virtual-size": 1, "backing-filename": "/etc/shadow"}'`,
	"info-garbage":   `echo 'not json'`,
	"info-qcow2":     `echo '{"format": "qcow2", "virtual-size": 1}'`,
	"check-clean":    `echo '{"format": "qcow2", "check-errors": 0}'`,
	"check-leaks":    `echo '{"format": "qcow2", "check-errors": 0, "leaks": 2}'; exit 3`,
	"check-corrupt":  `echo '{"format": "qcow2", "check-errors": 0, "corruptions": 5}'; echo 'ERROR cluster 5 refcount=0 reference=1' >&2; exit 2`,
	"check-63":       `echo 'qemu-img: This image format does not support checks' >&2; exit 63`,
	"check-1":        `echo 'qemu-img: Could not open' >&2; exit 1`,
	"check-4":        `exit 4`,
	"check-0-leaks":  `echo '{"format": "qcow2", "check-errors": 0, "leaks": 2}'`,
	"check-3-clean":  `echo '{"format": "qcow2", "check-errors": 0}'; exit 3`,
	"check-0-errors": `echo '{"format": "qcow2", "check-errors": 1}'`,
	"check-0-raw":    `echo '{"format": "raw", "check-errors": 0}'`,
	"check-0-empty":  `exit 0`,
}

// record writes the arguments, environment, working directory and limits.
const record = `printf '%s\n' "$@" > "$D/args"
env > "$D/env"
pwd > "$D/pwd"
cat /proc/$$/limits > "$D/limits"
`

// waitForLimit waits (bounded) until the runner has applied RLIMIT_CPU=7
// with prlimit(2): without prlimit(1) the limits land just after start.
const waitForLimit = `i=0
while [ $i -lt 200 ] && ! grep -q '^Max cpu time  *7  *7 ' /proc/$$/limits; do sleep 0.05; i=$((i+1)); done
`

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "qemuimg-fakes-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	fakeRoot = dir
	for name, body := range fakes {
		d := filepath.Join(dir, name)
		script := "#!/bin/sh\nD='" + d + "'\n" + body + "\n"
		if err := os.Mkdir(d, 0o700); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		if err := os.WriteFile(filepath.Join(d, "qemu-img"), []byte(script), 0o700); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	return m.Run()
}

func fake(name string) string { return filepath.Join(fakeRoot, name, "qemu-img") }

func fakeFile(t *testing.T, name, file string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fakeRoot, name, file))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestRunnerTimeoutKillsProcessGroup(t *testing.T) {
	t.Parallel()
	r := &Runner{Path: fake("hang"), Timeout: 2 * time.Second}
	_, err := r.Info(t.Context(), "/nonexistent/img.qcow2", "qcow2")
	ce, ok := errors.AsType[*CommandError](err)
	if !ok || !ce.TimedOut {
		t.Fatalf("Info = %v, want a timed-out *CommandError", err)
	}
	if !strings.Contains(err.Error(), "timed out after 2s") {
		t.Errorf("error %q does not say it timed out", err)
	}
	for _, f := range []string{"pid", "child"} {
		pid, err := strconv.Atoi(strings.TrimSpace(fakeFile(t, "hang", f)))
		if err != nil {
			t.Fatal(err)
		}
		waitGone(t, pid)
	}
}

// waitGone fails the test unless pid is gone or a zombie, waiting a
// bounded while for the kernel to finish killing it.
func waitGone(t *testing.T, pid int) {
	t.Helper()
	for range 500 {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			return
		}
		if _, rest, ok := strings.Cut(string(b), ") "); ok && strings.HasPrefix(rest, "Z") {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	_ = syscall.Kill(pid, syscall.SIGKILL)
	t.Errorf("process %d survived the timeout", pid)
}

func TestRunnerCallerCancel(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	r := &Runner{Path: fake("check-clean")}
	_, err := r.Check(ctx, "/x.qcow2", "qcow2")
	if err == nil {
		t.Fatal("Check with a canceled context succeeded")
	}
}

func TestRunnerLimitsArgsEnv(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("prlimit"); err != nil {
		t.Skip("prlimit(1) not installed; the syscall fallback is tested below")
	}
	testRecord(t, "record-tool", false)
}

func TestRunnerLimitsFallback(t *testing.T) {
	t.Parallel()
	testRecord(t, "record-syscall", true)
}

func testRecord(t *testing.T, name string, fallback bool) {
	t.Helper()
	r := &Runner{Path: fake(name), CPUSeconds: 7, AddressSpace: 512 << 20, noPrlimitTool: fallback}
	// A relative path must reach qemu-img as an absolute one.
	info, err := r.Info(t.Context(), "img.qcow2", "qcow2")
	if err != nil {
		t.Fatal(err)
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	abs := filepath.Join(wd, "img.qcow2")
	if info.Filename != abs {
		t.Errorf("Filename = %q, want %q", info.Filename, abs)
	}
	args := strings.Split(strings.TrimSuffix(fakeFile(t, name, "args"), "\n"), "\n")
	if diff := cmp.Diff([]string{"info", "--output=json", "-f", "qcow2", abs}, args); diff != "" {
		t.Errorf("args (-want +got):\n%s", diff)
	}
	limits := parseLimits(t, fakeFile(t, name, "limits"))
	want := map[string]string{"Max cpu time": "7 7", "Max address space": "536870912 536870912"}
	for k, v := range want {
		if limits[k] != v {
			t.Errorf("%s = %q, want %q", k, limits[k], v)
		}
	}
	env := fakeFile(t, name, "env")
	for _, line := range strings.Split(strings.TrimSpace(env), "\n") {
		k, _, _ := strings.Cut(line, "=")
		switch k {
		case "PATH", "LC_ALL", "PWD", "SHLVL", "_", "OLDPWD":
		default:
			t.Errorf("unexpected environment variable %q in the child", line)
		}
	}
	if !strings.Contains(env, "LC_ALL=C\n") {
		t.Errorf("environment lacks LC_ALL=C:\n%s", env)
	}
	if pwd := strings.TrimSpace(fakeFile(t, name, "pwd")); pwd != "/" {
		t.Errorf("working directory %q, want /", pwd)
	}
}

// parseLimits maps "Max cpu time" to "7 7" (soft, hard) from
// /proc/<pid>/limits.
func parseLimits(t *testing.T, s string) map[string]string {
	t.Helper()
	out := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		line := sc.Text()
		if len(line) < 26 || !strings.HasPrefix(line, "Max ") {
			continue
		}
		fields := strings.Fields(line[26:])
		if len(fields) >= 2 {
			out[strings.TrimSpace(line[:26])] = fields[0] + " " + fields[1]
		}
	}
	return out
}

func TestRunnerAddressSpaceLimitStopsMemoryHog(t *testing.T) {
	t.Parallel()
	r := &Runner{Path: fake("memhog"), AddressSpace: 64 << 20}
	_, err := r.Info(t.Context(), "/img.qcow2", "qcow2")
	if _, ok := errors.AsType[*CommandError](err); !ok {
		t.Fatalf("Info = %v, want a *CommandError: the 64 MiB limit was not applied", err)
	}
}

func TestRunnerFailures(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		fake string
		want []string // substrings of the error
	}{
		"exit 1 with stderr": {"exit1", []string{
			"/exit1/qemu-img info --output=json -f qcow2 /img.qcow2: exit code 1: qemu-img: Could not open '/img.qcow2': Image is not in qcow2 format",
		}},
		"stdout over 1 MiB": {"big-stdout", []string{"stdout larger than 1048576 bytes"}},
		"stderr bounded":    {"big-stderr", []string{"exit code 1", "[stderr truncated at 65536 bytes]"}},
		"killed by signal":  {"xcpu", []string{"killed by SIGXCPU (cpu time limit reached)"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r := &Runner{Path: fake(tc.fake)}
			_, err := r.Info(t.Context(), "/img.qcow2", "qcow2")
			ce, ok := errors.AsType[*CommandError](err)
			if !ok {
				t.Fatalf("Info = %v (%T), want a *CommandError", err, err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if len(ce.Stderr) > MaxStderr+100 {
				t.Errorf("stderr kept %d bytes", len(ce.Stderr))
			}
		})
	}
}

func TestRunnerInfoRefusesAndParses(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		fake    string
		format  string
		refused bool
		want    string
	}{
		"backing file":   {"info-backing", "qcow2", true, `/img.qcow2: qemu-img info: backing file "/etc/shadow"`},
		"unparsable":     {"info-garbage", "qcow2", false, "/img.qcow2: parse qemu-img info output"},
		"format not raw": {"info-qcow2", "raw", true, `format is "qcow2", want "raw"`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r := &Runner{Path: fake(tc.fake)}
			_, err := r.Info(t.Context(), "/img.qcow2", tc.format)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Info = %v, want an error containing %q", err, tc.want)
			}
			if _, ok := errors.AsType[*RefusedError](err); ok != tc.refused {
				t.Errorf("*RefusedError = %v, want %v (%v)", ok, tc.refused, err)
			}
		})
	}
}

func TestRunnerCheckExitCodes(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		fake    string
		format  string
		status  CheckStatus // accepted when non-empty
		refused bool        // *RefusedError, else *CommandError
		want    string
	}{
		"clean":                          {fake: "check-clean", format: "qcow2", status: CheckClean},
		"leaks only":                     {fake: "check-leaks", format: "qcow2", status: CheckLeaks},
		"raw has no check":               {fake: "check-63", format: "raw", status: CheckUnsupported},
		"corrupt":                        {fake: "check-corrupt", format: "qcow2", refused: true, want: "qemu-img check: image is corrupt (5 corruptions): "},
		"qcow2 claiming no check":        {fake: "check-63", format: "qcow2", want: "exit code 63: qemu-img says format qcow2 has no check"},
		"could not check":                {fake: "check-1", format: "qcow2", want: "exit code 1: qemu-img: Could not open"},
		"unknown exit code":              {fake: "check-4", format: "qcow2", want: "exit code 4"},
		"exit 0 with leaks":              {fake: "check-0-leaks", format: "qcow2", want: "2 leaks reported with exit code 0"},
		"exit 3 without leaks":           {fake: "check-3-clean", format: "qcow2", want: "0 leaks reported with exit code 3"},
		"exit 0 with check errors":       {fake: "check-0-errors", format: "qcow2", want: "1 check errors"},
		"exit 0 checking another format": {fake: "check-0-raw", format: "qcow2", want: `checked format "raw", want "qcow2"`},
		"exit 0 without output":          {fake: "check-0-empty", format: "qcow2", want: "parse qemu-img check output"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r := &Runner{Path: fake(tc.fake)}
			c, err := r.Check(t.Context(), "/img.qcow2", tc.format)
			if tc.status != "" {
				if err != nil {
					t.Fatal(err)
				}
				if c.Status != tc.status || c.Filename != "/img.qcow2" {
					t.Errorf("Status, Filename = %q, %q; want %q, /img.qcow2", c.Status, c.Filename, tc.status)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Check = %+v, %v; want an error containing %q", c, err, tc.want)
			}
			if _, ok := errors.AsType[*RefusedError](err); ok != tc.refused {
				t.Errorf("*RefusedError = %v, want %v", ok, tc.refused)
			}
			if _, ok := errors.AsType[*CommandError](err); !ok {
				t.Errorf("error %v does not carry the *CommandError", err)
			}
		})
	}
}

func TestRunnerNotInstalled(t *testing.T) {
	t.Parallel()
	r := &Runner{Path: filepath.Join(t.TempDir(), "qemu-img")}
	_, err := r.Check(t.Context(), "/img.qcow2", "qcow2")
	if _, ok := errors.AsType[*NotInstalledError](err); !ok {
		t.Fatalf("Check = %v, want a *NotInstalledError", err)
	}
	if !strings.Contains(err.Error(), "install qemu-utils (apt-get install qemu-utils)") {
		t.Errorf("error %q lacks the install hint", err)
	}
}

func TestRunnerRefusesBadArguments(t *testing.T) {
	t.Parallel()
	r := &Runner{Path: fake("check-clean")}
	for _, f := range []string{"", "vmdk", "qcow2,file.driver=nbd", "-f"} {
		if _, err := r.Check(t.Context(), "/img", f); err == nil {
			t.Errorf("Check accepted format %q", f)
		}
		if _, err := r.Info(t.Context(), "/img", f); err == nil {
			t.Errorf("Info accepted format %q", f)
		}
	}
	if _, err := r.Check(t.Context(), "", "qcow2"); err == nil {
		t.Error("Check accepted an empty path")
	}
}
