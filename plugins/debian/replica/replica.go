package replica

import (
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	ireplica "github.com/sandlabx/fetchd/internal/replica"
	"github.com/sandlabx/fetchd/sdk/checksum"
	"github.com/sandlabx/fetchd/sdk/version"
)

// Options tune the tree Write lays out.
type Options struct {
	// Content returns the bytes of an image file, called once per file
	// with its pinned name, e.g. "debian-13-generic-amd64-20261109-2641.qcow2",
	// "debian-14-nocloud-arm64-daily-20261126-2669.raw" or
	// "debian-13-ec2-amd64-20261109-2641.tar.xz" (also for builds that
	// Publish adds later). latest/ holds copies of the same bytes under
	// the build-less name. nil means replica.FakeImage(name, 4096).
	Content func(fileName string) ([]byte, error)
	// Builds overrides, per release number ("12", "13", "14"), the builds
	// (YYYYMMDD-N) laid out for its main track: release builds, or daily
	// builds for forky. latest/ points at the newest by version.Compare.
	// Releases left out get the defaults.
	Builds map[string][]string
	// Releases limits the tree to these releases (numbers or codenames);
	// nil means all. A smaller tree is quicker to write.
	Releases []string
	// Now dates the builds Publish adds (at least the newest build's
	// date); zero means 2026-11-26 UTC.
	Now time.Time
}

// Build is one published qcow2 image: what a correct Resolve returns.
type Build struct {
	// Release is the release number ("13"); Arch and Variant as upstream
	// names them.
	Release, Arch, Variant string
	// Path is the image's URL path relative to the root, e.g.
	// "trixie/20261109-2641/debian-13-generic-amd64-20261109-2641.qcow2".
	Path string
	// FileName is the pinned file name, Path's last element.
	FileName string
	// Version is the build, e.g. "20261109-2641".
	Version string
	// Digest is the sha512 of the image bytes; Size their length.
	Digest checksum.Digest
	Size   int64
	// SumsPath is the build directory's SHA512SUMS, ManifestPath the
	// image's manifest in latest/ (both relative to the root).
	SumsPath, ManifestPath string
}

// Layout is a written tree. Its methods are safe for concurrent use.
type Layout struct {
	root    string
	content func(string) ([]byte, error)
	now     time.Time

	mu     sync.Mutex
	tracks []*trackState
}

// trackState is what the layout knows of one track.
type trackState struct {
	track
	main   bool // the track Resolve must use for this release
	builds []string
	latest string
	files  map[string][]entry       // build -> its image and manifest files
	images map[string]map[key]Build // build -> qcow2 images
}

type key struct{ variant, arch string }

// entry is one file of a build directory.
type entry struct {
	name, latestName string
	digest           string // hex sha512
	size             int64
}

// Write lays out under root (standing for https://cloud.debian.org/images/cloud)
// a copy of upstream's tree for bookworm (12), trixie (13) and forky (14):
// each release's dated build directories with every image as .qcow2, .raw
// and .tar.xz, per-image JSON manifests and SHA512SUMS; latest/ with the
// newest build's files under build-less names; daily/ builds, which are
// newer than the release builds and must be ignored, except for forky,
// which has daily builds only; and an index.html listing in every
// directory.
func Write(root string, opts Options) (*Layout, error) {
	l := &Layout{root: root, content: opts.Content, now: opts.Now}
	if l.content == nil {
		l.content = func(name string) ([]byte, error) { return ireplica.FakeImage(name, 4096), nil }
	}
	if l.now.IsZero() {
		l.now = time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	}
	for name := range opts.Builds {
		if _, ok := lookup(name); !ok {
			return nil, fmt.Errorf("replica: Options.Builds: no release %q", name)
		}
	}
	want := map[release]bool{}
	for _, name := range opts.Releases {
		r, ok := lookup(name)
		if !ok {
			return nil, fmt.Errorf("replica: Options.Releases: no release %q", name)
		}
		want[r] = true
	}
	for _, r := range releases {
		if len(want) > 0 && !want[r] {
			continue
		}
		builds := defaultBuilds[r.number]
		if b, ok := opts.Builds[r.number]; ok {
			builds = b
		}
		l.tracks = append(l.tracks, &trackState{track: track{rel: r, daily: r.testing}, main: true, builds: slices.Clone(builds)})
		if !r.testing {
			l.tracks = append(l.tracks, &trackState{track: track{rel: r, daily: true}, builds: slices.Clone(trapDailies[r.number])})
		}
	}
	for _, ts := range l.tracks {
		if len(ts.builds) == 0 {
			return nil, fmt.Errorf("replica: %s: no builds", ts.dir())
		}
		ts.files = map[string][]entry{}
		ts.images = map[string]map[key]Build{}
		for i, b := range ts.builds {
			if _, _, err := parseBuild(b); err != nil {
				return nil, fmt.Errorf("replica: %s: %v", ts.dir(), err)
			}
			if slices.Contains(ts.builds[:i], b) {
				return nil, fmt.Errorf("replica: %s: build %q listed twice", ts.dir(), b)
			}
			if err := l.writeBuild(ts, b); err != nil {
				return nil, err
			}
		}
		ts.latest, _ = version.Newest(ts.builds)
		if err := l.writeLatest(ts); err != nil {
			return nil, err
		}
	}
	if err := l.writeListings(); err != nil {
		return nil, err
	}
	return l, nil
}

// Root is the directory the tree is in.
func (l *Layout) Root() string { return l.root }

// Newest returns the image a correct Resolve returns for release (a number
// or codename), arch and variant: the qcow2 of the newest build of the
// release's main track. It returns the zero Build for anything the replica
// does not publish.
func (l *Layout) Newest(release, arch, variant string) Build {
	l.mu.Lock()
	defer l.mu.Unlock()
	ts := l.main(release)
	if ts == nil {
		return Build{}
	}
	return ts.images[ts.latest][key{variant, arch}]
}

// Builds returns the builds of release's main track, oldest first by
// version.Compare.
func (l *Layout) Builds(release string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	ts := l.main(release)
	if ts == nil {
		return nil
	}
	b := slices.Clone(ts.builds)
	version.Sort(b)
	return b
}

// Publish adds a newer build of release in place, as upstream does: a new
// dated directory with every image of the release (all arches and
// variants, so not only the one asked for), its SHA512SUMS and manifests;
// latest/ switched to it; listings updated. Older builds stay as they are,
// so a URL resolved before keeps serving the same bytes. It returns the new
// build's image for arch and variant. The new build is dated Options.Now
// (or the newest build's date if later) and numbered one past the highest
// counter in the tree. Publish is not atomic for a concurrent reader.
func (l *Layout) Publish(release, arch, variant string) (Build, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	ts := l.main(release)
	if ts == nil {
		return Build{}, fmt.Errorf("replica: publish: no release %q", release)
	}
	if !slices.Contains(Arches, arch) || !slices.Contains(Variants, variant) {
		return Build{}, fmt.Errorf("replica: publish: no %s %s image", variant, arch)
	}
	day := l.now.UTC().Truncate(24 * time.Hour)
	counter := 0
	for _, t := range l.tracks {
		for _, b := range t.builds {
			d, n, _ := parseBuild(b)
			counter = max(counter, n)
			if t == ts && d.After(day) {
				day = d
			}
		}
	}
	b := fmt.Sprintf("%s-%d", day.Format("20060102"), counter+1)
	if err := l.writeBuild(ts, b); err != nil {
		return Build{}, err
	}
	ts.builds = append(ts.builds, b)
	ts.latest, _ = version.Newest(ts.builds)
	if err := l.writeLatest(ts); err != nil {
		return Build{}, err
	}
	if err := l.writeListings(); err != nil {
		return Build{}, err
	}
	return ts.images[b][key{variant, arch}], nil
}

func (l *Layout) main(release string) *trackState {
	r, ok := lookup(release)
	if !ok {
		return nil
	}
	for _, ts := range l.tracks {
		if ts.main && ts.rel == r {
			return ts
		}
	}
	return nil
}

// imageFormats are the files of a generic/genericcloud/nocloud image in
// the order upstream writes them (and lists their uploads).
var imageFormats = []struct{ ext, format string }{
	{".tar.xz", "internal"}, {".raw", "raw"}, {".qcow2", "qcow2"},
}

// writeBuild writes one dated build directory of ts.
func (l *Layout) writeBuild(ts *trackState, b string) error {
	dir := ts.dir() + "/" + b
	mtime := buildTime(b)
	var entries []entry
	images := map[key]Build{}
	add := func(name string, data []byte) ([]byte, error) {
		sum := sha512.Sum512(data)
		if err := ireplica.WriteFile(l.root, dir+"/"+name, data, mtime); err != nil {
			return nil, fmt.Errorf("replica: %v", err)
		}
		entries = append(entries, entry{
			name:       name,
			latestName: strings.Replace(name, "-"+b+".", ".", 1),
			digest:     hex.EncodeToString(sum[:]),
			size:       int64(len(data)),
		})
		return sum[:], nil
	}
	image := func(vendor, arch string, formats []struct{ ext, format string }) error {
		stem := ts.stem(vendor, arch, b)
		var files []file
		for _, f := range formats {
			name := stem + f.ext
			data, err := l.content(name)
			if err != nil {
				return fmt.Errorf("replica: content of %s: %w", name, err)
			}
			sum, err := add(name, data)
			if err != nil {
				return err
			}
			files = append(files, file{name: name, format: f.format, digest: sum})
			if f.format == "qcow2" {
				d, _ := checksum.NewDigest(checksum.SHA512, hex.EncodeToString(sum))
				images[key{vendor, arch}] = Build{
					Release: ts.rel.number, Arch: arch, Variant: vendor,
					Path: dir + "/" + name, FileName: name, Version: b,
					Digest: d, Size: int64(len(data)),
					SumsPath:     dir + "/SHA512SUMS",
					ManifestPath: ts.dir() + "/latest/" + ts.family(vendor, arch) + ".json",
				}
			}
		}
		m, err := manifest(ts.track, vendor, arch, b, files)
		if err != nil {
			return fmt.Errorf("replica: manifest of %s: %v", stem, err)
		}
		_, err = add(stem+".json", m)
		return err
	}
	for _, v := range Variants {
		for _, a := range Arches {
			if err := image(v, a, imageFormats); err != nil {
				return err
			}
		}
	}
	for _, c := range cloudImages {
		if err := image(c.vendor, c.arch, imageFormats[:1]); err != nil {
			return err
		}
	}
	if err := ireplica.WriteFile(l.root, dir+"/SHA512SUMS", sha512sums(entries, false), mtime); err != nil {
		return fmt.Errorf("replica: %v", err)
	}
	ts.files[b] = entries
	ts.images[b] = images
	return nil
}

// writeLatest makes ts's latest/ a copy of its newest build under
// build-less names, with its own SHA512SUMS; upstream's latest/ holds
// symlinks to the same files.
func (l *Layout) writeLatest(ts *trackState) error {
	latest := ts.dir() + "/latest"
	if err := os.RemoveAll(filepath.Join(l.root, filepath.FromSlash(latest))); err != nil {
		return fmt.Errorf("replica: %v", err)
	}
	mtime := buildTime(ts.latest)
	entries := ts.files[ts.latest]
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(l.root, filepath.FromSlash(ts.dir()+"/"+ts.latest+"/"+e.name)))
		if err != nil {
			return fmt.Errorf("replica: %v", err)
		}
		if err := ireplica.WriteFile(l.root, latest+"/"+e.latestName, data, mtime); err != nil {
			return fmt.Errorf("replica: %v", err)
		}
	}
	if err := ireplica.WriteFile(l.root, latest+"/SHA512SUMS", sha512sums(entries, true), mtime); err != nil {
		return fmt.Errorf("replica: %v", err)
	}
	return nil
}

// sha512sums renders a SHA512SUMS file as upstream does: "<hex>  <name>"
// lines sorted by name.
func sha512sums(entries []entry, latest bool) []byte {
	lines := make([]string, 0, len(entries))
	for _, e := range entries {
		name := e.name
		if latest {
			name = e.latestName
		}
		lines = append(lines, e.digest+"  "+name+"\n")
	}
	slices.SortFunc(lines, func(a, b string) int { return strings.Compare(a[130:], b[130:]) })
	return []byte(strings.Join(lines, ""))
}

// URL joins a root-relative path (a Build's Path, SumsPath or
// ManifestPath) to a base URL.
func URL(base, rel string) string { return strings.TrimRight(base, "/") + "/" + path.Clean(rel) }
