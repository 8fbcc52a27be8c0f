package replica

import "fmt"

// branch is one stable branch in the replica: its point releases, oldest
// first.
type branch struct {
	name   string
	points []int
}

// branches are the branches Write lays out, oldest first; the last is what
// latest-stable holds. Their point releases are chosen for ordering traps:
// 3.19.9 before 3.19.10 (numeric, not lexical), and 3.24.0 before 3.24.1.
var branches = []branch{
	{"3.19", []int{9, 10}},
	{"3.20", []int{7, 8}},
	{"3.21", []int{5, 6}},
	{"3.22", []int{2, 3}},
	{"3.23", []int{1, 2}},
	{"3.24", []int{0, 1}},
}

// Arches and variants as upstream builds them.
var (
	clouds     = []string{"nocloud", "generic"}
	firmwares  = []string{"uefi", "bios"}
	bootstraps = []string{"cloudinit", "tiny"}
)

// built reports whether upstream builds cloud for the branch, arch and
// firmware: generic images exist from 3.20 on, and aarch64 boots UEFI only.
func built(br, cloud, arch, firmware string) bool {
	if cloud == "generic" && br == "3.19" {
		return false
	}
	return arch == "x86_64" || firmware == "uefi"
}

// revisions are the image revisions written for one variant of one point
// release. Rebuilds (rN) make the traps: an older point release with a
// higher revision than the newest (3.22.2-r2 vs 3.22.3-r0), r1 after r0,
// and r10 after r9 (3.22.3 x86_64 bios-tiny).
func revisions(br string, latestPoint bool, arch, firmware, bootstrap string) []int {
	switch {
	case !latestPoint && firmware == "uefi" && bootstrap == "tiny":
		return []int{0, 1, 2}
	case !latestPoint:
		return []int{0}
	case br == "3.22" && arch == "x86_64" && firmware == "bios" && bootstrap == "tiny":
		return []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	case bootstrap == "cloudinit":
		return []int{0, 1}
	}
	return []int{0}
}

// imageName builds an upstream file name; machine may be empty.
func imageName(cloud, point, arch, firmware, bootstrap, machine string, rev int, format string) string {
	if machine != "" {
		machine = "-" + machine
	}
	return fmt.Sprintf("%s_alpine-%s-%s-%s-%s%s-r%d.%s", cloud, point, arch, firmware, bootstrap, machine, rev, format)
}

// others are the images of the newest point release that a resolver must
// skip: the public clouds' images (other clouds, other formats, one of them
// qcow2) and a bare-metal build with a machine suffix and a higher
// revision. Whether upstream publishes "-metal" images in releases/cloud/
// is unconfirmed; the name follows the grammar of its build configs.
func others(point string) []string {
	var out []string
	for _, arch := range []string{"x86_64", "aarch64"} {
		for _, fw := range firmwares {
			for _, boot := range bootstraps {
				if built("", "aws", arch, fw) {
					out = append(out, imageName("aws", point, arch, fw, boot, "", 0, "vhd"))
				}
			}
		}
		out = append(out, imageName("oci", point, arch, "uefi", "cloudinit", "", 3, "qcow2"))
	}
	out = append(out,
		imageName("azure", point, "x86_64", "uefi", "tiny", "", 0, "vhd"),
		imageName("gcp", point, "x86_64", "uefi", "tiny", "", 0, "raw.tar.gz"),
		imageName("nocloud", point, "x86_64", "uefi", "cloudinit", "metal", 4, "qcow2"),
	)
	return out
}
