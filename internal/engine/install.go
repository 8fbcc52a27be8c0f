package engine

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/sandlabx/fetchd/internal/atomicfile"
	"github.com/sandlabx/fetchd/internal/config"
	"github.com/sandlabx/fetchd/internal/download"
	"github.com/sandlabx/fetchd/internal/qcow2"
	"github.com/sandlabx/fetchd/internal/state"
	"github.com/sandlabx/fetchd/sdk"
)

type stats struct {
	Transferred, Reused int64
	// CopiedFrom names the image of this run the bytes were copied from,
	// when another image was the same artifact.
	CopiedFrom string
}

// install downloads art, verifies it and renames it into place. The
// previous file at the final path, if any, is untouched unless every check
// passed.
func (e *Engine) install(ctx context.Context, im config.Image, art sdk.Artifact) (state.Entry, stats, error) {
	defer e.lockArtifact(art.Digest.String())()
	var st stats
	sig, err := e.imageSignature(ctx, im, art)
	if err != nil {
		return state.Entry{}, st, err
	}
	partialDir := e.partialDir()
	if from := e.installedAs(art.Digest.String()); from != "" {
		// Another image of this run is the same artifact: copy it (the
		// copy is hashed and checked like a download) instead of fetching
		// the same bytes again.
		if ent, err := e.installCopy(ctx, im, art, sig, from); err == nil {
			st.CopiedFrom = filepath.Base(from)
			return ent, st, nil
		}
	}
	maxSize := art.Size
	if maxSize <= 0 {
		maxSize = e.Config.MaxImageSize
	}
	if art.Size > 0 {
		need := art.Size
		if fi, err := os.Stat(download.PartialPath(partialDir, art.Digest)); err == nil {
			need -= fi.Size()
		}
		if err := download.CheckFreeSpace(partialDir, need); err != nil {
			return state.Entry{}, st, err
		}
	}
	e.reporter().Event(Event{Kind: Downloading, Image: im.Name, URL: art.URL, Total: art.Size})
	wb := newWriteback(download.PartialPath(partialDir, art.Digest))
	defer wb.close()
	res, err := e.Downloader.Download(ctx, download.Request{
		URL:        art.URL,
		PartialDir: partialDir,
		Digest:     art.Digest,
		Size:       art.Size,
		MaxSize:    maxSize,
		Transport:  e.transport(im),
		Progress: func(p download.Progress) {
			wb.kick()
			e.reporter().Event(Event{Kind: Progress, Image: im.Name, Done: p.Done, Total: p.Total, Reused: p.Reused})
		},
	})
	st.Transferred, st.Reused = res.Transferred, res.Reused
	if err != nil {
		return state.Entry{}, st, err
	}
	e.reporter().Event(Event{Kind: Verifying, Image: im.Name})
	verifiedBy, err := e.checkNew(ctx, res.Path, sig, &art)
	if err != nil {
		// A file that fails inspection is not kept for a resume: its bytes
		// matched the digest, so downloading them again cannot help.
		_ = os.Remove(res.Path)
		return state.Entry{}, st, err
	}
	final := filepath.Join(e.dir(), im.Name)
	if err := e.place(res.Path, final); err != nil {
		return state.Entry{}, st, err
	}
	ent, err := e.stamp(im, art, final, verifiedBy)
	if err != nil {
		return state.Entry{}, st, err
	}
	if err := e.record(im.Name, ent); err != nil {
		return state.Entry{}, st, err
	}
	e.setInstalled(art.Digest.String(), final)
	return ent, st, nil
}

// installCopy installs art from from, an image this run already installed
// with the same digest: copied into a partial while hashed, then checked
// and placed exactly like a download.
func (e *Engine) installCopy(ctx context.Context, im config.Image, art sdk.Artifact, sig *imageSig, from string) (state.Entry, error) {
	partial := download.PartialPath(e.partialDir(), art.Digest) + ".copy"
	defer os.Remove(partial)
	if err := copyFile(from, partial); err != nil {
		return state.Entry{}, err
	}
	got, err := hashFile(ctx, partial, art.Digest.Algorithm)
	if err != nil {
		return state.Entry{}, err
	}
	if got != art.Digest {
		return state.Entry{}, fmt.Errorf("copy of %s has digest %s, want %s", from, got.Short(), art.Digest.Short())
	}
	e.reporter().Event(Event{Kind: Verifying, Image: im.Name})
	by, err := e.checkNew(ctx, partial, sig, &art)
	if err != nil {
		return state.Entry{}, err
	}
	final := filepath.Join(e.dir(), im.Name)
	if err := e.place(partial, final); err != nil {
		return state.Entry{}, err
	}
	ent, err := e.stamp(im, art, final, by)
	if err != nil {
		return state.Entry{}, err
	}
	return ent, e.record(im.Name, ent)
}

func (e *Engine) installedAs(digest string) string {
	e.artifactMu.Lock()
	defer e.artifactMu.Unlock()
	return e.installed[digest]
}

func (e *Engine) setInstalled(digest, path string) {
	e.artifactMu.Lock()
	defer e.artifactMu.Unlock()
	if e.installed == nil {
		e.installed = map[string]string{}
	}
	e.installed[digest] = path
}

func copyFile(from, to string) error {
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return fmt.Errorf("copying %s: %w", from, err)
	}
	return dst.Close()
}

// lockArtifact serializes installs of one artifact and returns the unlock.
// Its partial file is one per digest, so two images that resolve to the
// same artifact in one run would otherwise download into, verify and
// rename the same file at once: one could truncate or rewrite it after
// the other verified it and before the rename.
func (e *Engine) lockArtifact(key string) func() {
	e.artifactMu.Lock()
	if e.artifactLocks == nil {
		e.artifactLocks = map[string]*sync.Mutex{}
	}
	m, ok := e.artifactLocks[key]
	if !ok {
		m = &sync.Mutex{}
		e.artifactLocks[key] = m
	}
	e.artifactMu.Unlock()
	m.Lock()
	return m.Unlock
}

// verifyFile runs the checks after the digest: the pure-Go header
// inspection, then qemu-img info and check under limits. It returns the
// names of the checks that passed.
func (e *Engine) verifyFile(ctx context.Context, path string, format sdk.Format) ([]string, error) {
	max := e.MaxVirtualSize
	if max == 0 {
		max = DefaultMaxVirtualSize
	}
	if _, err := qcow2.CheckFile(path, qcow2.Format(format), qcow2.Limits{MaxVirtualSize: max}); err != nil {
		return nil, err
	}
	by := []string{"qcow2-header"}
	if format == sdk.FormatRaw {
		by = []string{"format-probe"}
	}
	if _, err := e.QemuImg.Info(ctx, path, string(format)); err != nil {
		return nil, err
	}
	by = append(by, "qemu-img info")
	if _, err := e.QemuImg.Check(ctx, path, string(format)); err != nil {
		return nil, err
	}
	return append(by, "qemu-img check"), nil
}

// checkNew checks a file whose digest is already known to be art's before
// it becomes an image: the image signature, if there is one to check (art's
// Signature then says so), then verifyFile. It returns what VerifiedBy
// records.
func (e *Engine) checkNew(ctx context.Context, path string, sig *imageSig, art *sdk.Artifact) ([]string, error) {
	by := []string{string(art.Digest.Algorithm)}
	if sig != nil {
		s, err := sig.check(ctx, path)
		if err != nil {
			return nil, err
		}
		art.Signature = s
		by = append(by, checkedBySignature)
	}
	more, err := e.verifyFile(ctx, path, art.Format)
	if err != nil {
		return nil, err
	}
	return append(by, more...), nil
}

// place makes the verified partial the image: read-only, on disk, renamed
// over the final path, the directory synced.
func (e *Engine) place(partial, final string) error {
	if err := os.Chmod(partial, 0o444); err != nil {
		return fmt.Errorf("making %s read-only: %w", partial, err)
	}
	if err := syncFile(partial); err != nil {
		return err
	}
	if e.beforeRename != nil {
		e.beforeRename(partial)
	}
	if err := os.Rename(partial, final); err != nil {
		return fmt.Errorf("installing %s: %w", final, err)
	}
	return atomicfile.SyncDir(filepath.Dir(final))
}

// stamp builds the state entry of an installed (or adopted) file.
func (e *Engine) stamp(im config.Image, art sdk.Artifact, final string, verifiedBy []string) (state.Entry, error) {
	fi, err := os.Lstat(final)
	if err != nil {
		return state.Entry{}, err
	}
	ent := state.Entry{
		Source: im.Source, Release: art.Release, Arch: art.Arch, Variant: art.Variant,
		Version: art.Version, URL: art.URL, Format: string(art.Format), Digest: art.Digest,
		VerifiedAt: e.now().UTC(), VerifiedBy: verifiedBy,
		ChecksumURL: art.ChecksumURL, Signature: signatureText(art.Signature),
	}
	if hs := e.hostSource(im); hs != nil {
		hs.Record(im, art, &ent)
	}
	return ent.Stamp(fi), nil
}

// adopt checks a file that is at the final path but unknown to state
// against art: same digest and every check passing makes it fetchd's.
func (e *Engine) adopt(ctx context.Context, im config.Image, l local, art sdk.Artifact) (state.Entry, bool) {
	if art.Size > 0 && l.fi.Size() != art.Size {
		return state.Entry{}, false // cannot be the same bytes: do not read it
	}
	got, err := hashFile(ctx, l.path, art.Digest.Algorithm)
	if err != nil || got != art.Digest {
		return state.Entry{}, false
	}
	sig, err := e.imageSignature(ctx, im, art)
	if err != nil {
		return state.Entry{}, false // the download that follows reports it
	}
	e.reporter().Event(Event{Kind: Verifying, Image: im.Name})
	by, err := e.checkNew(ctx, l.path, sig, &art)
	if err != nil {
		return state.Entry{}, false
	}
	if err := os.Chmod(l.path, 0o444); err != nil {
		return state.Entry{}, false
	}
	ent, err := e.stamp(im, art, l.path, by)
	if err != nil || e.record(im.Name, ent) != nil {
		return state.Entry{}, false
	}
	return ent, true
}

func signatureText(s sdk.Signature) string {
	if s.Status == sdk.SignatureVerified {
		return fmt.Sprintf("verified (key %s, %s)", s.KeyFingerprint, s.KeyOrigin)
	}
	return "unsigned: " + s.Detail
}

func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("syncing %s: %w", path, err)
	}
	return nil
}
