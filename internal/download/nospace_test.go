package download

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// smallFS mounts a 1 MiB tmpfs for the test, or skips when this process
// may not mount (not root, or no CAP_SYS_ADMIN). TestFailNoSpace covers the
// same path without a mount.
func smallFS(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := unix.Mount("tmpfs", dir, "tmpfs", 0, "size=1m,mode=0700"); err != nil {
		t.Skipf("cannot mount a small tmpfs here: %v", err)
	}
	t.Cleanup(func() {
		if err := unix.Unmount(dir, unix.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	return dir
}

func TestDownloadNoSpace(t *testing.T) {
	t.Parallel()
	data := randomBytes(testSize, 12)
	tests := map[string]struct {
		size int64
		gets int64
	}{
		"size known: refused before the request": {size: testSize, gets: 0},
		"size unknown: the write fails":          {size: 0, gets: 1},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			eachMode(t, func(t *testing.T, conns int) {
				dir := filepath.Join(smallFS(t), "partial")
				if err := os.Mkdir(dir, 0o700); err != nil {
					t.Fatal(err)
				}
				srv := newServer(t, false, serve(data))
				req := Request{URL: srv.URL + "/image.qcow2", PartialDir: dir, Digest: digestOfBytes(data), Size: tc.size, MaxSize: 1 << 30, Connections: conns}
				_, err := newDL(srv.policy()).Download(t.Context(), req)
				var ns *NoSpaceError
				if !errors.As(err, &ns) || ns.Dir != dir {
					t.Fatalf("Download = %v, want *NoSpaceError for %s", err, dir)
				}
				if !strings.Contains(err.Error(), "no space left in "+dir) {
					t.Errorf("message %q", err)
				}
				if got := srv.gets.Load(); got != tc.gets {
					t.Errorf("server saw %d GETs, want %d", got, tc.gets)
				}
				if names := dirEntries(t, dir); len(names) != 0 {
					t.Errorf("partial directory holds %q after ENOSPC, want nothing", names)
				}
			})
		})
	}
}
