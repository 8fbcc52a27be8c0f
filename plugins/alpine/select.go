package alpine

import (
	"fmt"
	"slices"
	"strings"

	"github.com/sandlabx/fetchd/sdk/listing"
	"github.com/sandlabx/fetchd/sdk/version"
)

// Choice is the outcome of looking for one variant in a listing.
type Choice struct {
	// Image is the newest matching image and Entry its listing entry;
	// Found is false when nothing matched.
	Image ImageName
	Entry listing.Entry
	Found bool

	// For the message when nothing matched: the variants the listing does
	// have for the architecture (default machine type, qcow2), and how many
	// file names did not parse.
	Others   []string
	Unparsed int
}

// Choose picks the newest image of variant v for arch from a listing: the
// highest point release, then the highest revision, among the names that
// parse, are of v's cloud, firmware and bootstrap, the default machine type
// and format qcow2, and, when branch is not empty, of that branch (e.g.
// "3.22"; images of other branches in the directory are ignored). Checksum
// and signature files, other formats, other clouds and machine-suffixed
// names are skipped.
func Choose(entries []listing.Entry, v Variant, arch, branch string) Choice {
	var c Choice
	others := map[string]bool{}
	for _, e := range entries {
		n, err := ParseFileName(e.Name)
		if err != nil {
			c.Unparsed++
			continue
		}
		if branch != "" && n.Branch() != branch {
			continue
		}
		if !v.Matches(n, arch) {
			if n.Arch == arch && n.Machine == "" && n.Format == "qcow2" && contains(clouds, n.Cloud) {
				others[Variant{n.Cloud, n.Firmware, n.Bootstrap}.String()] = true
			}
			continue
		}
		if !c.Found || n.Newer(c.Image) {
			c.Image, c.Entry, c.Found = n, e, true
		}
	}
	for o := range others {
		c.Others = append(c.Others, o)
	}
	slices.Sort(c.Others)
	return c
}

// notFound says why no image matched, for an error wrapping ErrNotFound.
func (c Choice) notFound(v Variant, arch, branch, dirURL string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "no %s image for %s in %s", v, arch, dirURL)
	if len(c.Others) > 0 {
		fmt.Fprintf(&b, " (for %s it has: %s)", arch, strings.Join(c.Others, ", "))
	} else {
		fmt.Fprintf(&b, " (it has no nocloud or generic qcow2 image for %s)", arch)
	}
	if v.Cloud == "generic" && branch != "" && version.Compare(branch, "3.20") < 0 {
		b.WriteString("; generic images are published from 3.20 on")
	}
	if c.Unparsed > 0 {
		fmt.Fprintf(&b, "; %d file names there do not follow <cloud>_alpine-<x.y.z>-<arch>-<firmware>-<bootstrap>-r<N>.<format>: has upstream renamed its images?", c.Unparsed)
	}
	return b.String()
}

// listed reports whether name is in entries.
func listed(entries []listing.Entry, name string) bool {
	for _, e := range entries {
		if e.Name == name {
			return true
		}
	}
	return false
}
