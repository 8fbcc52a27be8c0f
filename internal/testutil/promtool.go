package testutil

import (
	"bytes"
	"os"
	"os/exec"
	"testing"
)

// RequirePromtoolEnv turns a missing promtool (Debian's prometheus
// package) from a skipped test into a failed one.
const RequirePromtoolEnv = "FETCHD_REQUIRE_PROMTOOL"

// RequirePromtool returns promtool's path, or skips the test (fails it
// with FETCHD_REQUIRE_PROMTOOL=1) when it is not installed.
func RequirePromtool(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv(RequirePromtoolEnv) == "1" {
			t.Fatalf("promtool is required (%s=1): %v; install it (apt-get install prometheus)", RequirePromtoolEnv, err)
		}
		t.Skipf("promtool not found (%v); install prometheus to run this test", err)
	}
	return p
}

// CheckMetrics runs `promtool check metrics` on a metrics exposition and
// fails the test with what it says when it finds a problem.
func CheckMetrics(t testing.TB, exposition []byte) {
	t.Helper()
	cmd := exec.Command(RequirePromtool(t), "check", "metrics")
	cmd.Stdin = bytesReader(exposition)
	out, err := cmd.CombinedOutput()
	if err != nil || len(out) > 0 {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }
