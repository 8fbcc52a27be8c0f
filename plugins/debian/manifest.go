package debian

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/sandlabx/fetchd/sdk"
	"github.com/sandlabx/fetchd/sdk/strictjson"
)

// The manifest's well-known label and annotation names (debian-cloud-images'
// api/wellknown.py).
const (
	labelImageFormat = "upload.cloud.debian.org/image-format"
	labelVersion     = "cloud.debian.org/version"
	annotationDigest = "cloud.debian.org/digest"
)

// Manifest is what this source reads from one per-image JSON manifest
// (debian-<N>-<variant>-<arch>.json): a Kubernetes-style List whose items
// are one "Build" (the image build, with its package list) and one
// "Upload" per published file (qcow2, raw, and the "internal" tar.xz).
type Manifest struct {
	// Build is the Build item's data.info.
	Build BuildInfo
	// Uploads are the Upload items, in file order.
	Uploads []Upload
}

// BuildInfo is the Build item's data.info; fields upstream leaves out are
// empty.
type BuildInfo struct {
	Version string // the build, e.g. "20250210-2019"
	Arch    string // e.g. "amd64"
	Release string // the codename, e.g. "bookworm"
	Vendor  string // the variant, e.g. "genericcloud"
}

// Upload is one published file.
type Upload struct {
	// Format is the upload.cloud.debian.org/image-format label: "qcow2",
	// "raw", "internal" (the tar.xz), or "" when absent.
	Format string
	// Ref is data.ref, the file's path relative to the images/cloud root
	// (for cloud uploads such as EC2, an image id).
	Ref string
	// Digest is the cloud.debian.org/digest annotation, as written:
	// "sha512:<base64>".
	Digest string
	// Version is the cloud.debian.org/version label, or "".
	Version string
}

// manifestJSON is the wire shape; unknown fields are ignored.
type manifestJSON struct {
	APIVersion *string    `json:"apiVersion"`
	Kind       *string    `json:"kind"`
	Items      []itemJSON `json:"items"`
}

type itemJSON struct {
	Kind     string `json:"kind"`
	Metadata struct {
		Labels      map[string]string `json:"labels"`
		Annotations map[string]string `json:"annotations"`
	} `json:"metadata"`
	Data json.RawMessage `json:"data"`
}

type buildDataJSON struct {
	Info *struct {
		Version string `json:"version"`
		Arch    string `json:"arch"`
		Release string `json:"release"`
		Vendor  string `json:"vendor"`
	} `json:"info"`
}

type uploadDataJSON struct {
	Ref string `json:"ref"`
}

// manifestLimits bound a manifest: real ones are about 100 KiB (the Build
// item lists every package) and nest six deep.
var manifestLimits = strictjson.Limits{Depth: 32, Bytes: maxManifestBytes}

// maxManifestBytes is the largest manifest read: 40 times a real one.
const maxManifestBytes = 4 << 20

// ParseManifest parses a per-image manifest. It refuses anything but a
// well-formed {"apiVersion":"v1","kind":"List","items":[...]} document
// without duplicate keys, with exactly one Build item carrying
// data.info.version. Errors wrap sdk.ErrBadMetadata.
func ParseManifest(data []byte) (*Manifest, error) {
	if err := strictjson.Check(data, manifestLimits); err != nil {
		if errors.Is(err, strictjson.ErrHTML) {
			return nil, fmt.Errorf("not a JSON manifest: looks like an HTML page: %w", sdk.ErrBadMetadata)
		}
		return nil, fmt.Errorf("%v: %w", err, sdk.ErrBadMetadata)
	}
	var doc manifestJSON
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%v: %w", err, sdk.ErrBadMetadata)
	}
	switch {
	case doc.APIVersion == nil || doc.Kind == nil:
		return nil, fmt.Errorf(`no "apiVersion" or "kind": not a Debian cloud image manifest: %w`, sdk.ErrBadMetadata)
	case *doc.APIVersion != "v1" || *doc.Kind != "List":
		return nil, fmt.Errorf(`apiVersion %q kind %q, this plugin reads apiVersion "v1" kind "List": %w`, clip(*doc.APIVersion), clip(*doc.Kind), sdk.ErrBadMetadata)
	}
	m := &Manifest{}
	builds := 0
	for i, it := range doc.Items {
		switch it.Kind {
		case "Build":
			builds++
			var bd buildDataJSON
			if err := unmarshalData(it.Data, &bd); err != nil {
				return nil, fmt.Errorf("items[%d] (Build): data: %v: %w", i, err, sdk.ErrBadMetadata)
			}
			if bd.Info == nil || bd.Info.Version == "" {
				return nil, fmt.Errorf("items[%d] (Build): no data.info.version: %w", i, sdk.ErrBadMetadata)
			}
			m.Build = BuildInfo{Version: bd.Info.Version, Arch: bd.Info.Arch, Release: bd.Info.Release, Vendor: bd.Info.Vendor}
		case "Upload":
			var ud uploadDataJSON
			if err := unmarshalData(it.Data, &ud); err != nil {
				return nil, fmt.Errorf("items[%d] (Upload): data: %v: %w", i, err, sdk.ErrBadMetadata)
			}
			m.Uploads = append(m.Uploads, Upload{
				Format:  it.Metadata.Labels[labelImageFormat],
				Ref:     ud.Ref,
				Digest:  it.Metadata.Annotations[annotationDigest],
				Version: it.Metadata.Labels[labelVersion],
			})
		}
	}
	switch builds {
	case 0:
		return nil, fmt.Errorf(`no "Build" item (%d items): %w`, len(doc.Items), sdk.ErrBadMetadata)
	case 1:
	default:
		return nil, fmt.Errorf(`%d "Build" items, want one: %w`, builds, sdk.ErrBadMetadata)
	}
	return m, nil
}

func unmarshalData(raw json.RawMessage, v any) error {
	if len(raw) == 0 || string(raw) == "null" {
		return fmt.Errorf("missing")
	}
	return json.Unmarshal(raw, v)
}

// Image returns the one Upload of format (e.g. "qcow2"). No such upload
// wraps sdk.ErrNotFound and lists the formats the manifest has; several
// that differ in ref or digest wrap sdk.ErrBadMetadata (identical
// duplicates are one upload).
func (m *Manifest) Image(format string) (Upload, error) {
	var found []Upload
	for _, u := range m.Uploads {
		if u.Format == format && !slices.Contains(found, u) {
			found = append(found, u)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		var have []string
		for _, u := range m.Uploads {
			f := strconv.Quote(clip(u.Format))
			if u.Format == "" {
				f = "(no " + labelImageFormat + " label)"
			}
			if !slices.Contains(have, f) {
				have = append(have, f)
			}
		}
		list := "none"
		if len(have) > 0 {
			list = strings.Join(have, ", ")
		}
		return Upload{}, fmt.Errorf("no Upload item of image format %s (upload formats: %s): %w", format, list, sdk.ErrNotFound)
	}
	refs := make([]string, len(found))
	for i, u := range found {
		refs[i] = fmt.Sprintf("%q (%q)", clip(u.Ref), clip(u.Digest))
	}
	return Upload{}, fmt.Errorf("%d different Upload items of image format %s: %s: %w", len(found), format, strings.Join(refs, ", "), sdk.ErrBadMetadata)
}

// clip shortens s for an error message, keeping it valid UTF-8.
func clip(s string) string {
	const n = 100
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}
