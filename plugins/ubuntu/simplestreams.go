package ubuntu

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/sandlabx/fetchd/sdk/checksum"
	"github.com/sandlabx/fetchd/sdk/strictjson"
	"github.com/sandlabx/fetchd/sdk/version"
)

// The simplestreams documents this source reads (streams/v1/index.json and
// the products document it names), reduced to the fields it uses.

type streamIndex struct {
	Format string                `json:"format"`
	Index  map[string]indexEntry `json:"index"`
}

type indexEntry struct {
	DataType string `json:"datatype"`
	Format   string `json:"format"`
	Path     string `json:"path"`
}

type product struct {
	Arch     string                    `json:"arch"`
	Release  string                    `json:"release"`
	Version  string                    `json:"version"`
	Versions map[string]productVersion `json:"versions"`
}

type productVersion struct {
	Label string          `json:"label"`
	Items map[string]item `json:"items"`
}

type item struct {
	FType  string `json:"ftype"`
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

// jsonLimits bound the simplestreams documents: they nest six deep;
// Canonical writes them with Python's json module from dicts, which never
// repeats a key.
var jsonLimits = strictjson.Limits{Depth: 32, Bytes: maxIndexBytes}

// diskFType is the ftype of the qcow2 image.
const diskFType = "disk1.img"

// maxImageSize bounds an item's size: no cloud image is near 1 TiB.
const maxImageSize = 1 << 40

// serialRE is a build serial: a date and an optional respin number.
var serialRE = regexp.MustCompile(`^20[0-9]{6}(\.[0-9]{1,4})?$`)

// parseIndex reads a streams/v1/index.json and returns the path (relative
// to the mirror root) of the products document contentID.
func parseIndex(data []byte, contentID string) (string, error) {
	if err := strictjson.Check(data, jsonLimits); err != nil {
		return "", err
	}
	var idx streamIndex
	if err := json.Unmarshal(data, &idx); err != nil {
		return "", fmt.Errorf("not a simplestreams index: %w", err)
	}
	if idx.Format != "index:1.0" {
		return "", fmt.Errorf("format is %q, want \"index:1.0\"", clip(idx.Format))
	}
	e, ok := idx.Index[contentID]
	if !ok {
		have := make([]string, 0, len(idx.Index))
		for id := range idx.Index {
			have = append(have, clip(id))
		}
		slices.Sort(have)
		return "", fmt.Errorf("no entry %q (it has: %s)", contentID, listOrNone(have))
	}
	if e.DataType != "image-downloads" || e.Format != "products:1.0" {
		return "", fmt.Errorf("entry %q has datatype %q and format %q, want \"image-downloads\" and \"products:1.0\"", contentID, clip(e.DataType), clip(e.Format))
	}
	if err := checkRelPath(e.Path, true); err != nil {
		return "", fmt.Errorf("entry %q: path: %w", contentID, err)
	}
	if !strings.HasSuffix(e.Path, ".json") {
		return "", fmt.Errorf("entry %q: path %q is not a .json document", contentID, clip(e.Path))
	}
	return e.Path, nil
}

// build is one build of a product: what a products document says about
// its qcow2 image.
type build struct {
	serial string
	path   string // relative to the mirror root
	digest checksum.Digest
	size   int64
}

// errNoBuilds: the product has no version with the wanted label.
var errNoBuilds = errors.New("no builds")

// newestBuild returns the newest build of p among the versions labelled
// label (any label when label is ""). Newest is by sdk/version.Compare of the
// serials (20240423.10 is newer than 20240423.9), never by the document's
// key order. The newest build must be complete and consistent; an older
// one is never used instead (that would hide a broken publication behind a
// stale image). It returns errNoBuilds when there is no such version.
func newestBuild(p product, label string) (build, error) {
	var serials []string
	var labels []string
	for serial, v := range p.Versions {
		if !serialRE.MatchString(serial) {
			return build{}, fmt.Errorf("version %q is not a build serial (YYYYMMDD[.N])", clip(serial))
		}
		if label != "" && v.Label != label {
			if l := clip(v.Label); !slices.Contains(labels, l) {
				labels = append(labels, l)
			}
			continue
		}
		serials = append(serials, serial)
	}
	serial, ok := version.Newest(serials)
	if !ok {
		if len(labels) > 0 {
			slices.Sort(labels)
			return build{}, fmt.Errorf("%w labelled %q (only %s)", errNoBuilds, label, strings.Join(quoteAll(labels), ", "))
		}
		return build{}, errNoBuilds
	}
	var found []item
	for _, it := range p.Versions[serial].Items {
		if it.FType == diskFType {
			found = append(found, it)
		}
	}
	switch len(found) {
	case 0:
		return build{}, fmt.Errorf("newest version %s has no %q item", serial, diskFType)
	case 1:
	default:
		return build{}, fmt.Errorf("newest version %s has %d %q items, want one", serial, len(found), diskFType)
	}
	it := found[0]
	d, err := checksum.NewDigest(checksum.SHA256, it.SHA256)
	if err != nil {
		return build{}, fmt.Errorf("version %s: %s item: sha256: %w", serial, diskFType, err)
	}
	if it.Size <= 0 || it.Size > maxImageSize {
		return build{}, fmt.Errorf("version %s: %s item: size %d is out of range", serial, diskFType, it.Size)
	}
	if err := checkRelPath(it.Path, false); err != nil {
		return build{}, fmt.Errorf("version %s: %s item: path: %w", serial, diskFType, err)
	}
	return build{serial: serial, path: it.Path, digest: d, size: it.Size}, nil
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}

func listOrNone(ss []string) string {
	if len(ss) == 0 {
		return "nothing"
	}
	return strings.Join(ss, ", ")
}
