// Package ubuntu is fetchd's built-in Ubuntu source: it finds the newest
// Ubuntu cloud image (a qcow2, despite its .img name) on
// cloud-images.ubuntu.com or a mirror of it, pinned to its build directory,
// with a digest vouched for by Canonical's signature. fetchd builds it in
// (ubuntu.New()); cmd/fetchd-plugin-ubuntu serves the same source as a
// stand-alone plugin. It is for fetchd's maintainers and for anyone who
// wants to know exactly what an "ubuntu" image in fetchd's config trusts.
//
// # What it offers
//
// Releases 20.04 (focal), 22.04 (jammy), 24.04 (noble, the default) and
// 26.04 (resolute; "lts"); architectures amd64, arm64, armhf, ppc64el,
// riscv64 and s390x (Go's and the kernel's names are aliases: x86_64,
// aarch64, arm, ppc64le); variants "server", the newest release build, and
// "daily", the newest daily build. The reasons for this list (why 26.04 is
// in, why "lts" is 26.04 but the default is 24.04, why no interim release)
// are in releases.go. Not every release has every architecture upstream:
// the stream says which exist, and Resolve says so (not found, listing
// them).
//
// # What this source reads
//
// All through the host's fetch service, in this order, with <mirror> =
// <base_url>/releases/ for "server" and <base_url>/daily/ for "daily":
//
//  1. <mirror>streams/v1/index.json, simplestreams' index. Its entry
//     "com.ubuntu.cloud:released:download" ("com.ubuntu.cloud:daily:download"
//     for daily), which must have datatype image-downloads and format
//     products:1.0, names the products document by a path relative to
//     <mirror>.
//  2. That products document, upstream's
//     <mirror>streams/v1/com.ubuntu.cloud:released:download.json (several
//     MiB; the host's 16 MiB cap applies). Its product
//     com.ubuntu.cloud:server:<version>:<arch>
//     (com.ubuntu.cloud.daily:server:<version>:<arch>) must say the same
//     version, arch and codename as the plugin. Its newest version, by
//     numeric comparison of the serials (20240423 < 20240423.1 <
//     20240423.10), never by key order, and for "server" among versions
//     labelled "release", gives the item of ftype disk1.img: its path, its
//     sha256 and its size. The path must end in
//     release-<serial>/ubuntu-<version>-server-cloudimg-<arch>.img
//     (<serial>/<codename>-server-cloudimg-<arch>.img for daily), so the
//     artifact URL, <mirror><path>, is pinned to the serial's directory and
//     never to the moving release/ or current/. Upstream stores release
//     builds under releases/<codename>/release-<serial>/ and daily builds
//     under <codename>/<serial>/; item paths reach them as
//     server/releases/<codename>/... and server/<codename>/... under
//     <mirror>, the paths simplestreams tools (and mirrors made with
//     sstream-mirror) use.
//  3. <mirror><dir of path>/SHA256SUMS and SHA256SUMS.gpg, from that same
//     pinned directory. The detached signature (armored or binary) must
//     verify with the trusted keys before a byte of SHA256SUMS is parsed:
//     Canonical's "UEC Image Automatic Signing Key" (fingerprint
//     D2EB44626FDDC30B513D5BB71A5D6C4C7DB87C81, package keys), or exactly
//     the operator's trusted_keys when configured.
//  4. In the verified SHA256SUMS, the line for exactly the image's file
//     name ("<hex> *<name>"; no substring matches, a second different
//     digest is an error). It must equal the stream's sha256.
//
// The answer: the pinned URL, the file name, the serial as the version,
// format qcow2, the stream's size, the signed digest, SHA256SUMS as the
// checksum URL and the signature as verified.
//
// Trust: the digest is signed by Canonical and agrees with the stream. The
// serial, the size and the choice of the newest build come from the stream,
// which is read over HTTPS but not signature-checked (its clearsigned .sjson
// copy is not read): someone able to change it could point at an older,
// genuinely signed build, or state a wrong size, which makes the download
// fail rather than install anything unsigned.
//
// When the stream has no product for the release and architecture, the
// source fails closed with "not found" listing the architectures the
// stream has for that release. It does not fall back to release/ or
// current/ with SHA256SUMS alone: those directories move under a download,
// name no serial, and would give an answer nothing cross-checks.
//
// # When upstream changes its layout
//
// What a user sees (after "ubuntu:"; <...> stand for the actual URLs and
// values), and what it means:
//
//   - The streams move or the base URL is wrong (index.json answers 404):
//     "GET <base>/releases/streams/v1/index.json: 404 Not Found (is <base>
//     a mirror of cloud-images.ubuntu.com with its simplestreams?):
//     upstream unavailable".
//   - The products document is renamed in the index: "simplestreams index
//     <index URL>: no entry "com.ubuntu.cloud:released:download" (it has:
//     <entries>): upstream metadata failed a check".
//   - A new stream format: "simplestreams products <URL>: content_id
//     "…", datatype "…", format "products:2.0": want
//     "com.ubuntu.cloud:released:download", "image-downloads",
//     "products:1.0": upstream metadata failed a check".
//   - Product ids change, or the release is dropped from the stream: "<products
//     URL> lists no server builds of ubuntu 24.04 for any architecture: not
//     found"; an architecture dropped: "<products URL> has no product
//     com.ubuntu.cloud:server:26.04:armhf: upstream publishes no armhf server
//     build of ubuntu 26.04 (it has: amd64, arm64, …): not found".
//   - The codename differs from the plugin's (e.g. 26.04's, unconfirmed
//     when this was written): "<products URL>: product <id> says version
//     "26.04", arch "amd64", release "<codename>"; this plugin expects
//     "26.04", "amd64", "resolute": upstream metadata failed a check".
//   - The qcow2 item gets another ftype: "<products URL>: product <id>:
//     newest version <serial> has no "disk1.img" item: upstream metadata
//     failed a check".
//   - Serials get another form: "<products URL>: product <id>: version
//     "<key>" is not a build serial (YYYYMMDD[.N]): upstream metadata failed
//     a check".
//   - Release builds stop being labelled "release": "<products URL>: product
//     <id> has no builds labelled "release" (only "<labels>"): not found".
//   - Build directories or image names change: "<products URL>: product <id>
//     version <serial>: path "<path>" is not
//     .../release-<serial>/ubuntu-24.04-server-cloudimg-amd64.img: upstream
//     metadata failed a check".
//   - SHA256SUMS is renamed or not published in the build directory: "GET
//     <dir>/SHA256SUMS: 404 Not Found: the build directory the stream points
//     to has no SHA256SUMS: upstream metadata failed a check"; the same for
//     SHA256SUMS.gpg with "the signature is missing, so SHA256SUMS cannot be
//     trusted".
//   - Canonical signs with a new key: "verify <SHA256SUMS URL> with
//     <SHA256SUMS.gpg URL>: unknown signer: signed by key id <id>, which is
//     not in the keyring [D2EB44626FDDC30B513D5BB71A5D6C4C7DB87C81] (if
//     Canonical has moved to a new signing key, check its fingerprint and
//     configure it as this source's trusted keys): upstream metadata failed
//     a check".
//   - SHA256SUMS changes format: "<SHA256SUMS URL> (signature verified):
//     line <n>: <what is wrong>: "<line>": upstream metadata failed a check".
//   - The image is no longer listed in SHA256SUMS: "<SHA256SUMS URL>
//     (signature verified): no sha256 digest for "<file>" among <n> entries;
//     similar names: …: upstream metadata failed a check".
//   - Stream and SHA256SUMS disagree (a half-synced mirror, a respin):
//     "upstream disagrees with itself about <file>: <products URL> says
//     sha256:<hex>, the signed <SHA256SUMS URL> says sha256:<hex>: upstream
//     metadata failed a check".
//   - A mirror answers with an HTML page: "… looks like an HTML page …"
//     naming the file.
package ubuntu
