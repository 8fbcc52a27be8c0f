package replica

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// release is one Debian release in the replica. This table is kept apart
// from the plugin's on purpose: the replica describes upstream, the plugin
// reads it, and a test passes only when both agree.
type release struct {
	number   string // "13"
	codename string // "trixie"
	// testing releases get daily builds only; the others get release
	// builds plus daily builds (which the plugin must ignore).
	testing bool
}

var releases = []release{
	{number: "12", codename: "bookworm"},
	{number: "13", codename: "trixie"},
	{number: "14", codename: "forky", testing: true},
}

// Arches and Variants are those of the images the replica publishes for
// every release as qcow2, raw and tar.xz.
var (
	Arches   = []string{"amd64", "arm64"}
	Variants = []string{"generic", "genericcloud", "nocloud"}
)

// cloudImages are the other vendors' images of each build: a tar.xz and a
// manifest only, as upstream publishes them.
var cloudImages = []struct{ vendor, arch string }{
	{"azure", "amd64"}, {"ec2", "amd64"}, {"ec2", "arm64"}, {"gce", "amd64"},
}

// defaultBuilds are the builds of each release's main track (release
// builds; daily builds for a testing release), oldest first. The counter
// is the build pipeline's, shared by all releases; trixie has a same-day
// rebuild.
var defaultBuilds = map[string][]string{
	"12": {"20260607-2480", "20260913-2566", "20261109-2634"},
	"13": {"20260607-2481", "20260913-2567", "20261109-2635", "20261109-2641"},
	"14": {"20261124-2662", "20261125-2666", "20261126-2669"},
}

// trapDailies are daily builds of the non-testing releases: newer than
// their release builds, under <codename>/daily/, which a resolver for
// release builds must not pick.
var trapDailies = map[string][]string{
	"12": {"20261124-2660", "20261125-2664"},
	"13": {"20261124-2661", "20261125-2665"},
}

func lookup(name string) (release, bool) {
	for _, r := range releases {
		if r.number == name || r.codename == name {
			return r, true
		}
	}
	return release{}, false
}

// track is one series of builds: <codename>/ or <codename>/daily/.
type track struct {
	rel   release
	daily bool
}

// dir is the track's directory relative to the root.
func (t track) dir() string {
	if t.daily {
		return t.rel.codename + "/daily"
	}
	return t.rel.codename
}

// uploadType is the upload.cloud.debian.org/type label.
func (t track) uploadType() string {
	if t.daily {
		return "daily"
	}
	return "release"
}

// family is the file name stem in latest/: debian-13-generic-amd64 or
// debian-14-generic-amd64-daily.
func (t track) family(vendor, arch string) string {
	f := "debian-" + t.rel.number + "-" + vendor + "-" + arch
	if t.daily {
		f += "-daily"
	}
	return f
}

// stem is the file name stem in a build directory:
// debian-13-generic-amd64-20261109-2641.
func (t track) stem(vendor, arch, build string) string {
	return t.family(vendor, arch) + "-" + build
}

var buildRE = regexp.MustCompile(`^([0-9]{8})-([0-9]{1,10})$`)

// parseBuild splits YYYYMMDD-N into its date and counter.
func parseBuild(b string) (time.Time, int, error) {
	m := buildRE.FindStringSubmatch(b)
	if m == nil {
		return time.Time{}, 0, fmt.Errorf("build %q: want YYYYMMDD-N", b)
	}
	day, err := time.Parse("20060102", m[1])
	if err != nil {
		return time.Time{}, 0, fmt.Errorf("build %q: %v", b, err)
	}
	n, err := strconv.Atoi(m[2])
	if err != nil {
		return time.Time{}, 0, fmt.Errorf("build %q: %v", b, err)
	}
	return day, n, nil
}

// buildTime is when a build's files were written: noon UTC of its date
// plus its counter in seconds, so that files of later builds are newer.
func buildTime(b string) time.Time {
	day, n, err := parseBuild(b)
	if err != nil {
		return time.Time{}
	}
	return day.Add(12*time.Hour + time.Duration(n%86400)*time.Second)
}

// uid is a deterministic UUID-shaped id for a manifest item.
func uid(parts ...string) string {
	h := fnv64(strings.Join(parts, "/"))
	h2 := fnv64(strings.Join(parts, "|"))
	return fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", h>>32, h>>16&0xffff, h&0xfff, h2>>52&0xfff, h2&0xffffffffffff)
}

func fnv64(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}
