package engine

import (
	"context"
	"os"

	"github.com/sandlabx/fetchd/internal/qcow2"
	"github.com/sandlabx/fetchd/sdk"
)

// checked is what the checks after the digest found.
type checked struct {
	by          []string // the names of the checks that passed
	virtualSize int64
}

// verifyOpen runs the checks after the digest on an open file: the pure-Go
// header inspection, then qemu-img info and check under limits, qemu-img
// given the descriptor itself, so every check reads the inode that was
// hashed and will be committed.
func (e *Engine) verifyOpen(ctx context.Context, f *os.File, format sdk.Format) (checked, error) {
	max := e.MaxVirtualSize
	if max == 0 {
		max = DefaultMaxVirtualSize
	}
	rep, err := qcow2.CheckOpen(f, f.Name(), qcow2.Format(format), qcow2.Limits{MaxVirtualSize: max})
	if err != nil {
		return checked{}, err
	}
	c := checked{by: []string{"qcow2-header"}, virtualSize: rep.Size}
	if rep.Header != nil {
		c.virtualSize = int64(rep.Header.VirtualSize)
	}
	if format == sdk.FormatRaw {
		c.by = []string{"format-probe"}
	}
	info, err := e.QemuImg.InfoOpen(ctx, f, string(format))
	if err != nil {
		return checked{}, err
	}
	if info.VirtualSize > 0 {
		c.virtualSize = int64(info.VirtualSize)
	}
	c.by = append(c.by, "qemu-img info")
	if _, err := e.QemuImg.CheckOpen(ctx, f, string(format)); err != nil {
		return checked{}, err
	}
	c.by = append(c.by, "qemu-img check")
	return c, nil
}

// checkNew checks a file whose digest is already known to be art's before
// it becomes a build: the image signature, if there is one to check (art's
// Signature then says so), then verifyOpen. VerifiedBy starts with the
// digest algorithm.
func (e *Engine) checkNew(ctx context.Context, f *os.File, sig *imageSig, art *sdk.Artifact) (checked, error) {
	by := []string{string(art.Digest.Algorithm)}
	if sig != nil {
		s, err := sig.check(ctx, f)
		if err != nil {
			return checked{}, err
		}
		art.Signature = s
		by = append(by, checkedBySignature)
	}
	c, err := e.verifyOpen(ctx, f, art.Format)
	if err != nil {
		return checked{}, err
	}
	c.by = append(by, c.by...)
	return c, nil
}
