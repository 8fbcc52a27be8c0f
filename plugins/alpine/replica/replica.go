package replica

import (
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	ireplica "github.com/sandlabx/fetchd/internal/replica"
	"github.com/sandlabx/fetchd/sdk/checksum"
	"github.com/sandlabx/fetchd/sdk/signature/sigtest"
)

// LatestStable is the directory that follows the newest branch.
const LatestStable = "latest-stable"

// Options changes what Write lays out.
type Options struct {
	// Content returns the bytes of an image file, by upstream file name. It
	// is called for every image Write and Publish write, including the
	// other clouds' images a resolver must skip. Nil means
	// replica.FakeImage(fileName, 4096).
	Content func(fileName string) ([]byte, error)
	// Key signs every image's .asc (a detached armored signature over the
	// image bytes, as upstream's). Nil means a fresh throwaway key.
	Key *sigtest.Key
}

// Build is one image a resolver may pick.
type Build struct {
	Release  string // the branch, e.g. "3.22" (never latest-stable)
	Arch     string // x86_64 or aarch64
	Variant  string // <cloud>-<firmware>-<bootstrap>, e.g. nocloud-uefi-cloudinit
	Path     string // URL path relative to the root: v3.22/releases/cloud/<FileName>
	FileName string
	Version  string // e.g. 3.22.3-r1
	Digest   checksum.Digest
	Size     int64
}

// ChecksumPath is the path of the build's .sha512, relative to the root.
func (b Build) ChecksumPath() string { return b.Path + ".sha512" }

// SignaturePath is the path of the build's .asc, relative to the root.
func (b Build) SignaturePath() string { return b.Path + ".asc" }

// Layout is a written replica. Its methods are safe for concurrent use.
type Layout struct {
	// Root is the directory that stands for the base URL.
	Root string
	// Key is the key that signed the .asc files.
	Key *sigtest.Key

	mu      sync.Mutex
	content func(string) ([]byte, error)
	files   map[string]map[string]file // branch → file name → file
	builds  map[buildKey][]Build       // oldest first
	clock   time.Time                  // the modification time of the last file written
}

type buildKey struct{ branch, arch, variant string }

type file struct {
	size  int64
	mtime time.Time
}

// Write lays out the replica under root: for each branch in Branches,
// v<branch>/releases/cloud/ with every image upstream builds (see package
// documentation), each with <image>.sha512 and <image>.asc, and an
// index.html listing; latest-stable/releases/cloud/ holds a copy of the
// newest branch's directory.
func Write(root string, opts Options) (*Layout, error) {
	l := &Layout{
		Root:    root,
		Key:     opts.Key,
		content: opts.Content,
		files:   map[string]map[string]file{},
		builds:  map[buildKey][]Build{},
		clock:   time.Date(2023, 12, 7, 10, 0, 0, 0, time.UTC),
	}
	if l.Key == nil {
		k, err := sigtest.NewKey("Alpine replica signing key, test only", "replica@alpine.invalid")
		if err != nil {
			return nil, err
		}
		l.Key = k
	}
	if l.content == nil {
		l.content = func(name string) ([]byte, error) { return ireplica.FakeImage(name, 4096), nil }
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, br := range branches {
		for i, p := range br.points {
			point := fmt.Sprintf("%s.%d", br.name, p)
			latestPoint := i == len(br.points)-1
			for _, arch := range []string{"x86_64", "aarch64"} {
				for _, cloud := range clouds {
					for _, fw := range firmwares {
						for _, boot := range bootstraps {
							if !built(br.name, cloud, arch, fw) {
								continue
							}
							for _, rev := range revisions(br.name, latestPoint, arch, fw, boot) {
								if _, err := l.addBuild(br.name, point, arch, cloud, fw, boot, rev); err != nil {
									return nil, err
								}
							}
						}
					}
				}
			}
			if latestPoint {
				for _, name := range others(point) {
					if _, err := l.addImage(br.name, name); err != nil {
						return nil, err
					}
				}
			}
		}
	}
	for _, br := range branches {
		if err := l.writeListings(br.name); err != nil {
			return nil, err
		}
	}
	return l, nil
}

// Branches returns the branches the replica holds, oldest first.
func Branches() []string {
	var out []string
	for _, b := range branches {
		out = append(out, b.name)
	}
	return out
}

// Newest returns the build a correct resolver answers for release (a
// branch or latest-stable), arch (upstream's name or Go's: amd64, arm64)
// and variant, or the zero Build when upstream builds no such image (e.g.
// bios on aarch64, generic on 3.19).
func (l *Layout) Newest(release, arch, variant string) Build {
	bs := l.Builds(release, arch, variant)
	if len(bs) == 0 {
		return Build{}
	}
	return bs[len(bs)-1]
}

// Builds returns every build of release, arch and variant, oldest first.
func (l *Layout) Builds(release, arch, variant string) []Build {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.builds[buildKey{branchOf(release), archOf(arch), variant}])
}

// Publish adds a rebuild of the newest build of release, arch and variant:
// the same point release with the next revision, its .sha512 and .asc, and
// updated listings (latest-stable's too when the branch is the newest).
// The older files stay, as upstream keeps them.
func (l *Layout) Publish(release, arch, variant string) (Build, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	k := buildKey{branchOf(release), archOf(arch), variant}
	bs := l.builds[k]
	if len(bs) == 0 {
		return Build{}, fmt.Errorf("replica: no %s %s %s image to rebuild", release, arch, variant)
	}
	last := bs[len(bs)-1]
	parts := strings.Split(variant, "-")
	point, rev, ok := strings.Cut(last.Version, "-r")
	if len(parts) != 3 || !ok {
		return Build{}, fmt.Errorf("replica: cannot take apart %s %s", variant, last.Version)
	}
	var r int
	if _, err := fmt.Sscan(rev, &r); err != nil {
		return Build{}, fmt.Errorf("replica: revision of %s: %w", last.Version, err)
	}
	b, err := l.addBuild(k.branch, point, k.arch, parts[0], parts[1], parts[2], r+1)
	if err != nil {
		return Build{}, err
	}
	return b, l.writeListings(k.branch)
}

// addBuild writes one image a resolver may pick and records it.
func (l *Layout) addBuild(br, point, arch, cloud, fw, boot string, rev int) (Build, error) {
	name := imageName(cloud, point, arch, fw, boot, "", rev, "qcow2")
	b, err := l.addImage(br, name)
	if err != nil {
		return Build{}, err
	}
	b.Arch, b.Variant, b.Version = arch, cloud+"-"+fw+"-"+boot, fmt.Sprintf("%s-r%d", point, rev)
	k := buildKey{br, arch, b.Variant}
	l.builds[k] = append(l.builds[k], b)
	return b, nil
}

// addImage writes an image, its .sha512 (the bare hex digest and a
// newline, as upstream's) and its .asc into the branch's directory, and
// into latest-stable's when the branch is the newest.
func (l *Layout) addImage(br, name string) (Build, error) {
	data, err := l.content(name)
	if err != nil {
		return Build{}, fmt.Errorf("replica: content of %s: %w", name, err)
	}
	sum := sha512.Sum512(data)
	hexSum := hex.EncodeToString(sum[:])
	digest, err := checksum.NewDigest(checksum.SHA512, hexSum)
	if err != nil {
		return Build{}, err
	}
	sidecars := map[string][]byte{
		name:             data,
		name + ".sha512": []byte(hexSum + "\n"),
		name + ".asc":    l.Key.SignDetached(data, true),
	}
	l.clock = l.clock.Add(time.Hour)
	if l.files[br] == nil {
		l.files[br] = map[string]file{}
	}
	for _, dir := range l.dirs(br) {
		for n, b := range sidecars {
			if err := ireplica.WriteFile(l.Root, path.Join(dir, n), b, l.clock); err != nil {
				return Build{}, fmt.Errorf("replica: %w", err)
			}
		}
	}
	for n, b := range sidecars {
		l.files[br][n] = file{size: int64(len(b)), mtime: l.clock}
	}
	return Build{Release: br, Path: path.Join(dirOf(br), name), FileName: name, Digest: digest, Size: int64(len(data))}, nil
}

// Remove withdraws one file of a branch, given by its path relative to the
// root (e.g. a Build's SignaturePath): it is deleted from every directory
// that shows it and from the listings.
func (l *Layout) Remove(rel string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	name := path.Base(rel)
	for br, files := range l.files {
		if dirOf(br) != path.Dir(rel) {
			continue
		}
		if _, ok := files[name]; !ok {
			break
		}
		delete(files, name)
		for _, dir := range l.dirs(br) {
			if err := os.Remove(filepath.Join(l.Root, filepath.FromSlash(path.Join(dir, name)))); err != nil {
				return fmt.Errorf("replica: %w", err)
			}
		}
		return l.writeListings(br)
	}
	return fmt.Errorf("replica: no file %s", rel)
}

// writeListings writes the branch's index.html (and latest-stable's).
func (l *Layout) writeListings(br string) error {
	var entries []ireplica.ListingEntry
	for _, n := range slices.Sorted(maps.Keys(l.files[br])) {
		f := l.files[br][n]
		entries = append(entries, ireplica.ListingEntry{Name: n, Size: f.size, ModTime: f.mtime})
	}
	for _, dir := range l.dirs(br) {
		page := ireplica.Listing("/"+dir+"/", entries)
		if err := ireplica.WriteFile(l.Root, path.Join(dir, "index.html"), page, l.clock); err != nil {
			return fmt.Errorf("replica: %w", err)
		}
	}
	return nil
}

// dirs returns the directories that show the branch's cloud images.
func (l *Layout) dirs(br string) []string {
	if br == newestBranch() {
		return []string{dirOf(br), LatestStable + "/releases/cloud"}
	}
	return []string{dirOf(br)}
}

func dirOf(br string) string { return "v" + br + "/releases/cloud" }

func newestBranch() string { return branches[len(branches)-1].name }

func branchOf(release string) string {
	if release == LatestStable {
		return newestBranch()
	}
	return strings.TrimPrefix(release, "v")
}

func archOf(arch string) string {
	switch arch {
	case "amd64":
		return "x86_64"
	case "arm64":
		return "aarch64"
	}
	return arch
}
