package replica

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// pastReleases are the releases the real released stream still lists long
// after their end of support, with the architectures they were built for.
var pastReleases = []struct{ version, codename string }{
	{"12.04", "precise"}, {"14.04", "trusty"}, {"16.04", "xenial"}, {"16.10", "yakkety"},
	{"17.04", "zesty"}, {"17.10", "artful"}, {"18.10", "cosmic"}, {"19.04", "disco"},
	{"19.10", "eoan"}, {"20.10", "groovy"}, {"21.04", "hirsute"}, {"21.10", "impish"},
	{"22.10", "kinetic"}, {"23.04", "lunar"}, {"23.10", "mantic"}, {"24.10", "oracular"},
	{"25.04", "plucky"}, {"25.10", "questing"},
}

// historyItems are the items of one old build, as the real stream lists
// them (each with path, sha256, md5 and size).
var historyItems = []struct{ ftype, suffix string }{
	{"disk1.img", ".img"}, {"root.tar.xz", "-root.tar.xz"}, {"manifest", ".manifest"},
	{"lxd.tar.xz", "-lxd.tar.xz"}, {"squashfs", ".squashfs"}, {"squashfs.manifest", ".squashfs.manifest"},
	{"vmdk", ".vmdk"}, {"ova", ".ova"}, {"tar.gz", ".tar.gz"},
}

// addHistory adds past releases and n older serials per product (see
// Options.History). Digests and sizes are derived from the path, so the
// document is the same on every run.
func addHistory(products obj, spec streamSpec, now time.Time, n int) {
	for _, r := range pastReleases {
		for _, arch := range []string{"amd64", "arm64", "armhf", "ppc64el", "s390x"} {
			id := spec.prefix + ":" + r.version + ":" + arch
			products[id] = obj{
				"aliases": r.version + "," + r.codename[:1] + "," + r.codename, "arch": arch, "os": "ubuntu",
				"release": r.codename, "release_codename": strings.ToUpper(r.codename[:1]) + r.codename[1:],
				"release_title": r.version, "support_eol": "2020-01-01", "supported": false,
				"version": r.version, "versions": obj{},
			}
		}
	}
	for id, p := range products {
		p := p.(obj)
		versions := p["versions"].(obj)
		rel, arch, codename := p["version"].(string), p["arch"].(string), p["release"].(string)
		for i := 1; i <= n; i++ {
			serial := now.AddDate(0, 0, -400-7*i).Format("20060102")
			if i%5 == 0 {
				serial += ".1" // a respin
			}
			dir := fmt.Sprintf("server/releases/%s/release-%s", codename, serial)
			items := obj{}
			for _, it := range historyItems {
				path := dir + "/ubuntu-" + rel + "-server-cloudimg-" + arch + it.suffix
				sum := sha256.Sum256([]byte(id + path))
				items[it.ftype] = obj{
					"ftype": it.ftype, "path": path, "sha256": hex.EncodeToString(sum[:]),
					"md5": hex.EncodeToString(sum[:16]), "size": 300<<20 + int(sum[0])<<12,
				}
			}
			versions[serial] = obj{
				"items": items, "label": spec.label,
				"pubname": fmt.Sprintf("ubuntu-%s-%s-%s-server-%s", codename, rel, arch, serial),
			}
		}
	}
}
