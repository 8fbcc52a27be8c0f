package oci

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/sandlabx/fetchd/internal/ociref"
)

// MovingTag is the tag that follows an image name's newest published build.
const MovingTag = "latest"

// containerDiskSuffix ends the tags of the containerDisk form of a build.
const containerDiskSuffix = "-containerdisk"

var notTagChars = regexp.MustCompile(`[^A-Za-z0-9._-]`)

// BuildTag is the immutable tag of one build: its upstream version with
// every character a tag cannot hold made "_", at most 128 characters,
// e.g. "20261112", "3.22.2-r0", "20261109-2641". A version that cannot
// start a tag is prefixed with "v".
func BuildTag(version string) (string, error) {
	t := notTagChars.ReplaceAllString(version, "_")
	if t == "" {
		return "", fmt.Errorf("build version %q gives no tag", version)
	}
	if t[0] == '.' || t[0] == '-' {
		t = "v" + t
	}
	if len(t) > 128-len(containerDiskSuffix) {
		return "", fmt.Errorf("build version %q is too long for a tag", version)
	}
	return t, nil
}

// ContainerDiskTag is the tag of the containerDisk form of the artifact
// tagged tag.
func ContainerDiskTag(tag string) string { return tag + containerDiskSuffix }

// SignatureTag is the tag under which the signature of the manifest with
// digest d ("sha256:<hex>") is stored: "sha256-<hex>.sig".
func SignatureTag(d string) string { return strings.Replace(d, ":", "-", 1) + ".sig" }

// Ref names a repository, and optionally a tag or digest in it.
type Ref = ociref.Ref

// ParseRef parses a reference as the operator writes it (ociref.Parse).
func ParseRef(s string) (Ref, error) { return ociref.Parse(s) }

// RepositoryName is ociref.RepositoryName.
func RepositoryName(image string) (string, error) { return ociref.RepositoryName(image) }
