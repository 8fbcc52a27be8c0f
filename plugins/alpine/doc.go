// Package alpine is the built-in Alpine source: it finds the current Alpine
// Linux cloud image on dl-cdn.alpinelinux.org (or a mirror, or a test
// server, given as the base URL) and its SHA-512 digest. fetchd builds it in
// and serves it as a plugin with sdk.Serve (cmd/fetchd-plugin-alpine is the
// stand-alone binary); its tests call Resolve directly.
//
// # What it offers
//
// Releases: "latest-stable" (the default) and the stable branches 3.19 to
// 3.24 (aliases v3.19 ... v3.24), with upstream's end-of-support dates
// (3.23's date and 3.24's existence are unconfirmed; see releases.go).
// Architectures: x86_64 (alias amd64) and aarch64 (alias arm64). Variants:
// <cloud>-<firmware>-<bootstrap> with cloud nocloud or generic, firmware
// uefi or bios, bootstrap cloudinit or tiny; the default is
// nocloud-uefi-cloudinit. Upstream builds aarch64 for UEFI only, so
// aarch64 with a bios variant is NOT_FOUND without a request; generic
// images exist from 3.20 on, which the listing shows (the NOT_FOUND
// message says so). A variant always means the default machine type (a
// VM): images whose names carry a machine suffix (e.g. "-metal", built for
// bare metal with another kernel) are never picked.
//
// # What this source reads
//
// Every byte through the host's Fetcher, in this order (<base> is the base
// URL; <dir> is <base>/v<major>.<minor>/releases/cloud/):
//
//  1. Only for latest-stable: <base>/latest-stable/releases/cloud/, the
//     HTML directory listing of upstream's moving latest-stable directory.
//     The newest image of the wanted variant there names the branch (its
//     x.y). The answer is never a latest-stable URL.
//  2. <dir>, the branch's HTML directory listing (nginx autoindex on
//     dl-cdn; Apache and lighttpd listings of mirrors read too). The link
//     targets are the source of truth for file names; link texts, which
//     nginx truncates, are not read. The exact byte size beside a name
//     (nginx style) becomes the artifact's size; without one the size is
//     unknown (0).
//  3. <dir><image>.sha512: one SHA-512 digest, bare hex (upstream's form)
//     or "<hex>  <image>", read with checksum.ParseBare and the exact image
//     name.
//
// It never reads <image>.asc (it passes its URL on for fetchd to check; see
// Signatures), latest-releases.yaml or alpinelinux.org/releases.json
// (another host, which a mirror does not have).
//
// The image is the newest file in the listing named
// <cloud>_alpine-<x.y.z>-<arch>-<firmware>-<bootstrap>-r<N>.qcow2 for the
// wanted cloud, architecture, firmware and bootstrap, of the branch (x.y)
// the directory is for: the highest point release (compared as numbers:
// 3.19.10 after 3.19.9), then the highest image revision rN (a rebuild of
// the same release; r10 after r9). Names are parsed strictly
// (ParseFileName); other formats (.vhd, .raw.tar.gz), the .sha512 and .asc
// files, other clouds (aws, azure, gcp, oci), machine-suffixed names and
// names that do not parse are skipped.
//
// Cross-checks, each an error when it fails:
//
//   - for latest-stable, the image found in step 1 must be listed in the
//     branch directory too (the answer is the newest image listed there);
//   - the image's .sha512 must be listed next to it, must be served, and
//     must hold exactly one SHA-512 digest (128 hex digits) that is bare or
//     names exactly this image.
//
// The answer: URL <dir><image> (pinned: revisions get new names and old
// files stay), FileName <image>, Version "<x.y.z>-r<N>" (e.g. 3.22.1-r0),
// format qcow2, ChecksumURL <dir><image>.sha512, Release as asked
// ("latest-stable" stays "latest-stable"; the branch shows in the URL and
// Version).
//
// # Signatures
//
// Upstream publishes <image>.asc, a detached OpenPGP signature over the
// image file itself; the .sha512 file is not signed. Checking that
// signature needs the image's bytes, and a source plugin never has them:
// it reads only metadata, through a fetch service capped at 32 MiB, and
// the images are around 100 MiB. The digest fetchd verifies after download
// comes from the unsigned .sha512 over https, so every answer is reported
// unsigned, with a detail saying why:
//
//	upstream's .asc signs the image itself, not its .sha512, and no key is configured: digest from .sha512 over https
//
// Every answer whose image the listing shows with an <image>.asc carries
// that URL as Artifact.ImageSignatureURL. When the operator configures keys
// for the source (TrustedKeys), fetchd checks the .asc over the downloaded
// image against exactly those keys before installing it, refuses the image
// if it does not verify, and records the image as signed by that key. The
// plugin parses the keys (a key file that is not a key is an
// INVALID_ARGUMENT error), refuses an image the listing shows without its
// .asc (FAILED_PRECONDITION), and says:
//
//	digest from .sha512 over https; fetchd checks the image's .asc against the operator's keys after download
//
// Upstream's signing key is not embedded: its fingerprint was not
// confirmed, so without operator keys nothing is checked.
//
// # Errors
//
// NOT_FOUND: a release, architecture or variant the source does not offer;
// bios on aarch64; a listing that answers 404; no matching image in the
// listing (the message names the listing and the variants it has for the
// architecture). FAILED_PRECONDITION (sdk.ErrBadMetadata): a page that is
// not a directory listing (e.g. an HTML error page served with 200), a
// name listed twice, a missing, unlisted or malformed .sha512 (no
// "download anyway": a cloud image can be listed before its .sha512 is
// uploaded; the next run picks it up), latest-stable and the branch
// directory disagreeing, a response over the host's size cap.
// UNAVAILABLE: the network or another HTTP status. Every message names the
// URL it is about.
//
// # When upstream changes its layout
//
// What a user sees for each likely change: the plugin's message, which
// fetchd shows after the source and image names (<base> is the base URL,
// <dir> as above, <image> the file picked; "branch 3.22" reads
// "latest-stable (branch 3.24)" when latest-stable was asked for):
//
//   - The cloud directory moves, or a branch has none (NOT_FOUND):
//     "branch 3.22: cloud image listing: GET <dir>: 404 Not Found", and for
//     latest-stable "latest-stable: cloud image listing: GET
//     <base>/latest-stable/releases/cloud/: 404 Not Found".
//   - The listing becomes something else (a JavaScript page, JSON, an error
//     page served with 200): "branch 3.22: cloud image listing <dir>: no
//     "Index of" title, no parent-directory link and no links to files: not
//     a directory listing: upstream metadata failed a check".
//   - Images are renamed (fields reordered, another separator, no -rN):
//     "branch 3.22: no nocloud-uefi-cloudinit image for x86_64 in <dir> (it
//     has no nocloud or generic qcow2 image for x86_64); 207 file names
//     there do not follow
//     <cloud>_alpine-<x.y.z>-<arch>-<firmware>-<bootstrap>-r<N>.<format>:
//     has upstream renamed its images?: not found".
//   - A variant, architecture or format is dropped or renamed (no more
//     qcow2, "tiny" renamed): "branch 3.23: no nocloud-uefi-tiny image for
//     x86_64 in <dir> (for x86_64 it has: generic-bios-cloudinit,
//     generic-bios-mini, …, nocloud-uefi-mini): not found".
//   - Per-image .sha512 files are replaced (a SHA512SUMS list, .sha256
//     files): "branch 3.22: <dir> lists <image> without its digest file
//     <image>.sha512 (upstream may still be publishing it; try again
//     later): upstream metadata failed a check".
//   - The .sha512 content changes form: "branch 3.22: <dir><image>.sha512:
//     line 2: a second line: a digest file holds one digest (a list of them
//     is read with Parse): "…": upstream metadata failed a check", or
//     "…: line 1: digest for "<other name>", want "<image>": "…": upstream
//     metadata failed a check", or "…: line 1: 64 hex digits, want 128 for
//     sha512 (a sha256 digest: wrong algorithm for this file?): …".
//   - latest-stable stops mirroring a branch directory, or a mirror syncs
//     it apart from the branch: "latest-stable (branch 3.24):
//     <base>/latest-stable/releases/cloud/ lists <image> but <dir> does not
//     (a mirror half-way through a sync?): upstream metadata failed a
//     check".
//   - A new branch (3.25) appears: latest-stable follows it with no change
//     here. Naming it needs an entry in releases.go; until then fetchd
//     answers "release "3.25" is not offered by alpine (it has:
//     latest-stable; 3.24 (v3.24); …): not found".
package alpine
