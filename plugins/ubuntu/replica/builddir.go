package replica

import (
	"bytes"
	"cmp"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"time"

	"github.com/sandlabx/fetchd/internal/replica"
	"github.com/sandlabx/fetchd/sdk/checksum"
	"github.com/sandlabx/fetchd/sdk/version"
)

// buildDir is one build directory: releases/<codename>/release-<serial>/
// or <codename>/<serial>/.
type buildDir struct {
	rel     *upRelease
	variant string
	serial  string
	// dir is the directory relative to the replica root.
	dir string
	// mirror is the simplestreams mirror root ("releases" or "daily") and
	// itemDir the directory relative to it, as the stream's item paths name
	// it ("server/releases/noble/release-<serial>").
	mirror, itemDir string
	made            time.Time
	files           map[string][]file // by architecture
}

// file is one file of a build directory.
type file struct {
	name   string
	ftype  string // simplestreams ftype, "" when the stream does not list it
	sha256 string
	md5    string
	size   int64
}

// prefix is the part of the directory's file names before "-<arch>".
func (d *buildDir) prefix() string {
	if d.variant == Server {
		return "ubuntu-" + d.rel.version + "-server-cloudimg"
	}
	return d.rel.codename + "-server-cloudimg"
}

func (d *buildDir) imageName(arch string) string { return d.prefix() + "-" + arch + ".img" }

// build returns the Build of arch in this directory.
func (d *buildDir) build(arch string) (Build, bool) {
	for _, f := range d.files[arch] {
		if f.ftype != "disk1.img" {
			continue
		}
		base := d.mirror + "/" + d.itemDir
		return Build{
			Release:  d.rel.version,
			Arch:     arch,
			Variant:  d.variant,
			Path:     base + "/" + f.name,
			SumsPath: base + "/SHA256SUMS",
			Dir:      d.dir,
			FileName: f.name,
			Version:  d.serial,
			Digest:   checksum.Digest{Algorithm: checksum.SHA256, Hex: f.sha256},
			Size:     f.size,
		}, true
	}
	return Build{}, false
}

// addDir writes a build directory with every architecture of r the options
// do not omit, with its SHA256SUMS, MD5SUMS and SHA256SUMS.gpg, and records
// it. Streams, links and listings are written by the caller.
func (l *Layout) addDir(r *upRelease, variant, serial string) error {
	made, err := time.Parse("20060102", serial[:8])
	if err != nil {
		return fmt.Errorf("replica: serial %q: %w", serial, err)
	}
	d := &buildDir{rel: r, variant: variant, serial: serial, made: made.Add(6 * time.Hour), files: map[string][]file{}}
	extras := releaseExtras
	if variant == Server {
		d.dir = "releases/" + r.codename + "/release-" + serial
		d.mirror, d.itemDir = "releases", "server/releases/"+r.codename+"/release-"+serial
	} else {
		extras = dailyExtras
		d.dir = r.codename + "/" + serial
		d.mirror, d.itemDir = "daily", "server/"+r.codename+"/"+serial
	}
	for _, arch := range r.arches {
		if l.omitted(r.version, arch, variant) {
			continue
		}
		name := d.imageName(arch)
		var data []byte
		if l.opts.Content != nil {
			if data, err = l.opts.Content(name); err != nil {
				return fmt.Errorf("replica: content of %s: %w", name, err)
			}
		} else {
			data = replica.FakeImage(d.dir+"/"+name, 4096)
		}
		if err := l.addFile(d, arch, name, "disk1.img", data); err != nil {
			return err
		}
		for _, x := range extras {
			if x.only != nil && !slices.Contains(x.only, arch) {
				continue
			}
			name := d.prefix() + "-" + arch + x.suffix
			if err := l.addFile(d, arch, name, x.ftype, replica.FakeImage(d.dir+"/"+name, 200)); err != nil {
				return err
			}
		}
	}
	if err := l.writeSums(d); err != nil {
		return err
	}
	l.dirs = append(l.dirs, d)
	return nil
}

func (l *Layout) addFile(d *buildDir, arch, name, ftype string, data []byte) error {
	if err := replica.WriteFile(l.root, d.dir+"/"+name, data, d.made); err != nil {
		return fmt.Errorf("replica: %w", err)
	}
	s, m := sha256.Sum256(data), md5.Sum(data)
	d.files[arch] = append(d.files[arch], file{name: name, ftype: ftype, sha256: hex.EncodeToString(s[:]), md5: hex.EncodeToString(m[:]), size: int64(len(data))})
	return nil
}

// writeSums writes SHA256SUMS and MD5SUMS as upstream does ("<hex>
// *<name>", sorted by digest) and signs SHA256SUMS.
func (l *Layout) writeSums(d *buildDir) error {
	var all []file
	for _, fs := range d.files {
		all = append(all, fs...)
	}
	for _, sum := range []struct {
		name string
		hex  func(file) string
	}{
		{"SHA256SUMS", func(f file) string { return f.sha256 }},
		{"MD5SUMS", func(f file) string { return f.md5 }},
	} {
		slices.SortFunc(all, func(a, b file) int { return cmp.Or(cmp.Compare(sum.hex(a), sum.hex(b)), cmp.Compare(a.name, b.name)) })
		var b bytes.Buffer
		for _, f := range all {
			fmt.Fprintf(&b, "%s *%s\n", sum.hex(f), f.name)
		}
		if err := replica.WriteFile(l.root, d.dir+"/"+sum.name, b.Bytes(), d.made); err != nil {
			return fmt.Errorf("replica: %w", err)
		}
		if sum.name == "SHA256SUMS" {
			sig := l.key.SignDetached(b.Bytes(), l.opts.ArmoredSignatures)
			if err := replica.WriteFile(l.root, d.dir+"/SHA256SUMS.gpg", sig, d.made); err != nil {
				return fmt.Errorf("replica: %w", err)
			}
		}
	}
	return nil
}

// newest returns the newest directory of r and variant.
func (l *Layout) newest(r *upRelease, variant string) *buildDir {
	var best *buildDir
	for _, d := range l.dirs {
		if d.rel == r && d.variant == variant && (best == nil || version.Compare(d.serial, best.serial) > 0) {
			best = d
		}
	}
	return best
}

// parentDir is where a release's build directories are.
func parentDir(r *upRelease, variant string) string {
	if variant == Server {
		return "releases/" + r.codename
	}
	return r.codename
}
