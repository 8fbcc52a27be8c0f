package replica

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/sandlabx/fetchd/sdk/checksum"
	"github.com/sandlabx/fetchd/sdk/signature/sigtest"
	"github.com/sandlabx/fetchd/sdk/version"
)

// Options say how Write lays out the replica. The zero value is fine.
type Options struct {
	// Content returns the bytes of an image given its file name, e.g.
	// "ubuntu-24.04-server-cloudimg-amd64.img" or
	// "noble-server-cloudimg-amd64.img": the qcow2 of each build and
	// architecture (simplestreams ftype disk1.img), the file a Resolve
	// answers with. It is called once for every such file written, in
	// every build directory (Publish calls it for the new build's); the
	// same name recurs in each build of a release, so return different
	// bytes yourself if builds must differ. Nil means 4096 pseudo-random
	// bytes derived from the file's path, different in every build. The
	// other files (manifests, squashfs, -disk-kvm.img, ...) always get
	// small pseudo-random bytes.
	Content func(fileName string) ([]byte, error)
	// Key signs SHA256SUMS (SHA256SUMS.gpg) and the .sjson streams. Nil
	// means a new throwaway key; Layout.Key returns it.
	Key *sigtest.Key
	// ArmoredSignatures writes SHA256SUMS.gpg armored. The default is binary
	// OpenPGP. (Canonical's real SHA256SUMS.gpg, in
	// plugins/ubuntu/keys/testdata, is armored; a resolver must take both.)
	ArmoredSignatures bool
	// Now dates the builds: serials are days before it. Zero means
	// 2026-11-20 00:00 UTC.
	Now time.Time
	// Omit leaves out a release's architecture in a variant: no files and
	// no simplestreams product, as when upstream stops building one.
	// Release is a version ("24.04"), variant Server or Daily.
	Omit func(release, arch, variant string) bool
	// History adds, to the released products document only, what the real
	// one has and a resolver must wade through: every release since 12.04
	// (interim ones included, long out of support) on its architectures,
	// and History older serials for every product, each with a full set of
	// items, as cloud-images.ubuntu.com keeps every build it ever published.
	// Their build directories are not written (nothing may resolve to
	// them). History 150 makes the document about 40 MiB.
	History int
}

// Build is one image of the replica and what a correct Resolve answers
// for it.
type Build struct {
	Release, Arch, Variant string
	// Path is the image's URL path relative to the replica root, as the
	// simplestreams item path makes it: the mirror root ("releases/" or
	// "daily/") joined with the item's path, e.g.
	// releases/server/releases/noble/release-20261106.10/ubuntu-24.04-server-cloudimg-amd64.img.
	Path string
	// SumsPath is the SHA256SUMS of Path's directory, the same way.
	SumsPath string
	// Dir is the build directory as upstream names it:
	// releases/noble/release-20261106.10 or noble/20261119.1.
	Dir string
	// FileName is the image's file name.
	FileName string
	// Version is the build serial.
	Version string
	// Digest and Size are the image's.
	Digest checksum.Digest
	Size   int64
}

// Layout is a replica written by Write. Its methods are safe for concurrent
// use.
type Layout struct {
	root string
	opts Options
	key  *sigtest.Key

	mu   sync.Mutex
	dirs []*buildDir
}

// Write lays out a replica of cloud-images.ubuntu.com under root (which
// stands for the base URL): for every release in the replica's table,
// several release builds and daily builds, their SHA256SUMS, MD5SUMS and
// SHA256SUMS.gpg, the simplestreams of both, the release/, current and
// version-number links, and directory listings.
func Write(root string, opts Options) (*Layout, error) {
	if opts.Now.IsZero() {
		opts.Now = time.Date(2026, time.November, 20, 0, 0, 0, 0, time.UTC)
	}
	key := opts.Key
	if key == nil {
		var err error
		if key, err = sigtest.NewKey("Replica Image Signing Key", "replica@example.invalid"); err != nil {
			return nil, err
		}
	}
	l := &Layout{root: root, opts: opts, key: key}
	l.mu.Lock()
	defer l.mu.Unlock()
	for i := range upstream {
		r := &upstream[i]
		for _, s := range initialSerials(opts.Now, r.shift, false) {
			if err := l.addDir(r, Server, s); err != nil {
				return nil, err
			}
		}
		if !r.daily {
			continue
		}
		for _, s := range initialSerials(opts.Now, r.shift, true) {
			if err := l.addDir(r, Daily, s); err != nil {
				return nil, err
			}
		}
	}
	if err := l.writeLinks(); err != nil {
		return nil, err
	}
	for _, v := range []string{Server, Daily} {
		if err := l.writeStreams(v); err != nil {
			return nil, err
		}
	}
	if err := l.writeListings(); err != nil {
		return nil, err
	}
	return l, nil
}

// initialSerials are a release's first builds, oldest first, with the
// orderings a resolver gets wrong: 20261030 before 20261030.1, and .9
// before .10 (which byte-wise sorting, and the sorted key order of the JSON
// documents, put the other way round).
func initialSerials(now time.Time, shift int, daily bool) []string {
	day := func(n int) string { return now.AddDate(0, 0, -(n + shift)).Format("20060102") }
	if daily {
		return []string{day(3), day(1), day(1) + ".1"}
	}
	return []string{day(21), day(21) + ".1", day(7) + ".9", day(7) + ".10"}
}

// nextSerial is a serial newer than s by version.Compare: a respin.
func nextSerial(s string) string {
	base, n, ok := cutRespin(s)
	if !ok {
		return s + ".1"
	}
	return fmt.Sprintf("%s.%d", base, n+1)
}

func cutRespin(s string) (string, int, bool) {
	i := len(s) - 1
	for i >= 0 && s[i] != '.' {
		i--
	}
	if i < 0 {
		return s, 0, false
	}
	var n int
	if _, err := fmt.Sscanf(s[i+1:], "%d", &n); err != nil {
		return s, 0, false
	}
	return s[:i], n, true
}

// Root is the directory the replica is in.
func (l *Layout) Root() string { return l.root }

// Key is the key that signs the replica's SHA256SUMS and streams.
func (l *Layout) Key() *sigtest.Key { return l.key }

// Newest returns the newest build of a release ("24.04"), architecture and
// variant (Server or Daily): what a correct Resolve must return. It returns
// the zero Build when the replica has none.
func (l *Layout) Newest(release, arch, variant string) Build {
	bs := l.Builds(release, arch, variant)
	if len(bs) == 0 {
		return Build{}
	}
	return bs[len(bs)-1]
}

// Builds returns every build of a release, architecture and variant, oldest
// first.
func (l *Layout) Builds(release, arch, variant string) []Build {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []Build
	for _, d := range l.dirs {
		if d.rel.version != release || d.variant != variant {
			continue
		}
		if b, ok := d.build(arch); ok {
			out = append(out, b)
		}
	}
	slices.SortFunc(out, func(a, b Build) int { return version.Compare(a.Version, b.Version) })
	return out
}

// Publish adds a newer build of a release and variant in place, as upstream
// does: a new build directory (a respin serial, e.g. 20261113.11 after
// 20261113.10) with every architecture's files, its SHA256SUMS, MD5SUMS and
// signature, then the updated streams, then the moved release/ or current
// link. It returns the new build of arch.
func (l *Layout) Publish(release, arch, variant string) (Build, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	r := findRelease(release)
	if r == nil {
		return Build{}, fmt.Errorf("replica: no release %q", release)
	}
	if variant != Server && !(variant == Daily && r.daily) {
		return Build{}, fmt.Errorf("replica: release %s has no variant %q", release, variant)
	}
	if !slices.Contains(r.arches, arch) || l.omitted(release, arch, variant) {
		return Build{}, fmt.Errorf("replica: release %s has no architecture %q in variant %s", release, arch, variant)
	}
	var newest string
	for _, d := range l.dirs {
		if d.rel == r && d.variant == variant && (newest == "" || version.Compare(d.serial, newest) > 0) {
			newest = d.serial
		}
	}
	serial := nextSerial(newest)
	if err := l.addDir(r, variant, serial); err != nil {
		return Build{}, err
	}
	// Rewritten streams and listings get a later modification time, as on
	// a real server: a Last-Modified that did not move would rightly make
	// a client's conditional request answer 304 Not Modified.
	l.opts.Now = l.opts.Now.Add(time.Second)
	if err := l.writeStreams(variant); err != nil {
		return Build{}, err
	}
	if err := l.writeLinks(); err != nil {
		return Build{}, err
	}
	if err := l.writeListings(); err != nil {
		return Build{}, err
	}
	b, _ := l.dirs[len(l.dirs)-1].build(arch)
	return b, nil
}

// Resign signs the file at rel (relative to the root, e.g. a Build's
// SumsPath after a test rewrote it) again, writing rel+".gpg".
func (l *Layout) Resign(rel string) error {
	data, err := os.ReadFile(l.abs(rel))
	if err != nil {
		return fmt.Errorf("replica: resign: %w", err)
	}
	return writeAtomic(l.abs(rel+".gpg"), l.key.SignDetached(data, l.opts.ArmoredSignatures), time.Time{})
}

func (l *Layout) omitted(release, arch, variant string) bool {
	return l.opts.Omit != nil && l.opts.Omit(release, arch, variant)
}

func (l *Layout) abs(rel string) string {
	return filepath.Join(l.root, filepath.FromSlash(path.Clean("/"+rel)))
}

// writeAtomic writes data to name through a temporary file and a rename, so
// that a server reading it meanwhile sees the old or the new bytes.
func writeAtomic(name string, data []byte, mtime time.Time) error {
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(name), ".tmp-*")
	if err != nil {
		return err
	}
	_, werr := f.Write(data)
	cerr := f.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(f.Name())
		return err
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		os.Remove(f.Name())
		return err
	}
	if !mtime.IsZero() {
		if err := os.Chtimes(f.Name(), mtime, mtime); err != nil {
			os.Remove(f.Name())
			return err
		}
	}
	if err := os.Rename(f.Name(), name); err != nil {
		os.Remove(f.Name())
		return err
	}
	return nil
}
