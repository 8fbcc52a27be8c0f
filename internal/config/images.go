package config

import (
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/sandlabx/fetchd/sdk/checksum"
)

var imageKeys = []string{"source", "release", "arch", "variant", "url", "checksum", "format", "update", "ref", "hold", "retain", "mirrors"}

// checksumFilePrefix introduces a checksum file URL in an image's checksum.
const checksumFilePrefix = "file:"

func (p *parser) images(n *yaml.Node, global Policy) ([]Image, error) {
	var out []Image
	folded := map[string]*yaml.Node{} // case-folded name → key node
	err := p.mapping(n, "images", nil, func(name string, k, v *yaml.Node) error {
		if err := CheckImageName(name); err != nil {
			return p.errAt(k, "images", "invalid image name %q: %v", shorten(name, 60), err)
		}
		if prev, ok := folded[foldName(name)]; ok {
			return p.errAt(k, "images", "image names %q and %q (line %d) differ only in case; the image directory may be on a case-insensitive file system", name, prev.Value, prev.Line)
		}
		folded[foldName(name)] = k
		im, err := p.image(name, k, v, global)
		if err != nil {
			return err
		}
		out = append(out, im)
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, err
}

func (p *parser) image(name string, k, v *yaml.Node, global Policy) (Image, error) {
	path := child("images", name)
	im := Image{Name: name, Update: global, Retain: retainUnset, Line: k.Line}
	if isNull(v) {
		return im, p.errAt(v, path, "needs either source (a source plugin) or url (a direct download)")
	}
	keyAt := map[string]*yaml.Node{} // which keys were given, for messages
	var mirrors *yaml.Node
	err := p.mapping(v, path, imageKeys, func(key string, kn, v *yaml.Node) error {
		keyAt[key] = kn
		kpath := child(path, key)
		var err error
		switch key {
		case "source":
			if im.Source, err = p.str(v, kpath); err == nil && !ValidSourceName(im.Source) {
				err = p.errAt(v, kpath, "invalid source name %q: want lowercase letters, digits and -, starting with a letter or digit", shorten(im.Source, 40))
			}
		case "release":
			im.Release, err = p.word(v, kpath)
		case "arch":
			im.Arch, err = p.word(v, kpath)
		case "variant":
			im.Variant, err = p.word(v, kpath)
		case "url":
			if im.URL, err = p.str(v, kpath); err == nil {
				if cerr := checkURL(im.URL, true); cerr != nil {
					err = p.errAt(v, kpath, "%v", cerr)
				}
			}
		case "checksum":
			err = p.checksum(v, kpath, &im)
		case "format":
			var f string
			if f, err = p.str(v, kpath); err == nil {
				if f != FormatQCOW2 && f != FormatRaw {
					err = p.errAt(v, kpath, "want qcow2 or raw, got %q", shorten(f, 40))
				}
				im.Format = f
			}
		case "update":
			im.Update, err = p.policy(v, kpath)
		case "ref":
			im.Ref, err = p.ociRef(v, kpath)
		case "hold":
			im.Hold, err = p.boolean(v, kpath)
		case "retain":
			im.Retain, err = p.retain(v, kpath)
		case "mirrors":
			mirrors = v // after url, wherever it is
		}
		return err
	})
	if err != nil {
		return im, err
	}
	if mirrors != nil {
		if im.Source != "" {
			return im, p.errAt(keyAt["mirrors"], path, "mirrors is only for url images; a source image's mirrors go under sources.%s.mirrors", im.Source)
		}
		if im.Mirrors, err = p.mirrors(mirrors, child(path, "mirrors"), true, im.URL); err != nil {
			return im, err
		}
	}
	return im, p.checkImage(&im, path, k, keyAt)
}

// checkImage enforces the rules that relate an image's keys to each other.
func (p *parser) checkImage(im *Image, path string, k *yaml.Node, keyAt map[string]*yaml.Node) error {
	switch {
	case im.Source == "" && im.URL == "":
		return p.errAt(k, path, "needs either source (a source plugin) or url (a direct download)")
	case im.Source != "" && im.URL != "":
		return p.errAt(keyAt["url"], path, "has both source and url; use one")
	case keyAt["ref"] != nil && !im.IsOCI():
		return p.errAt(keyAt["ref"], path, "ref is only for source: oci images (installed from an OCI registry)")
	case im.IsOCI():
		for _, key := range []string{"release", "arch", "variant", "checksum", "format"} {
			if kn := keyAt[key]; kn != nil {
				return p.errAt(kn, path, "%s is not used by source oci: the build's provenance in the registry says it, and fetchd checks the bytes itself", key)
			}
		}
	case im.Source != "":
		for _, key := range []string{"checksum", "format"} {
			if kn := keyAt[key]; kn != nil {
				return p.errAt(kn, path, "%s is only for url images; the %s plugin finds the image's %s", key, im.Source, key)
			}
		}
		if im.Release == "" {
			return p.errAt(k, path, "a source image needs a release (e.g. release: \"24.04\"; fetchd list-sources shows them)")
		}
	default: // url image
		for _, key := range []string{"release", "arch", "variant"} {
			if kn := keyAt[key]; kn != nil {
				return p.errAt(kn, path, "%s is only for source images; a url image is downloaded as is", key)
			}
		}
		if keyAt["checksum"] == nil {
			return p.errAt(k, path, "a url image needs a checksum (sha256:<hex>, or file:<URL of a SHA256SUMS-style file>)")
		}
		if im.Format == "" {
			im.Format = FormatQCOW2
		}
	}
	return nil
}

// word reads a release, arch or variant exactly as written.
func (p *parser) word(v *yaml.Node, path string) (string, error) {
	s, err := p.text(v, path)
	if err != nil {
		return "", err
	}
	if err := checkWord(s); err != nil {
		return "", p.errAt(v, path, "%v", err)
	}
	return s, nil
}

func (p *parser) checksum(v *yaml.Node, path string, im *Image) error {
	s, err := p.str(v, path)
	if err != nil {
		return err
	}
	if u, ok := strings.CutPrefix(s, checksumFilePrefix); ok {
		if err := checkURL(u, true); err != nil {
			return p.errAt(v, path, "checksum file: %v", err)
		}
		im.ChecksumFileURL = u
		return nil
	}
	d, err := checksum.ParseDigest(s)
	if err != nil {
		return p.errAt(v, path, "%v (or file:<URL of a checksum file>)", err)
	}
	im.Checksum = d
	return nil
}
