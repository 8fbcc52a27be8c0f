package ubuntu

import "github.com/sandlabx/fetchd/sdk"

// release is one Ubuntu release this source offers.
type release struct {
	// version is the canonical name ("24.04"): the <version> of simplestreams
	// product ids and of release image names.
	version string
	// codename is the series ("noble"): simplestreams' "release" field and
	// the <codename> of daily image names. Resolve checks it against the
	// stream and fails on a difference.
	codename string
	// aliases are the other names an operator may use; the codename is
	// always the first.
	aliases []string
	// eol is the end of standard support, YYYY-MM-DD, or "" when unknown.
	eol     string
	summary string
}

// releases are the releases Describe offers, oldest first. As of 2026-11-26:
//
//   - 20.04, 22.04 and 24.04 are the LTS releases the issue names. Their
//     codenames are confirmed (UPSTREAMS.md). The EOL dates are the ends of
//     standard support as remembered from Ubuntu's release cycle page and
//     simplestreams' support_eol fields, not re-checked here (no network):
//     20.04's standard support has ended, but Canonical keeps its release
//     builds on cloud-images.ubuntu.com, so the release stays offered.
//   - 26.04 was due on 2026-04-23 and by now has had its first point
//     release, so it is in the released stream. Its codename "resolute"
//     (Resolute Raccoon) is marked unconfirmed in UPSTREAMS.md; it only
//     matters as an alias and for the daily image names, and Resolve fails
//     with a clear message if the stream names the series differently.
//     Its end of standard support (five years, so around 2031-05) has no
//     confirmed day: left empty.
//   - "lts" is the newest LTS, 26.04. Canonical's own streams move their
//     "lts" alias to a new LTS soon after release, and 26.04.1 has shipped.
//     The default release stays 24.04 (see Describe).
//   - Interim releases are not offered: 25.04 and 25.10 reached their end
//     of life before today (their release builds leave releases/ then), and
//     26.10's codename is not known here. Add them to this table, with a
//     replica entry, when they are confirmed.
var releases = []release{
	{version: "20.04", codename: "focal", aliases: []string{"focal"}, eol: "2025-05-31", summary: "Focal Fossa LTS (standard support ended)"},
	{version: "22.04", codename: "jammy", aliases: []string{"jammy"}, eol: "2027-06-01", summary: "Jammy Jellyfish LTS"},
	{version: "24.04", codename: "noble", aliases: []string{"noble"}, eol: "2029-05-31", summary: "Noble Numbat LTS"},
	{version: "26.04", codename: "resolute", aliases: []string{"resolute", "lts"}, eol: "", summary: "Resolute Raccoon LTS"},
}

// defaultRelease is the release used when the operator names none. It is
// not "lts": moving every unconfigured image to a new LTS is a decision for
// a plugin release that says so, not a side effect of a table update.
const defaultRelease = "24.04"

// arches are the architectures cloud-images.ubuntu.com publishes, named as
// Ubuntu (and simplestreams) names them, with Go's names and the kernel's
// names as aliases. Not every release has every architecture: Resolve reads
// which exist from the stream and says so.
var arches = []sdk.Arch{
	{Name: "amd64", Aliases: []string{"x86_64"}},
	{Name: "arm64", Aliases: []string{"aarch64"}},
	{Name: "armhf", Aliases: []string{"arm"}},
	{Name: "ppc64el", Aliases: []string{"ppc64le"}},
	{Name: "riscv64"},
	{Name: "s390x"},
}

// The variants.
const (
	variantServer = "server"
	variantDaily  = "daily"
)

var variants = []sdk.Variant{
	{Name: variantServer, Summary: "the newest release build, releases/<version>/release-<serial>/ (what release/ points to)"},
	{Name: variantDaily, Summary: "the newest daily build, <codename>/<serial>/ (what <codename>/current/ points to)"},
}

func findRelease(version string) (release, bool) {
	for _, r := range releases {
		if r.version == version {
			return r, true
		}
	}
	return release{}, false
}
