package alpine

import (
	"fmt"
	"strings"
)

// Variant is one flavour of Alpine cloud image, named
// "<cloud>-<firmware>-<bootstrap>", e.g. "nocloud-uefi-cloudinit". It
// always means the default machine type (a VM): images with a machine
// suffix in their name (e.g. "-metal") are never picked.
type Variant struct {
	Cloud     string // nocloud, generic
	Firmware  string // bios, uefi
	Bootstrap string // cloudinit, tiny
}

var (
	clouds = []string{"nocloud", "generic"}
	// firmwares lists uefi first: it is the default and the only one on
	// aarch64.
	firmwares  = []string{"uefi", "bios"}
	bootstraps = []string{"cloudinit", "tiny"}
)

// ParseVariant parses a variant name of Describe's list.
func ParseVariant(name string) (Variant, error) {
	parts := strings.Split(name, "-")
	if len(parts) != 3 {
		return Variant{}, fmt.Errorf("variant %q: want <cloud>-<firmware>-<bootstrap>, e.g. nocloud-uefi-cloudinit", name)
	}
	v := Variant{Cloud: parts[0], Firmware: parts[1], Bootstrap: parts[2]}
	for _, c := range []struct {
		what, got string
		have      []string
	}{{"cloud", v.Cloud, clouds}, {"firmware", v.Firmware, firmwares}, {"bootstrap", v.Bootstrap, bootstraps}} {
		if !contains(c.have, c.got) {
			return Variant{}, fmt.Errorf("variant %q: %s %q is not one of %s", name, c.what, c.got, strings.Join(c.have, ", "))
		}
	}
	return v, nil
}

// String returns the variant's name.
func (v Variant) String() string { return v.Cloud + "-" + v.Firmware + "-" + v.Bootstrap }

// Matches reports whether the image n is this variant for arch, of the
// default machine type, in qcow2.
func (v Variant) Matches(n ImageName, arch string) bool {
	return n.Cloud == v.Cloud && n.Firmware == v.Firmware && n.Bootstrap == v.Bootstrap &&
		n.Arch == arch && n.Machine == "" && n.Format == "qcow2"
}

func allVariants() []Variant {
	var out []Variant
	for _, c := range clouds {
		for _, f := range firmwares {
			for _, b := range bootstraps {
				out = append(out, Variant{c, f, b})
			}
		}
	}
	return out
}

func (v Variant) summary() string {
	var s []string
	switch v.Cloud {
	case "nocloud":
		s = append(s, "NoCloud (local seed: QEMU, libvirt)")
	case "generic":
		s = append(s, "generic (any cloud's metadata service; from 3.20)")
	}
	s = append(s, map[string]string{"uefi": "UEFI boot", "bios": "BIOS boot (x86_64 only)"}[v.Firmware])
	s = append(s, map[string]string{"cloudinit": "cloud-init", "tiny": "tiny-cloud"}[v.Bootstrap])
	return strings.Join(s, ", ")
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
