// Package debian is fetchd's built-in Debian source: it finds the current
// Debian cloud image (qcow2) on cloud.debian.org, or a mirror of its
// images/cloud tree, and the digest it must have. It is for fetchd, which
// serves it with sdk.Serve (cmd/fetchd-plugin-debian is the stand-alone
// binary), and for whoever maintains it when Debian changes something.
//
// It offers 12 bookworm (oldstable), 13 trixie (stable, the default) and
// 14 forky (testing), for amd64 and arm64, in the variants generic,
// genericcloud and nocloud. Forky is offered because upstream does publish
// it, as daily builds only (forky/daily/), which is how Debian builds
// testing; bookworm and trixie resolve to release builds, never to their
// daily builds. When forky is released, the table in releases.go must move
// it to release builds and the suite aliases along.
//
// Debian signs neither the images nor their checksums, so every artifact
// is reported unsigned ("checksum over https; Debian publishes no signature
// over cloud image checksums"): trust rests on HTTPS to
// cloud.debian.org. Operator-configured trusted keys cannot be used and
// are refused with INVALID_ARGUMENT rather than ignored.
//
// # What this source reads
//
// Two files per Resolve, in this order, through the host's Fetcher
// (<base> is the base URL, by default https://cloud.debian.org/images/cloud):
//
//  1. The image's manifest in latest/:
//     <base>/<codename>/latest/debian-<N>-<variant>-<arch>.json
//     (forky: <base>/forky/daily/latest/debian-14-<variant>-<arch>-daily.json).
//     A JSON List ({"apiVersion":"v1","kind":"List","items":[...]}) with
//     one "Build" item and one "Upload" item per published file. From it
//     the source takes the Build's data.info.version and the one Upload
//     labelled upload.cloud.debian.org/image-format: qcow2: its data.ref
//     (the pinned file, relative to <base>) and its
//     cloud.debian.org/digest annotation (sha512:<unpadded base64>).
//  2. The pinned build's checksum file, in the directory of data.ref:
//     <base>/<codename>/<build>/SHA512SUMS
//     (forky: <base>/forky/daily/<build>/SHA512SUMS), "<128 hex>  <name>"
//     lines.
//
// Nothing else: not latest/SHA512SUMS, no directory listing, not the image.
// The answer is the pinned URL <base>/<data.ref> (a dated build directory,
// which upstream never rewrites, so the bytes cannot change between
// resolve and download), its file name, the build as version
// ("20261109-2641"), format qcow2, size unknown (0: neither file gives
// it), the manifest's digest, and the SHA512SUMS URL as checksum URL.
//
// What is cross-checked, each failure being an error, never a guess:
//
//   - the manifest is one well-formed JSON document with no key twice in
//     an object (keys differing only in case count as twice), apiVersion
//     "v1", kind "List", exactly one Build item with a data.info.version,
//     and exactly one qcow2 Upload (identical duplicates count as one);
//   - data.ref is exactly <codename>/<build>/debian-<N>-<variant>-<arch>-<build>.qcow2
//     (forky: forky/daily/<build>/debian-14-<variant>-<arch>-daily-<build>.qcow2)
//     for the release, variant and arch asked for, <build> being
//     YYYYMMDD-N with a real date: a manifest pointing at another release,
//     variant, arch, at latest/, at a daily build of a stable release, or
//     outside the tree is refused;
//   - the Build's data.info.version equals <build>, and so do the qcow2
//     Upload's cloud.debian.org/version label and the Build's
//     data.info.arch, vendor and release, each when upstream gives it;
//   - the digest is sha512 in standard base64, 86 characters unpadded as
//     upstream writes it (the 88-character padded form is accepted too: it
//     is the same digest); another algorithm, the URL-safe alphabet,
//     whitespace, another length or non-zero trailing bits are refused;
//   - SHA512SUMS parses strictly (sdk/checksum: no HTML page, no digest of
//     the wrong length, no two digests for one name) and has a line for
//     exactly the pinned file name (not a name that merely contains it)
//     whose digest equals the manifest's.
//
// latest/SHA512SUMS is deliberately not read: it would cost a request per
// resolve, add no trust (same server, same HTTPS as the manifest), and
// race with a publication (latest/ can move between two requests and
// fail a resolve for nothing). The pinned build's SHA512SUMS sits in an
// immutable directory next to the very file downloaded, which makes it the
// right second opinion.
//
// # When upstream changes its layout
//
// What a user sees after the source name, for the changes most likely to
// happen (URLs shortened to <base>; for trixie generic amd64, build
// 20261109-2641; "GET …: HTTP 404 Not Found" is fetchd's own wording):
//
// The manifest is gone or renamed, or the release or arch is no longer
// published (NOT_FOUND):
//
//	upstream publishes no Debian 13 generic amd64 image: manifest: GET <base>/trixie/latest/debian-13-generic-amd64.json: HTTP 404 Not Found: not found
//
// The manifest's envelope changes (FAILED_PRECONDITION):
//
//	manifest <base>/trixie/latest/debian-13-generic-amd64.json: apiVersion "v2" kind "List", this plugin reads apiVersion "v1" kind "List": upstream metadata failed a check
//	manifest <base>/trixie/latest/debian-13-generic-amd64.json: items[0] (Build): no data.info.version: upstream metadata failed a check
//	manifest <base>/trixie/latest/debian-13-generic-amd64.json: not a JSON manifest: looks like an HTML page: upstream metadata failed a check
//
// The image-format label is renamed or qcow2 is no longer published
// (NOT_FOUND):
//
//	manifest <base>/trixie/latest/debian-13-generic-amd64.json: no Upload item of image format qcow2 (upload formats: "internal", "raw", (no upload.cloud.debian.org/image-format label)): not found
//
// The digest annotation changes algorithm, encoding, or disappears
// (FAILED_PRECONDITION):
//
//	manifest <base>/trixie/latest/debian-13-generic-amd64.json: qcow2 upload: digest "sha256:n4bQ…": algorithm "sha256", want sha512 (SHA512SUMS has only sha512): upstream metadata failed a check
//	manifest <base>/trixie/latest/debian-13-generic-amd64.json: qcow2 upload: digest "sha512:eb31d0…": 128 base64 characters, want 86 for sha512: upstream metadata failed a check
//	manifest <base>/trixie/latest/debian-13-generic-amd64.json: qcow2 upload: no cloud.debian.org/digest annotation: upstream metadata failed a check
//
// data.ref changes shape: absolute URLs, new file names, new build ids
// (FAILED_PRECONDITION):
//
//	manifest <base>/trixie/latest/debian-13-generic-amd64.json: image ref "https://cloud.debian.org/images/cloud/trixie/…" is not under "trixie/": upstream metadata failed a check
//	manifest <base>/trixie/latest/debian-13-generic-amd64.json: image ref "trixie/20261109-2641/debian-13-generic-amd64.qcow2" names file "debian-13-generic-amd64.qcow2", want "debian-13-generic-amd64-20261109-2641.qcow2": upstream metadata failed a check
//	manifest <base>/trixie/latest/debian-13-generic-amd64.json: image ref "trixie/2026-11-09.1/debian-13-generic-amd64-2026-11-09.1.qcow2": build directory "2026-11-09.1" is not a dated build (YYYYMMDD-N): upstream metadata failed a check
//
// SHA512SUMS is gone or renamed (FAILED_PRECONDITION: the manifest
// promised the build):
//
//	the manifest <base>/trixie/latest/debian-13-generic-amd64.json names build 20261109-2641: checksum file: GET <base>/trixie/20261109-2641/SHA512SUMS: HTTP 404 Not Found: upstream metadata failed a check
//
// SHA512SUMS changes format or drops the image's line (FAILED_PRECONDITION):
//
//	<base>/trixie/20261109-2641/SHA512SUMS: line 1: not a checksum line (want "<hex>  <name>", "<hex> *<name>" or "SHA256 (<name>) = <hex>"): "…" (the manifest <base>/trixie/latest/debian-13-generic-amd64.json gives sha512:eb31d0… for it): upstream metadata failed a check
//	<base>/trixie/20261109-2641/SHA512SUMS: no sha512 digest for "debian-13-generic-amd64-20261109-2641.qcow2" among 1 entries; similar names: "debian-13-generic-amd64-20261109-2641.img" (the manifest <base>/trixie/latest/debian-13-generic-amd64.json gives sha512:eb31d0… for it): upstream metadata failed a check
//
// The manifest and SHA512SUMS disagree (FAILED_PRECONDITION, a
// *MismatchError; both digests are printed in full):
//
//	debian-13-generic-amd64-20261109-2641.qcow2: the manifest <base>/trixie/latest/debian-13-generic-amd64.json gives sha512:eb31d0… but <base>/trixie/20261109-2641/SHA512SUMS gives sha512:000000…: upstream metadata failed a check
//
// Forky is released: resolving 14 keeps reading forky/daily/ (still
// published) until releases.go switches it to release builds; if Debian
// stops its daily builds first, 14 fails with the NOT_FOUND message above.
// A new release (15 duke) is refused until it is added:
//
//	release "15" is not offered by debian (it has: 12 (bookworm, oldstable); 13 (trixie, stable); 14 (forky, testing)): not found
package debian
