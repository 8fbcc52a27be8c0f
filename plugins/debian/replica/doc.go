// Package replica writes a copy of Debian's cloud image tree
// (https://cloud.debian.org/images/cloud) for the tests of the debian
// source plugin and of fetchd itself: serve the directory with
// internal/replica.Serve and point the source's base URL at it.
//
// The layout, file names and file formats are upstream's, as
// debian-cloud-images publishes them:
//
//	<codename>/<YYYYMMDD-N>/debian-<N>-<variant>-<arch>-<YYYYMMDD-N>.{qcow2,raw,tar.xz,json}
//	<codename>/<YYYYMMDD-N>/debian-<N>-{azure,ec2,gce}-<arch>-<YYYYMMDD-N>.{tar.xz,json}
//	<codename>/<YYYYMMDD-N>/SHA512SUMS          "<128 hex>  <name>" lines, sorted by name
//	<codename>/latest/debian-<N>-<variant>-<arch>.{qcow2,raw,tar.xz,json} and SHA512SUMS
//	<codename>/daily/<YYYYMMDD-N>/debian-<N>-<variant>-<arch>-daily-<YYYYMMDD-N>.*
//	<codename>/daily/latest/debian-<N>-<variant>-<arch>-daily.*
//
// for bookworm (12) and trixie (13), whose release builds the plugin must
// pick, with daily builds newer than them as a trap; and forky (14), which
// as Debian testing has daily builds only. Each manifest is a List of one
// Build item (data.info with version, arch, release, vendor) and one
// Upload item per file (image-format internal, raw, qcow2, in that order),
// each carrying its file's sha512 as unpadded base64 in the
// cloud.debian.org/digest annotation and its path in data.ref; it is
// written with sorted keys and a four-space indent, as upstream's Python
// does. latest/ holds the newest build's files (by version.Compare) under
// build-less names; its manifests are byte-identical to the build's, so
// their refs point into the dated directory.
//
// Simplifications: latest/ holds copies where upstream has symlinks; the
// hidden .latest/ directory upstream keeps in each build directory is left
// out; listings are nginx-style rather than Apache's; the package lists in
// manifests are a few entries long; image bytes are replica.FakeImage
// unless Options.Content says otherwise. Details not confirmed first-hand:
// the Upload's data.provider value and the Build's data.info.type.
//
// Write lays out the tree; Layout.Newest says what a correct resolver
// returns; Layout.Publish adds a newer build in place, for tests of
// "outdated" detection and of upstream changing between resolve and
// download.
package replica
