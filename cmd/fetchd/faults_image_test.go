package main

// Image faults, end to end: a crafted image is served as a direct-URL image
// with its correct sha256 in the config, so the digest passes and the
// inspection (the pure-Go qcow2 header check, the format probe, qemu-img)
// must refuse it. Each case has two images with the crafted bytes: one
// never installed before ("fresh") and one whose good copy was installed
// by an earlier sync and whose upstream bytes and checksum then changed to
// the crafted ones ("prev"): that good copy must stay byte-for-byte intact.
// Subtest names stay short: each world's plugin sockets live under a
// directory named after the test, and a Unix socket path must fit in 108
// bytes.

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sandlabx/fetchd/internal/testutil"
)

// imageFault is one crafted image; its case name starts the names of its
// two images.
type imageFault struct {
	// format is what the config announces: "qcow2" (the default) or "raw".
	format string
	// craft returns the bad bytes; dir is a scratch directory.
	craft func(t *testing.T, f *faultWorld, dir string) []byte
	// cause is a substring the error line of each image must contain.
	cause string
	// setup, if set, runs after the good copy is installed and before the
	// faulty sync (to install a fake qemu-img, say).
	setup func(t *testing.T, f *faultWorld, dir string)
	// after, if set, runs after the faulty sync's checks.
	after func(t *testing.T, f *faultWorld, res runResult)
}

// imgPatchQcow2 returns a fresh valid qcow2 image from the factory (what
// `qemu-img create -f qcow2 x 64M` writes: version 3, 64 KiB clusters,
// header_length 112, a feature name table extension at 0x70 of 0x180
// bytes, the end marker at 0x1f8, refcount table at 0x10000, refcount
// block at 0x20000, L1 table at 0x30000) changed by patch.
func imgPatchQcow2(patch func(b []byte)) func(*testing.T, *faultWorld, string) []byte {
	return func(t *testing.T, f *faultWorld, _ string) []byte {
		b := f.factory.Next()
		if len(b) < 0x30000 || binary.BigEndian.Uint32(b[0x70:]) != 0x6803f857 || binary.BigEndian.Uint32(b[0x74:]) != 0x180 {
			t.Fatalf("the factory's qcow2 image does not have the expected layout (%d bytes)", len(b))
		}
		patch(b)
		return b
	}
}

// imgQemuCreate returns an image made by the real `qemu-img create -f qcow2
// args... <file> 64M`.
func imgQemuCreate(args ...string) func(*testing.T, *faultWorld, string) []byte {
	return func(t *testing.T, _ *faultWorld, dir string) []byte {
		expanded := make([]string, len(args))
		for i, a := range args {
			expanded[i] = strings.ReplaceAll(a, "$DIR", dir)
		}
		p := testutil.MakeQcow2(t, dir, "crafted.qcow2", 64, expanded...)
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
}

// imgRaw is a 1 MiB raw disk image carrying no format signature.
func imgRaw(tag string) []byte {
	b := make([]byte, 1<<20)
	copy(b, fmt.Sprintf("fetchd fault suite raw disk %s %d\n", tag, time.Now().UnixNano()))
	return b
}

var imgBE = binary.BigEndian

var imageFaults = map[string]imageFault{
	"backing-file": {
		craft: func(t *testing.T, f *faultWorld, dir string) []byte {
			testutil.MakeImage(t, "raw", dir, "base.raw", 1)
			return imgQemuCreate("-b", filepath.Join("$DIR", "base.raw"), "-F", "raw")(t, f, dir)
		},
		cause: "unsafe qcow2 header: backing file set (offset 0x",
	},
	"data-file": {
		craft: imgQemuCreate("-o", "data_file=$DIR/crafted.data"),
		cause: "unsafe qcow2 header: incompatible_features 0x4 (external data file bit): images with an external data file are refused",
	},
	"luks": {
		craft: imgQemuCreate("--object", "secret,id=sec0,data=fault-suite",
			"-o", "encrypt.format=luks,encrypt.key-secret=sec0,encrypt.iter-time=10"),
		cause: "unsafe qcow2 header: crypt_method 2 (LUKS): encrypted images are refused",
	},
	"corrupt-bit": {
		craft: imgPatchQcow2(func(b []byte) { b[79] |= 1 << 1 }),
		cause: "incompatible_features 0x2 (corrupt bit): the image is marked corrupt",
	},
	"unknown-bit": {
		craft: imgPatchQcow2(func(b []byte) { b[79] |= 1 << 5 }),
		cause: "incompatible_features 0x20 (unknown bits 0x20): unknown incompatible features are refused",
	},
	"version-1": {
		craft: imgPatchQcow2(func(b []byte) { imgBE.PutUint32(b[4:], 1) }),
		cause: `announced format qcow2 but the content is qcow (magic "QFI\xfb" at offset 0x0)`,
	},
	"version-4": {
		craft: imgPatchQcow2(func(b []byte) { imgBE.PutUint32(b[4:], 4) }),
		cause: "unsafe qcow2 header: version 4: only qcow2 versions 2 and 3 are accepted",
	},
	"hdrlen-small": {
		craft: imgPatchQcow2(func(b []byte) { imgBE.PutUint32(b[100:], 96) }),
		cause: "unsafe qcow2 header: header_length 96: must be at least 104 for version 3",
	},
	"hdrlen-big": {
		craft: imgPatchQcow2(func(b []byte) { imgBE.PutUint32(b[100:], 0x10008) }),
		cause: "unsafe qcow2 header: header_length 65544: must not exceed the cluster size 65536",
	},
	"ext-oversized": {
		// The feature name table claims 2 GiB.
		craft: imgPatchQcow2(func(b []byte) { imgBE.PutUint32(b[0x74:], 0x7ffffff8) }),
		cause: "header extension 0x6803f857 at 0x70 with length 2147483640 runs past the first cluster",
	},
	"ext-repeated": {
		// A second, empty feature name table where the end marker was.
		craft: imgPatchQcow2(func(b []byte) { imgBE.PutUint32(b[0x1f8:], 0x6803f857) }),
		cause: "header extension 0x6803f857 repeated at 0x1f8: each header extension may appear once",
	},
	"raw-as-qcow2": {
		craft: func(*testing.T, *faultWorld, string) []byte { return imgRaw("announced as qcow2") },
		cause: "announced format qcow2 but the content is raw",
	},
	"qcow2-as-raw": {
		format: "raw",
		craft:  func(_ *testing.T, f *faultWorld, _ string) []byte { return f.factory.Next() },
		cause:  `announced format raw but the content is qcow2 (magic "QFI\xfb" at offset 0x0)`,
	},
	"iso-polyglot": {
		craft: imgPatchQcow2(func(b []byte) {
			b[0x8000] = 1 // a primary volume descriptor
			copy(b[0x8001:], "CD001\x01")
		}),
		cause: `announced format qcow2 but the content is also iso9660 (signature "CD001" at offset 0x8001): polyglot images are refused`,
	},
	"check-corrupt": {
		// Cluster 0 (the header) gets refcount 0 in the refcount block:
		// the header is fine, qemu-img info is fine, check exits 2.
		craft: imgPatchQcow2(func(b []byte) { imgBE.PutUint16(b[0x20000:], 0) }),
		cause: "qemu-img check: image is corrupt (1 corruptions)",
	},
	"qemu-hang": {
		craft: func(_ *testing.T, f *faultWorld, _ string) []byte { return f.factory.Next() },
		setup: func(t *testing.T, f *faultWorld, dir string) {
			bin := filepath.Join(dir, "bin")
			if err := os.MkdirAll(bin, 0o755); err != nil {
				t.Fatal(err)
			}
			// The fake's command line names the image (the harness finds
			// what is left by it); so does its child tail, and its sleep
			// carries a marker this test looks for.
			script := fmt.Sprintf("#!/bin/sh\n# a qemu-img that never answers\nfor last; do :; done\ntail -c0 -f \"$last\" &\nsleep %s &\nwait\n", imgHangMarker(f))
			if err := os.WriteFile(filepath.Join(bin, "qemu-img"), []byte(script), 0o755); err != nil {
				t.Fatal(err)
			}
			f.env = append(f.env, "PATH="+bin+":"+os.Getenv("PATH"), "FETCHD_TEST_QEMU_TIMEOUT=2s")
		},
		cause: "qemu-img info: timed out after 2s (process group killed)",
		after: func(t *testing.T, f *faultWorld, res runResult) {
			// The messages do not name the partial file; the JSON
			// document names the whole command. Nothing the fake started
			// is left (the harness has looked for its tail).
			if strings.Contains(res.stderr, ".fetchd/partial") {
				t.Errorf("stderr names a partial file:\n%s", res.stderr)
			}
			if n := strings.Count(res.stdout, "/bin/qemu-img info --output=json -f qcow2 "+f.images+"/.fetchd/partial/sha256-"); n != 4 { // error and error_detail
				t.Errorf("the qemu-img info command is named %d times in the JSON document, want 4:\n%s", n, res.stdout)
			}
			deadline := time.Now().Add(5 * time.Second)
			for left := imgProcessesNaming(imgHangMarker(f)); len(left) > 0; left = imgProcessesNaming(imgHangMarker(f)) {
				if time.Now().After(deadline) {
					t.Errorf("the fake qemu-img's sleep is still running: %s", strings.Join(left, "; "))
					break
				}
				time.Sleep(100 * time.Millisecond)
			}
		},
	},
}

// imgHangMarker is the argument of the hanging fake's sleep: seconds enough
// to outlive the test, with a fraction unique to the world.
func imgHangMarker(f *faultWorld) string {
	return fmt.Sprintf("3600.%d", crc32.ChecksumIEEE([]byte(f.root)))
}

// TestFaultImage runs every crafted image case. The cases that only serve
// bytes share one world (each has its own image names, so they cannot
// affect each other, and one world instead of fifteen keeps the suite
// fast); the hanging qemu-img replaces qemu-img for the whole run, so it
// has a world of its own.
func TestFaultImage(t *testing.T) {
	t.Parallel()
	groups := map[string]map[string]imageFault{"crafted": {}, "qemu-hang": {}}
	for name, tc := range imageFaults {
		if tc.setup != nil {
			groups[name] = map[string]imageFault{name: tc}
			continue
		}
		groups["crafted"][name] = tc
	}
	for name, cases := range groups {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			runImageFaults(t, cases)
		})
	}
}

// imgNames are the two images of a case: prev (a good copy installed
// first) and fresh (never installed).
func imgNames(name string, tc imageFault) (prev, fresh, format string) {
	format, ext := "qcow2", ".qcow2"
	if tc.format == "raw" {
		format, ext = "raw", ".img"
	}
	return name + "-prev" + ext, name + "-fresh" + ext, format
}

func runImageFaults(t *testing.T, cases map[string]imageFault) {
	f := newFaultWorld(t)
	dir := t.TempDir()
	line := func(name, u, sum, format, extra string) string {
		return fmt.Sprintf("  %s: {url: %q, checksum: \"sha256:%s\", format: %s%s}\n", name, u, sum, format, extra)
	}

	// A good copy of each prev image is installed first.
	var prevs []string
	for name, tc := range cases {
		prev, _, format := imgNames(name, tc)
		good := f.factory.Next()
		if format == "raw" {
			good = imgRaw("good " + name)
		}
		u, sum := f.serveFile("crafted/"+prev, good)
		f.addImages(line(prev, u, sum, format, ", update: always"))
		prevs = append(prevs, prev)
	}
	res := f.syncJSON(prevs...) // the default images are checked by the faulty sync
	f.check(res, expect{code: 0})
	for _, prev := range prevs {
		if res.summary[prev] != "installed" {
			t.Fatalf("%s: %q, want installed\n%s", prev, res.summary[prev], res.stderr)
		}
		f.good[prev] = f.read(prev)
	}

	// Upstream now serves the crafted bytes, with their checksum, under
	// prev's URL and under fresh's.
	f.extra = ""
	failed := map[string]string{}
	for name, tc := range cases {
		prev, fresh, format := imgNames(name, tc)
		cdir := filepath.Join(dir, name)
		if err := os.MkdirAll(cdir, 0o755); err != nil {
			t.Fatal(err)
		}
		bad := tc.craft(t, f, cdir)
		u, sum := f.serveFile("crafted/"+prev, bad)
		fu, fsum := f.serveFile("crafted/"+fresh, bad)
		f.addImages(line(prev, u, sum, format, ", update: always") + line(fresh, fu, fsum, format, ""))
		failed[prev], failed[fresh] = tc.cause, tc.cause
		if tc.setup != nil {
			tc.setup(t, f, cdir)
		}
	}

	res = f.syncJSON()
	f.check(res, expect{code: 1, failed: failed})
	for n := range failed {
		if res.summary[n] != "failed" {
			t.Errorf("%s: %q, want failed", n, res.summary[n])
		}
	}
	for name, tc := range cases {
		_, fresh, _ := imgNames(name, tc)
		if _, err := os.Lstat(filepath.Join(f.images, fresh)); err == nil {
			t.Errorf("%s is at its final path after being refused", fresh)
		}
		if tc.after != nil {
			tc.after(t, f, res)
		}
	}
	// A refused file is not kept for a resume: its bytes passed the digest.
	if left := imgPartialFiles(t, f); len(left) > 0 {
		t.Errorf("partial files left after the refusals: %q", left)
	}
	hinted := true
	for _, tc := range cases {
		hinted = hinted && tc.setup == nil // a timeout is not a refusal
	}
	// Each hint once, however many images it concerns.
	if n := strings.Count(res.stderr, "fetchd: hint: the downloaded file was refused"); hinted && n != 1 {
		t.Errorf("%d hints for the refusals, want 1:\n%s", n, res.stderr)
	}
}

// imgPartialFiles lists what is in the partial directory.
func imgPartialFiles(t *testing.T, f *faultWorld) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(f.images, ".fetchd", "partial"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// imgProcessesNaming lists the live processes whose command line contains s.
func imgProcessesNaming(s string) []string {
	var left []string
	procs, _ := filepath.Glob("/proc/[0-9]*")
	for _, p := range procs {
		cmdline, _ := os.ReadFile(filepath.Join(p, "cmdline"))
		stat, _ := os.ReadFile(filepath.Join(p, "stat"))
		if isZombie(stat) || !bytes.Contains(cmdline, []byte(s)) {
			continue
		}
		left = append(left, fmt.Sprintf("pid %s: %s", filepath.Base(p), strings.ReplaceAll(string(cmdline), "\x00", " ")))
	}
	return left
}
