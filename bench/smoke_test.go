// Package bench holds the benchmark scripts (run.sh, serve-load.sh,
// overlays.sh, fleet.sh), their Go helpers and bench/ui. This test runs
// each at toy sizes to see that it still works end to end: real nginx,
// curl, aria2c, qemu-img, hyperfine, strace, docker-registry and
// Chromium, as a person running it would. BENCH_SMOKE=1 tells the scripts the figures mean
// nothing, so no ratio and nothing else that depends on time is checked;
// what is checked is that each script finishes and prints its table.
//
// The tests skip without the tools; FETCHD_REQUIRE_BENCH=1 (CI) makes
// them fail instead.
package bench

import (
	"context"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

const requireEnv = "FETCHD_REQUIRE_BENCH"

// need skips (fails with FETCHD_REQUIRE_BENCH=1) unless every tool is on
// PATH.
func need(t *testing.T, tools ...string) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: the bench scripts take a minute or more")
	}
	var missing []string
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, tool)
		}
	}
	if len(missing) == 0 {
		return
	}
	if os.Getenv(requireEnv) == "1" {
		t.Fatalf("the bench scripts need %s (%s=1)", strings.Join(missing, ", "), requireEnv)
	}
	t.Skipf("the bench scripts need %s", strings.Join(missing, ", "))
}

// ports returns n loopback ports that were free a moment ago.
func ports(t *testing.T, n int) []string {
	t.Helper()
	var out []string
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, strconv.Itoa(ln.Addr().(*net.TCPAddr).Port))
		ln.Close()
	}
	return out
}

// run runs a script with env added and returns its stdout; the results
// file it writes goes to a temporary directory.
func run(t *testing.T, script string, env ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", script)
	// Past the deadline, SIGTERM: the script's exit trap stops its nginx
	// and removes its work directory.
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 30 * time.Second
	cmd.Env = append(os.Environ(), append([]string{"BENCH_SMOKE=1", "BENCH_OUT=" + t.TempDir()}, env...)...)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: %v\nstdout:\n%s\nstderr:\n%s", script, err, stdout.String(), tail(stderr.String(), 40))
	}
	return stdout.String()
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

func wantLines(t *testing.T, script, out string, lines ...string) {
	t.Helper()
	for _, l := range lines {
		if !strings.Contains(out, l) {
			t.Errorf("%s printed no %q:\n%s", script, l, out)
		}
	}
}

func TestRunScript(t *testing.T) {
	need(t, "nginx", "curl", "qemu-img", "sha256sum", "bc", "aria2c", "strace")
	p := ports(t, 4)
	out := run(t, "run.sh", "SIZE_MIB=16", "PAR_MIB=4", "RUNS=1", "NOOP_RUNS=2", "THROTTLE_RUNS=1",
		"FAST_PORT="+p[0], "CAPPED_PORT="+p[1], "SLOW_PORT="+p[2], "MIRROR_PORT="+p[3])
	wantLines(t, "run.sh", out, "| no-op sync --offline |", "| image bytes read by a no-op sync | 0 opens of image files", "Last mirrors run, who served what:")
}

func TestServeLoadScript(t *testing.T) {
	need(t, "nginx", "qemu-img", "sha256sum")
	p := ports(t, 2)
	out := run(t, "serve-load.sh", "SIZE_MIB=16", "RUNS=1", "IDLE=1s", "SERVERS=capped", "CLIENTS=20", "RPS=100",
		"FAST_PORT="+p[0], "CAPPED_PORT="+p[1])
	// No request failed and the service stopped cleanly: neither depends
	// on time.
	wantLines(t, "serve-load.sh", out, "### capped server", "| GET /v1/images latency during the download", " 0 errors,",
		"| exit codes after SIGTERM | 0, 0 |")
}

func TestOverlaysScript(t *testing.T) {
	need(t, "nginx", "curl", "qemu-img", "hyperfine", "strace", "jq")
	out := run(t, "overlays.sh", "OVERLAYS=4", "RUNS=3", "PORT="+ports(t, 1)[0])
	// The count of image files a no-op sync opens does not depend on time.
	wantLines(t, "overlays.sh", out, "| with 4 overlays in the overlay directory |", "| image files opened (names, builds, overlays; strace -f -e openat) | 0 |")
}

func TestFleetScript(t *testing.T) {
	need(t, "nginx", "curl", "qemu-img", "docker-registry")
	out := run(t, "fleet.sh", "CONSUMERS=2", "MIB=4", "CAP=50m", "PORT="+ports(t, 1)[0])
	wantLines(t, "fleet.sh", out, "| measurement | time | image bytes upstream served |", "ratios: fleet / sequential direct = ")
}

func TestUIBench(t *testing.T) {
	need(t, "chromium")
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "run", "./ui", "-runs", "2", "-warmup", "1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go run ./bench/ui: %v\n%s", err, out)
	}
	// The page, the signed-in page with the image list's three cards, and
	// the weight: rows that do not depend on time.
	wantLines(t, "bench/ui", string(out), "| first render (first-contentful-paint, median of 2 first visits, after 1) |",
		"| signed in, the image list (3 cards) in place,", "| transferred, page and every asset (")
}
