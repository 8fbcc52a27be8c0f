package api

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// maxSocketPath is the longest path a Unix socket can be bound at.
const maxSocketPath = 107

// unixListener removes its socket when closed, if the socket there is
// still its own.
type unixListener struct {
	*net.UnixListener
	path string
	ino  uint64
}

// ListenUnix creates the API socket at path with mode 0600, in a directory
// that must exist. A stale socket (nobody listening) is replaced; a live
// one means another service runs on the directory, which is an error. The
// socket is bound in a fresh private directory, made 0600 and renamed into
// place, so it is never reachable with a wider mode.
func ListenUnix(path string) (net.Listener, error) {
	if err := clearStale(path); err != nil {
		return nil, err
	}
	dir := filepath.Dir(path)
	tmp, err := os.MkdirTemp(dir, "s")
	if err != nil {
		return nil, fmt.Errorf("api socket: %w", err)
	}
	defer os.RemoveAll(tmp)
	bound := filepath.Join(tmp, "s")
	if len(bound) > maxSocketPath || len(path) > maxSocketPath {
		return nil, fmt.Errorf("api socket %s: the path is too long for a Unix socket (at most %d bytes, counting a temporary name %d bytes longer); set api.socket to a shorter path", path, maxSocketPath, len(bound)-len(path))
	}
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: bound, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("api socket %s: %w", path, err)
	}
	ln.SetUnlinkOnClose(false)
	if err := os.Chmod(bound, 0o600); err != nil {
		ln.Close()
		return nil, fmt.Errorf("api socket %s: %w", path, err)
	}
	if err := os.Rename(bound, path); err != nil {
		ln.Close()
		return nil, fmt.Errorf("api socket %s: %w", path, err)
	}
	var st unix.Stat_t
	if err := unix.Lstat(path, &st); err != nil {
		ln.Close()
		return nil, fmt.Errorf("api socket %s: %w", path, err)
	}
	return &unixListener{UnixListener: ln, path: path, ino: st.Ino}, nil
}

func (l *unixListener) Close() error {
	var st unix.Stat_t
	if err := unix.Lstat(l.path, &st); err == nil && st.Ino == l.ino {
		_ = os.Remove(l.path)
	}
	return l.UnixListener.Close()
}

// clearStale removes a socket at path that nobody listens on.
func clearStale(path string) error {
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("api socket %s: %w", path, err)
	case fi.Mode().Type() != fs.ModeSocket:
		return fmt.Errorf("api socket %s: something else is there (%s); move it away", path, fi.Mode().Type())
	}
	c, err := net.DialTimeout("unix", path, time.Second)
	if err == nil {
		c.Close()
		return fmt.Errorf("api socket %s: another fetchd serve is listening there", path)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		return fmt.Errorf("api socket %s: checking whether it is in use: %w", path, err)
	}
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("api socket %s: removing the stale socket: %w", path, err)
	}
	return nil
}

// ListenTCP listens on addr. Loopback is true when the bound address is a
// loopback address, so only this machine can connect.
func ListenTCP(addr string) (ln net.Listener, loopback bool, err error) {
	ln, err = net.Listen("tcp", addr)
	if err != nil {
		return nil, false, fmt.Errorf("--listen %s: %w", addr, err)
	}
	ta, _ := ln.Addr().(*net.TCPAddr)
	return ln, ta != nil && ta.IP.IsLoopback(), nil
}

// peerUID reads the uid of the process at the other end of a Unix
// socket connection (SO_PEERCRED: the credentials it had when it
// connected; the kernel vouches for them).
func peerUID(c *net.UnixConn) (int, error) {
	raw, err := c.SyscallConn()
	if err != nil {
		return -1, err
	}
	var cred *unix.Ucred
	var credErr error
	if err := raw.Control(func(fd uintptr) {
		cred, credErr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	}); err != nil {
		return -1, err
	}
	if credErr != nil {
		return -1, credErr
	}
	return int(cred.Uid), nil
}
