package engine

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"os"

	"github.com/sandlabx/fetchd/internal/config"
	"github.com/sandlabx/fetchd/internal/state"
	"github.com/sandlabx/fetchd/internal/store"
	"github.com/sandlabx/fetchd/sdk"
	"github.com/sandlabx/fetchd/sdk/checksum"
)

// adoptName checks the regular file at the image's name against art and,
// if it is exactly art's bytes and passes every check, makes it a build:
// in place (that inode linked into the builds area) when only fetchd's uid
// can write it, else as a copy taken through a descriptor and hashed while
// copying (the owner could still change the original). got is the digest
// the file had, for a caller that must not hash it again.
func (r *run) adoptName(ctx context.Context, im config.Image, art sdk.Artifact) (b state.Build, got checksum.Digest, ok bool, err error) {
	f, err := r.st.OpenName(im.Name)
	if err != nil {
		return state.Build{}, got, false, err
	}
	defer f.Close()
	stamp, err := store.StampFile(f)
	if err != nil {
		return state.Build{}, got, false, err
	}
	if art.Size > 0 && stamp.Size != art.Size {
		return state.Build{}, got, false, nil // cannot be the same bytes: do not read it
	}
	r.e.reporter().Event(Event{Kind: Verifying, Image: im.Name})
	if got, err = hashOpen(ctx, f, art.Digest.Algorithm); err != nil || got != art.Digest {
		return state.Build{}, got, false, err
	}
	sig, err := r.e.imageSignature(ctx, im, art)
	if err != nil {
		return state.Build{}, got, false, err
	}
	defer r.lockArtifact(art.Digest.String())()
	if r.ownsAlone(f, stamp) {
		b, err = r.commit(ctx, im, art, sig, ingest{f: f})
		return b, got, err == nil, err
	}
	cp, name, err := r.copyToPartial(ctx, f, art)
	if err != nil {
		return state.Build{}, got, false, err
	}
	defer cp.Close()
	b, err = r.commit(ctx, im, art, sig, ingest{f: cp, partial: name})
	if err != nil {
		_ = r.st.Remove(store.Partial, name)
	}
	return b, got, err == nil, err
}

// ownsAlone reports whether no one but fetchd's uid can change the open
// file: owned by it, not writable by group or others, and with no other
// name than this one (or the builds area's).
func (r *run) ownsAlone(f *os.File, stamp state.Stamp) bool {
	if stamp.UID != r.st.UID() || stamp.Mode&0o022 != 0 {
		return false
	}
	n := store.Links(f)
	return n == 1 || (n == 2 && r.st.IsBuildFile(f))
}

// copyToPartial copies src into a new partial file through descriptors,
// hashing the bytes as they are written, and returns the copy open for
// reading if they are art's.
func (r *run) copyToPartial(ctx context.Context, src *os.File, art sdk.Artifact) (*os.File, string, error) {
	name := string(art.Digest.Algorithm) + "-" + art.Digest.Hex + ".adopt"
	_ = r.st.Remove(store.Partial, name) // a leftover of a run cut short
	dst, err := r.st.CreatePartial(name)
	if err != nil {
		return nil, "", err
	}
	h, err := newHash(art.Digest.Algorithm)
	if err != nil {
		dst.Close()
		return nil, "", err
	}
	if err := copyCtx(ctx, io.MultiWriter(dst, h), io.NewSectionReader(src, 0, 1<<62)); err != nil {
		dst.Close()
		_ = r.st.Remove(store.Partial, name)
		return nil, "", fmt.Errorf("copying %s: %w", src.Name(), err)
	}
	if hex.EncodeToString(h.Sum(nil)) != art.Digest.Hex {
		dst.Close()
		_ = r.st.Remove(store.Partial, name)
		return nil, "", fmt.Errorf("%s changed while fetchd copied it", src.Name())
	}
	return dst, name, nil
}
