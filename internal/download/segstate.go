package download

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/sandlabx/fetchd/sdk/checksum"
)

// StateSuffix ends the name of a partial's resume state:
// "<algorithm>-<hex>.part.segments" next to "<algorithm>-<hex>.part".
const StateSuffix = ".segments"

// StatePath returns where the resume state of PartialPath(dir, d) lives.
func StatePath(dir string, d checksum.Digest) string { return PartialPath(dir, d) + StateSuffix }

// Bounds on a state file: it is read from disk and never trusted.
const (
	maxStateBytes  = 256 << 10
	maxStateRanges = 4096
	maxStateURLs   = 32
)

// segState is what a download over several connections keeps next to its
// partial so that the next run resumes every segment, not only the
// prefix. It says which bytes of the partial were written, for which
// artifact, and what each server said about the file (so that a file that
// changed upstream is not resumed). It only ever says where bytes are:
// the bytes kept are hashed again, in order, like new ones.
//
// A partial without a state file is a plain prefix (one connection wrote
// it from byte 0). A state file that does not decode, does not belong to
// the partial or does not fit it is refused: the download starts over.
type segState struct {
	Version int                   `json:"version"`
	Digest  string                `json:"digest"`
	Size    int64                 `json:"size"`
	Written [][2]int64            `json:"written"`
	Servers map[string]validators `json:"servers,omitempty"`
}

// validators are the headers that tell one version of a file from
// another.
type validators struct {
	ETag         string `json:"etag,omitempty"`
	LastModified string `json:"last_modified,omitempty"`
}

const stateVersion = 1

// decodeState parses and checks a state file's bytes for the artifact
// with digest d (maxSize caps the size it may claim).
func decodeState(data []byte, d checksum.Digest, maxSize int64) (*segState, error) {
	if len(data) > maxStateBytes {
		return nil, fmt.Errorf("larger than %d bytes", maxStateBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var st segState
	if err := dec.Decode(&st); err != nil {
		return nil, fmt.Errorf("does not decode: %v", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("trailing data after the state")
	}
	switch {
	case st.Version != stateVersion:
		return nil, fmt.Errorf("version %d, want %d", st.Version, stateVersion)
	case st.Digest != d.String():
		return nil, fmt.Errorf("belongs to %.80q, not %s", st.Digest, d.Short())
	case st.Size <= 0 || st.Size > maxSize:
		return nil, fmt.Errorf("size %d outside 1..%d", st.Size, maxSize)
	case len(st.Written) > maxStateRanges:
		return nil, fmt.Errorf("%d written ranges, at most %d", len(st.Written), maxStateRanges)
	case len(st.Servers) > maxStateURLs:
		return nil, fmt.Errorf("%d servers, at most %d", len(st.Servers), maxStateURLs)
	}
	if _, err := newSpanTable(st.Size, st.ranges()); err != nil {
		return nil, err
	}
	return &st, nil
}

func (st *segState) ranges() []byteRange {
	out := make([]byteRange, len(st.Written))
	for i, r := range st.Written {
		out[i] = byteRange{r[0], r[1]}
	}
	return out
}

// end is the end of the last written range: the partial must be at least
// this long.
func (st *segState) end() int64 {
	if n := len(st.Written); n > 0 {
		return st.Written[n-1][1]
	}
	return 0
}

// readState reads the state file at path. It returns nil and no error when
// there is none. The file must be a regular file (not a symlink) of
// fetchd's own uid, readable and writable by nobody else, and small; else
// it is refused like one that does not decode.
func readState(path string, d checksum.Digest, maxSize int64) (*segState, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK, 0)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("resume state %s: %w", path, err)
	}
	defer f.Close()
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return nil, fmt.Errorf("resume state %s: %w", path, err)
	}
	switch {
	case st.Mode&unix.S_IFMT != unix.S_IFREG:
		return nil, fmt.Errorf("resume state %s: not a regular file", path)
	case int(st.Uid) != os.Geteuid():
		return nil, fmt.Errorf("resume state %s: owned by uid %d, not fetchd's %d", path, st.Uid, os.Geteuid())
	case st.Mode&0o077 != 0:
		return nil, fmt.Errorf("resume state %s: mode %#o lets others read or write it", path, st.Mode&0o777)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxStateBytes+1))
	if err != nil {
		return nil, fmt.Errorf("resume state %s: %w", path, err)
	}
	s, err := decodeState(data, d, maxSize)
	if err != nil {
		return nil, fmt.Errorf("resume state %s: %w", path, err)
	}
	return s, nil
}

// writeState replaces the state file at path: a new file (0600, created
// exclusively, never through a symlink) renamed over the old one, so a
// reader sees the old state or the new. It is not fsynced: after a crash a
// lost or stale state only costs bytes, since every kept byte is hashed
// again and the digest decides.
func writeState(path string, st *segState) error {
	data, err := json.Marshal(st)
	if err != nil {
		return err
	}
	dir, base := filepath.Split(path)
	tmp := filepath.Join(dir, "."+base+".tmp")
	_ = os.Remove(tmp)
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL|unix.O_NOFOLLOW, 0o600)
	if err != nil {
		return fmt.Errorf("resume state: %w", err)
	}
	_, werr := f.Write(data)
	cerr := f.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("resume state: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("resume state: %w", err)
	}
	return nil
}

// removeState deletes the state file at path, if any.
func removeState(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove resume state: %w", err)
	}
	return nil
}
