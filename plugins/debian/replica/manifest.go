package replica

import (
	"encoding/base64"
	"encoding/json"
)

// file is one published image file of a build.
type file struct {
	name   string // in the build directory
	format string // upload.cloud.debian.org/image-format: qcow2, raw, internal
	digest []byte // sha512
}

// manifest renders an image's JSON manifest as debian-cloud-images writes
// it: a List of one Build item and one Upload item per file (tar.xz, raw,
// qcow2, in that order), keys sorted, four-space indent, no final newline.
// refs are relative to the images/cloud root.
func manifest(t track, vendor, arch, build string, files []file) ([]byte, error) {
	labels := func() map[string]any {
		return map[string]any{
			"cloud.debian.org/vendor":  vendor,
			"cloud.debian.org/version": build,
			"debian.org/arch":          arch,
			"debian.org/dist":          "debian",
			"debian.org/release":       t.rel.codename,
		}
	}
	buildUID := uid(t.dir(), build, vendor, arch)
	items := []any{map[string]any{
		"apiVersion": "cloud.debian.org/v1alpha1",
		"kind":       "Build",
		"metadata":   map[string]any{"labels": labels(), "uid": buildUID},
		"data": map[string]any{
			"info": map[string]any{
				"arch":           arch,
				"build_id":       "cloud-admin-team-master",
				"release":        t.rel.codename,
				"release_baseid": t.rel.number,
				"release_id":     t.rel.number,
				"type":           "official",
				"vendor":         vendor,
				"version":        build,
			},
			"packages": packages(vendor),
		},
	}}
	for _, f := range files {
		l := labels()
		l["upload.cloud.debian.org/image-format"] = f.format
		l["upload.cloud.debian.org/type"] = t.uploadType()
		items = append(items, map[string]any{
			"apiVersion": "cloud.debian.org/v1alpha1",
			"kind":       "Upload",
			"metadata": map[string]any{
				"annotations": map[string]any{
					"cloud.debian.org/digest": "sha512:" + base64.RawStdEncoding.EncodeToString(f.digest),
				},
				"labels": l,
				"uid":    buildUID,
			},
			"data": map[string]any{
				"provider": "cloud.debian.org",
				"ref":      t.dir() + "/" + build + "/" + f.name,
			},
		})
	}
	return json.MarshalIndent(map[string]any{"apiVersion": "v1", "kind": "List", "items": items}, "", "    ")
}

// packages is a short stand-in for the build's package list.
func packages(vendor string) []any {
	p := []any{
		map[string]any{"name": "adduser", "version": "3.152"},
		map[string]any{"name": "apt", "version": "3.0.3"},
	}
	if vendor != "nocloud" {
		p = append(p, map[string]any{"name": "cloud-init", "version": "25.1.4-1"})
	}
	return append(p, map[string]any{"name": "openssh-server", "version": "1:10.0p1-7"})
}
