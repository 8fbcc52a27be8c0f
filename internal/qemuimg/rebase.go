package qemuimg

import (
	"context"
	"fmt"
	"os"
	"strings"
)

// RebaseUnsafeOpen rewrites the backing file name (and format) in the
// header of the qcow2 image open as f: qemu-img rebase -u -f qcow2 -b
// backing -F backingFormat, with the image passed as a descriptor so that
// exactly that inode is rewritten. Only the header changes (-u): this is
// safe only when backing holds the same bytes as the old backing file.
//
// qemu-img opens the image read-write and takes QEMU's locks on it: an
// image that a running QEMU holds open is refused, and the error (an
// *InUseError) says so. Any other failure is a *CommandError.
func (r *Runner) RebaseUnsafeOpen(ctx context.Context, f *os.File, backing, backingFormat string) error {
	if err := checkFormat(backingFormat); err != nil {
		return fmt.Errorf("qemu-img rebase %s: %w", f.Name(), err)
	}
	if backing == "" || !strings.HasPrefix(backing, "/") {
		return fmt.Errorf("qemu-img rebase %s: backing file %q: want an absolute path", f.Name(), backing)
	}
	img := image{arg: fdArg, name: f.Name(), f: f}
	res, err := r.run(ctx, img, "rebase", "-u", "-f", "qcow2", "-b", backing, "-F", backingFormat, img.arg)
	if err != nil {
		return err
	}
	if res.exitCode == 0 {
		return nil
	}
	cmdErr := &CommandError{Args: res.args, ExitCode: res.exitCode, Stderr: res.stderr}
	if strings.Contains(res.stderr, "lock") {
		return &InUseError{Path: f.Name(), Err: cmdErr}
	}
	return cmdErr
}

// InUseError is an image another process (a running VM) holds open with
// QEMU's locks: qemu-img could not take its write lock.
type InUseError struct {
	Path string
	Err  *CommandError
}

func (e *InUseError) Error() string {
	return fmt.Sprintf("%s is in use (a running VM holds it open: qemu-img could not take its write lock): %s", e.Path, e.Err.Stderr)
}

func (e *InUseError) Unwrap() error { return e.Err }
