package qcow2

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// Report is what CheckFile found in an accepted image.
type Report struct {
	Path   string
	Format Format
	// Size is the file size in bytes.
	Size int64
	// Header is the inspected header of a qcow2 image; nil for raw.
	Header *Header
}

// CheckFile opens path (read-only, refusing a symlink as the last
// component and anything but a regular file), detects its format from the
// content and checks it against the announced format:
//   - FormatQcow2: the file must be a qcow2 image accepted by Inspect and
//     must not also carry an ISO 9660 signature (a polyglot);
//   - FormatRaw: the file must carry no signature of a format QEMU would
//     interpret (see Detect), and its size is the virtual size, capped by
//     lim.
//
// A refusal is an *UnsafeError or a *FormatMismatchError, with Path set.
func CheckFile(path string, announced Format, lim Limits) (*Report, error) {
	if announced != FormatQcow2 && announced != FormatRaw {
		return nil, fmt.Errorf("%s: announced format %q: want %q or %q", path, announced, FormatQcow2, FormatRaw)
	}
	// O_NONBLOCK keeps a FIFO planted at path from blocking the open; it
	// changes nothing for a regular file.
	f, err := os.OpenFile(path, os.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		if errors.Is(err, unix.ELOOP) {
			return nil, fmt.Errorf("%s: refusing to open a symlink: %w", path, err)
		}
		return nil, fmt.Errorf("open image: %w", err)
	}
	defer f.Close()
	return CheckOpen(f, path, announced, lim)
}

// CheckOpen is CheckFile on a file already open for reading (fetchd checks
// the very descriptor it hashed and commits); path names it in messages.
func CheckOpen(f *os.File, path string, announced Format, lim Limits) (*Report, error) {
	if announced != FormatQcow2 && announced != FormatRaw {
		return nil, fmt.Errorf("%s: announced format %q: want %q or %q", path, announced, FormatQcow2, FormatRaw)
	}
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("stat image: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file (%s)", path, fi.Mode().Type())
	}
	size := fi.Size()
	if size == 0 {
		return nil, &UnsafeError{Path: path, Format: announced, Field: "file", Detail: "file is empty"}
	}
	rep := &Report{Path: path, Format: announced, Size: size}
	det, err := Detect(f, size)
	if err != nil {
		return nil, fmt.Errorf("%s: detect format: %w", path, err)
	}
	if det.Format != announced {
		return nil, &FormatMismatchError{Path: path, Announced: announced, Detected: det.Format, Evidence: det.Evidence}
	}
	if announced == FormatRaw {
		if lim.MaxVirtualSize != 0 && uint64(size) > lim.MaxVirtualSize {
			return nil, &UnsafeError{Path: path, Format: FormatRaw, Field: "size",
				Detail: fmt.Sprintf("size %d bytes", size), Reason: fmt.Sprintf("over the cap of %d bytes", lim.MaxVirtualSize)}
		}
		return rep, nil
	}
	h, err := Inspect(f, size, lim)
	if err != nil {
		if ue, ok := errors.AsType[*UnsafeError](err); ok {
			ue.Path = path
			return nil, ue
		}
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	off, err := ISO9660(f, size)
	if err != nil {
		return nil, fmt.Errorf("%s: look for an ISO 9660 signature: %w", path, err)
	}
	if off >= 0 {
		return nil, &FormatMismatchError{Path: path, Announced: announced, Detected: FormatISO9660,
			Evidence: fmt.Sprintf(`signature "CD001" at offset %#x`, off), Polyglot: true}
	}
	rep.Header = h
	return rep, nil
}
