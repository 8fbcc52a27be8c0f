package download

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// CheckFreeSpace returns a *NoSpaceError if dir's filesystem has fewer than
// need bytes available to an unprivileged writer.
func CheckFreeSpace(dir string, need int64) error {
	free, err := freeSpace(dir)
	if err != nil {
		return err
	}
	if need > free {
		return &NoSpaceError{Dir: dir, Need: need, Free: free}
	}
	return nil
}

func freeSpace(dir string) (int64, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return 0, fmt.Errorf("free space of %s: %w", dir, err)
	}
	return int64(st.Bavail) * int64(st.Bsize), nil
}
