package debian

import "github.com/sandlabx/fetchd/sdk"

// release is one Debian release this source offers and where upstream
// publishes its cloud images.
type release struct {
	// number is the canonical name ("13") and the N of debian-<N>-... file
	// names.
	number string
	// codename is the directory under the images/cloud root ("trixie").
	codename string
	// aliases are the other names an operator may use.
	aliases []string
	// daily means only daily builds exist: the images live under
	// <codename>/daily/ and their names end in -daily (Debian builds
	// testing that way).
	daily bool
	eol   string
	note  string
}

// releases are the releases Describe offers, newest last. As of 2026-11-26:
// trixie is stable (released 2025-08-09), bookworm oldstable (regular
// security support ended 2026-06-10; Debian LTS runs to 2028-06-30 and the
// cloud team has kept building images for LTS releases, as it did for
// bullseye), forky testing, published as daily builds only.
//
// The EOL dates are Debian LTS ends: 2028-06-30 for bookworm is announced;
// 2030-06-30 for trixie is the usual five-year schedule (a guess until
// Debian LTS announces it). Forky has none yet. The suite aliases (stable,
// oldstable, testing) move when forky is released: this table must then be
// updated with the new release.
var releases = []release{
	{number: "12", codename: "bookworm", aliases: []string{"bookworm", "oldstable"}, eol: "2028-06-30", note: "bookworm (oldstable)"},
	{number: "13", codename: "trixie", aliases: []string{"trixie", "stable"}, eol: "2030-06-30", note: "trixie (stable)"},
	{number: "14", codename: "forky", aliases: []string{"forky", "testing"}, daily: true, note: "forky (testing): daily builds only"},
}

// arches are the architectures offered for every release. Upstream also
// builds ppc64el (and riscv64 for some releases), which this source does
// not offer yet.
var arches = []sdk.Arch{
	{Name: "amd64", Aliases: []string{"x86_64"}},
	{Name: "arm64", Aliases: []string{"aarch64"}},
}

// variants are the image flavours offered for every release and arch: the
// ones upstream publishes as qcow2. (azure, ec2 and gce images are tar.xz
// archives for those clouds, not offered.)
var variants = []sdk.Variant{
	{Name: "generic", Summary: "works everywhere, cloud-init included"},
	{Name: "genericcloud", Summary: "smaller; lacks some hardware drivers"},
	{Name: "nocloud", Summary: "no cloud-init; root login without password"},
}

func lookupRelease(number string) (release, bool) {
	for _, r := range releases {
		if r.number == number {
			return r, true
		}
	}
	return release{}, false
}

// family is the file name stem upstream uses for an image in a latest/
// directory, e.g. "debian-13-generic-amd64" or
// "debian-14-generic-amd64-daily".
func (r release) family(variant, arch string) string {
	f := "debian-" + r.number + "-" + variant + "-" + arch
	if r.daily {
		f += "-daily"
	}
	return f
}

// dir is the directory, relative to the images/cloud root, that holds the
// release's latest/ and dated build directories: "trixie" or "forky/daily".
func (r release) dir() string {
	if r.daily {
		return r.codename + "/daily"
	}
	return r.codename
}
