package replica

// upRelease is what cloud-images.ubuntu.com publishes for one release. The
// table is the replica's own, written from UPSTREAMS.md and not taken from
// the plugin, so that a mistake in one does not hide in the other.
type upRelease struct {
	version       string // "24.04"
	codename      string // "noble"
	codenameTitle string // "Noble Numbat"
	title         string // "24.04 LTS"
	eol           string // support_eol
	supported     bool
	aliases       string // the stream's comma-separated aliases
	arches        []string
	daily         bool // daily builds are published
	shift         int  // days subtracted from Options.Now for its serials, so releases differ
}

var allArches = []string{"amd64", "arm64", "armhf", "ppc64el", "riscv64", "s390x"}

// upstream lists, oldest first, the releases in the replica's streams.
// 18.04 is there because upstream's stream still lists long-gone releases
// with supported=false (and architectures such as i386 the plugin does not
// offer): a resolver must pick its product and ignore the rest. 26.04's
// codename is unconfirmed (UPSTREAMS.md); "lts" has moved to it, as
// Canonical moves the alias once a new LTS is out.
var upstream = []upRelease{
	{version: "18.04", codename: "bionic", codenameTitle: "Bionic Beaver", title: "18.04 LTS", eol: "2023-05-31",
		aliases: "18.04,b,bionic", arches: []string{"amd64", "i386"}, shift: 40},
	{version: "20.04", codename: "focal", codenameTitle: "Focal Fossa", title: "20.04 LTS", eol: "2025-05-31",
		aliases: "20.04,f,focal", arches: allArches, daily: true, shift: 3},
	{version: "22.04", codename: "jammy", codenameTitle: "Jammy Jellyfish", title: "22.04 LTS", eol: "2027-06-01", supported: true,
		aliases: "22.04,j,jammy", arches: allArches, daily: true, shift: 2},
	{version: "24.04", codename: "noble", codenameTitle: "Noble Numbat", title: "24.04 LTS", eol: "2029-05-31", supported: true,
		aliases: "24.04,n,noble", arches: allArches, daily: true, shift: 1},
	{version: "26.04", codename: "resolute", codenameTitle: "Resolute Raccoon", title: "26.04 LTS", eol: "2031-05-29", supported: true,
		aliases: "26.04,default,lts,r,resolute", arches: allArches, daily: true, shift: 0},
}

// The variants, named as the plugin names them.
const (
	Server = "server"
	Daily  = "daily"
)

func findRelease(version string) *upRelease {
	for i := range upstream {
		if upstream[i].version == version {
			return &upstream[i]
		}
	}
	return nil
}

// extra is a non-image file of a build directory: a suffix after
// "<prefix>-<arch>" and the simplestreams ftype ("" when the stream does
// not list it).
type extra struct {
	suffix string
	ftype  string
	only   []string // architectures that have it; nil = all
}

// releaseExtras are some of the other files of a release directory, named
// as in a real SHA256SUMS of releases/noble/release-20260725/ (which also
// has -root.manifest, .squashfs.manifest, .tar.gz, -azure.vhd.manifest,
// .ova and image_changelog.json files; left out to keep the replica quick
// to write).
var releaseExtras = []extra{
	{suffix: ".manifest", ftype: "manifest"},
	{suffix: "-root.tar.xz", ftype: "root.tar.xz"},
	{suffix: ".squashfs", ftype: "squashfs"},
	{suffix: "-lxd.tar.xz", ftype: "lxd.tar.xz"},
	{suffix: "-azure.vhd.tar.gz", ftype: "vhd.tar.gz", only: []string{"amd64", "arm64"}},
	{suffix: ".vmdk", ftype: "vmdk", only: []string{"amd64"}},
}

// dailyExtras are some of the other files of a daily directory. The
// -disk-kvm.img (a qcow2 with a trimmed kernel) shares the image's prefix
// and extension: a resolver that matches names loosely picks the wrong one.
var dailyExtras = []extra{
	{suffix: ".manifest", ftype: "manifest"},
	{suffix: ".squashfs", ftype: "squashfs"},
	{suffix: "-lxd.tar.xz", ftype: "lxd.tar.xz"},
	{suffix: "-disk-kvm.img", ftype: "disk-kvm.img", only: []string{"amd64"}},
}
