package api

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMain lets the test binary act as an API client run as another user
// (FETCHD_API_TEST_CLIENT=<socket>): it prints the status of GET /healthz,
// or the error connecting.
func TestMain(m *testing.M) {
	if sock := os.Getenv("FETCHD_API_TEST_CLIENT"); sock != "" {
		fmt.Print(socketGet(sock, "/healthz"))
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func socketClient(sock string) *http.Client {
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", sock)
		},
	}}
}

func socketGet(sock, path string) string {
	resp, err := socketClient(sock).Get("http://localhost" + path)
	if err != nil {
		return "error: " + err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return fmt.Sprintf("%d %s", resp.StatusCode, strings.TrimSpace(string(body)))
}

// sharedDir makes a directory other users can traverse (t.TempDir is
// 0700), removed at the end of the test.
func sharedDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "fetchd-api-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func serveSocket(t *testing.T, path string) *Server {
	t.Helper()
	ln, err := ListenUnix(path)
	if err != nil {
		t.Fatal(err)
	}
	s := New(newFake(), Options{})
	s.Access().Set(testToken, false)
	go s.Serve(ln, UnixSocket)
	t.Cleanup(func() { s.Shutdown(context.Background()) })
	return s
}

func TestSocketMode(t *testing.T) {
	t.Parallel()
	sock := filepath.Join(t.TempDir(), "api.sock")
	serveSocket(t, sock)
	fi, err := os.Lstat(sock)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Type() != os.ModeSocket || fi.Mode().Perm() != 0o600 {
		t.Errorf("socket mode %v, want a socket with 0600", fi.Mode())
	}
	if got := socketGet(sock, "/v1/images"); !strings.HasPrefix(got, "200 ") {
		t.Errorf("own uid, read without a token: %s", got)
	}
	if got := socketGet(sock, "/v1/jobs/1"); !strings.HasPrefix(got, "200 ") {
		t.Errorf("own uid, read a job: %s", got)
	}
	// A second service on the same socket is refused; the first keeps it.
	if _, err := ListenUnix(sock); err == nil || !strings.Contains(err.Error(), "another fetchd serve is listening") {
		t.Errorf("second listener: %v", err)
	}
}

func TestSocketStaleAndForeign(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	stale := filepath.Join(dir, "stale.sock")
	l, err := net.Listen("unix", stale)
	if err != nil {
		t.Fatal(err)
	}
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	l.Close()
	ln, err := ListenUnix(stale)
	if err != nil {
		t.Fatalf("a stale socket should be replaced: %v", err)
	}
	ln.Close()
	if _, err := os.Lstat(stale); !os.IsNotExist(err) {
		t.Errorf("closing the listener left the socket: %v", err)
	}
	file := filepath.Join(dir, "file")
	os.WriteFile(file, []byte("x"), 0o600)
	if _, err := ListenUnix(file); err == nil || !strings.Contains(err.Error(), "something else is there") {
		t.Errorf("a regular file at the socket path: %v", err)
	}
	if data, _ := os.ReadFile(file); string(data) != "x" {
		t.Error("the file at the socket path was touched")
	}
}

// TestSocketOtherUID runs a client as nobody: the socket's mode keeps it
// out; with the mode opened (a mistake, or a directory another user can
// write), SO_PEERCRED still refuses it with 403.
func TestSocketOtherUID(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root to run a client as another uid")
	}
	dir := sharedDir(t)
	sock := filepath.Join(dir, "api.sock")
	serveSocket(t, sock)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "client")
	data, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	asNobody := func() string {
		cmd := exec.Command(bin)
		cmd.Env = []string{"FETCHD_API_TEST_CLIENT=" + sock}
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("client as nobody: %v\n%s", err, out)
		}
		return string(out)
	}
	if got := asNobody(); !strings.Contains(got, "permission denied") {
		t.Errorf("nobody connecting to the 0600 socket: %s, want permission denied", got)
	}
	if err := os.Chmod(sock, 0o666); err != nil {
		t.Fatal(err)
	}
	got := asNobody()
	if !strings.HasPrefix(got, "403 ") || !strings.Contains(got, "another uid") {
		t.Errorf("nobody on an opened socket: %s, want 403 naming the uid check", got)
	}
}
