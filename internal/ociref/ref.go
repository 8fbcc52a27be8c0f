// Package ociref reads references to OCI registries as the operator writes
// them in the config and on the command line. It is a leaf package so that
// the config can check references without depending on the registry
// client (internal/oci).
package ociref

import (
	"fmt"
	"path"
	"regexp"
	"strings"

	"oras.land/oras-go/v2/registry"
)

// Ref names a repository in a registry, and optionally a tag or a digest
// in it: "[http://|https://]host[:port]/path[:tag|@sha256:<hex>]".
type Ref struct {
	// Registry is "host[:port]".
	Registry string
	// Repository is the path inside the registry, e.g. "images/alpine-3".
	Repository string
	// Tag or Digest, at most one of them; both empty for a bare repository.
	Tag    string
	Digest string
	// PlainHTTP is true when the operator wrote the reference as http://.
	// Everything else is TLS.
	PlainHTTP bool
}

// MaxRefBytes bounds a reference.
const MaxRefBytes = 1024

// Parse parses a reference as the operator writes it. A scheme other
// than http:// or https:// is refused; without one, TLS is used.
func Parse(s string) (Ref, error) {
	if len(s) > MaxRefBytes {
		return Ref{}, fmt.Errorf("reference is longer than %d bytes", MaxRefBytes)
	}
	rest, plain := s, false
	switch {
	case strings.HasPrefix(s, "http://"):
		rest, plain = s[len("http://"):], true
	case strings.HasPrefix(s, "https://"):
		rest = s[len("https://"):]
	case strings.Contains(s, "://"):
		return Ref{}, fmt.Errorf("reference %q: only http:// and https:// (the default) are allowed", s)
	}
	if !strings.Contains(rest, "/") {
		return Ref{}, fmt.Errorf("reference %q: want REGISTRY/REPOSITORY[:TAG|@DIGEST]", s)
	}
	r, err := registry.ParseReference(rest)
	if err != nil {
		return Ref{}, fmt.Errorf("reference %q: %w", s, err)
	}
	out := Ref{Registry: r.Registry, Repository: r.Repository, PlainHTTP: plain}
	if r.Reference != "" {
		if _, derr := r.Digest(); derr == nil {
			out.Digest = r.Reference
		} else {
			out.Tag = r.Reference
		}
	}
	if strings.Contains(rest, "@") && out.Digest == "" {
		return Ref{}, fmt.Errorf("reference %q: tag and digest together are not supported", s)
	}
	return out, nil
}

// Repo returns "host[:port]/repository".
func (r Ref) Repo() string { return r.Registry + "/" + r.Repository }

// String returns the reference as ParseRef reads it.
func (r Ref) String() string {
	s := r.Repo()
	switch {
	case r.Digest != "":
		s += "@" + r.Digest
	case r.Tag != "":
		s += ":" + r.Tag
	}
	if r.PlainHTTP {
		s = "http://" + s
	}
	return s
}

// WithTag returns r naming tag.
func (r Ref) WithTag(tag string) Ref { r.Tag, r.Digest = tag, ""; return r }

// WithDigest returns r naming the digest d.
func (r Ref) WithDigest(d string) Ref { r.Tag, r.Digest = "", d; return r }

// Child returns the repository name under r for an image: r's repository
// plus RepositoryName(image).
func (r Ref) Child(image string) (Ref, error) {
	name, err := RepositoryName(image)
	if err != nil {
		return Ref{}, err
	}
	c := Ref{Registry: r.Registry, Repository: r.Repository + "/" + name, PlainHTTP: r.PlainHTTP}
	if _, err := registry.ParseReference(c.Repo()); err != nil {
		return Ref{}, fmt.Errorf("repository for %s: %w", image, err)
	}
	return c, nil
}

var notRepoChars = regexp.MustCompile(`[^a-z0-9]+`)

// RepositoryName is the repository path component for an image file
// name: the name without its extension (.qcow2, .img, .raw), lowercased,
// every run of other characters than a-z and 0-9 made one "-".
// "ubuntu-24-lts.qcow2" → "ubuntu-24-lts", "My_Custom.qcow2" → "my-custom".
func RepositoryName(image string) (string, error) {
	base := strings.ToLower(image)
	switch ext := path.Ext(base); ext {
	case ".qcow2", ".img", ".raw":
		base = strings.TrimSuffix(base, ext)
	}
	name := strings.Trim(notRepoChars.ReplaceAllString(base, "-"), "-")
	if name == "" {
		return "", fmt.Errorf("image name %q gives no repository name (want letters or digits in it)", image)
	}
	return name, nil
}
