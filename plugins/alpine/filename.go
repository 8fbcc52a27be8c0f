package alpine

import (
	"fmt"
	"regexp"
	"strconv"
)

// ImageName is an Alpine cloud image file name taken apart:
//
//	<cloud>_alpine-<major>.<minor>.<patch>-<arch>-<firmware>-<bootstrap>[-<machine>]-r<revision>.<format>
//
// e.g. nocloud_alpine-3.22.1-x86_64-uefi-cloudinit-r0.qcow2. Format is
// everything after the revision's dot, so the checksum and signature next to
// an image parse too, with Format "qcow2.sha512" and "qcow2.asc".
type ImageName struct {
	Cloud     string // nocloud, generic, aws, azure, gcp, oci, ...
	Major     int
	Minor     int
	Patch     int
	Arch      string // x86_64, aarch64
	Firmware  string // bios, uefi
	Bootstrap string // cloudinit, tiny
	Machine   string // "" for the default (a VM); e.g. "metal"
	Revision  int    // the image revision: a rebuild of the same point release
	Format    string // qcow2, vhd, raw.tar.gz, qcow2.sha512, ...
}

// fileNameRE is the whole grammar. Every field is lowercase letters and
// digits (the architecture also "_"), none holds a "-", and numbers have no
// leading zeros, so a name has exactly one reading and String gives it back.
var fileNameRE = regexp.MustCompile(`^([a-z][a-z0-9]*)_alpine-` +
	`(0|[1-9][0-9]{0,8})\.(0|[1-9][0-9]{0,8})\.(0|[1-9][0-9]{0,8})` +
	`-([a-z0-9][a-z0-9_]*)-([a-z][a-z0-9]*)-([a-z][a-z0-9]*)(?:-([a-z][a-z0-9]*))?` +
	`-r(0|[1-9][0-9]{0,8})\.([a-z0-9]+(?:\.[a-z0-9]+)*)$`)

// revisionRE is what a machine name must not look like.
var revisionRE = regexp.MustCompile(`^r[0-9]+$`)

// maxFileName bounds what ParseFileName looks at; real names are under 80
// bytes.
const maxFileName = 255

// ParseFileName parses an Alpine cloud image file name strictly: anything
// that does not follow the grammar in ImageName exactly (another separator,
// a leading zero, an upper-case letter, a missing revision) is an error.
func ParseFileName(name string) (ImageName, error) {
	if len(name) > maxFileName {
		return ImageName{}, fmt.Errorf("file name of %d bytes: longer than %d", len(name), maxFileName)
	}
	m := fileNameRE.FindStringSubmatch(name)
	if m == nil {
		return ImageName{}, fmt.Errorf("file name %q does not follow <cloud>_alpine-<x.y.z>-<arch>-<firmware>-<bootstrap>[-<machine>]-r<revision>.<format>", name)
	}
	if revisionRE.MatchString(m[8]) {
		return ImageName{}, fmt.Errorf("file name %q has two revisions (-%s and -r%s)", name, m[8], m[9])
	}
	n := ImageName{Cloud: m[1], Arch: m[5], Firmware: m[6], Bootstrap: m[7], Machine: m[8], Format: m[10]}
	// The pattern allows at most nine digits, so Atoi cannot fail.
	n.Major, _ = strconv.Atoi(m[2])
	n.Minor, _ = strconv.Atoi(m[3])
	n.Patch, _ = strconv.Atoi(m[4])
	n.Revision, _ = strconv.Atoi(m[9])
	return n, nil
}

// String returns the file name.
func (n ImageName) String() string {
	machine := ""
	if n.Machine != "" {
		machine = "-" + n.Machine
	}
	return fmt.Sprintf("%s_alpine-%s-%s-%s-%s%s-r%d.%s", n.Cloud, n.PointRelease(), n.Arch, n.Firmware, n.Bootstrap, machine, n.Revision, n.Format)
}

// Branch returns the release branch, e.g. "3.22".
func (n ImageName) Branch() string { return fmt.Sprintf("%d.%d", n.Major, n.Minor) }

// PointRelease returns the point release, e.g. "3.22.1".
func (n ImageName) PointRelease() string { return fmt.Sprintf("%d.%d.%d", n.Major, n.Minor, n.Patch) }

// Version returns the build identifier fetchd records, e.g. "3.22.1-r0".
func (n ImageName) Version() string { return fmt.Sprintf("%s-r%d", n.PointRelease(), n.Revision) }

// Newer reports whether n is a newer build than o: a higher point release,
// or the same point release with a higher revision.
func (n ImageName) Newer(o ImageName) bool {
	a := [4]int{n.Major, n.Minor, n.Patch, n.Revision}
	b := [4]int{o.Major, o.Minor, o.Patch, o.Revision}
	for i := range a {
		if a[i] != b[i] {
			return a[i] > b[i]
		}
	}
	return false
}
