// Package replica lays out a copy of Alpine's cloud image tree on
// dl-cdn.alpinelinux.org for tests: the alpine plugin's own tests and
// fetchd's end-to-end sync tests, which serve it with
// internal/replica.Serve and point the alpine source's base URL at it.
//
// Under a root that stands for https://dl-cdn.alpinelinux.org/alpine, Write
// creates, for each branch 3.19 to 3.24:
//
//	v<branch>/releases/cloud/index.html   nginx autoindex-style listing
//	v<branch>/releases/cloud/<image>      e.g. nocloud_alpine-3.22.3-x86_64-uefi-cloudinit-r1.qcow2
//	v<branch>/releases/cloud/<image>.sha512  the bare hex digest and a newline
//	v<branch>/releases/cloud/<image>.asc     armored detached signature over the image bytes
//
// and latest-stable/releases/cloud/, a copy of the newest branch's
// directory (upstream's latest-stable is a symlink; a copy keeps the tree
// easy to copy and gives the listing its own title).
//
// What is in each branch directory: two point releases (3.19.9 and
// 3.19.10, ..., 3.24.0 and 3.24.1); nocloud images in every branch, generic
// images from 3.20 on; x86_64 for bios and uefi, aarch64 for uefi only;
// cloudinit and tiny. Revisions make the ordering traps: the older point
// release's uefi-tiny images go up to r2 (a higher revision than the newer
// point release's r0), cloudinit images of the newest point release have r0
// and r1, and 3.22.3's x86_64 bios-tiny images run r0 to r10. The newest
// point release also has what a resolver must skip: aws, azure and gcp
// images (.vhd, .raw.tar.gz), oci qcow2 images with a higher revision, and
// a nocloud "-metal" qcow2 with a higher revision (whether upstream
// publishes -metal images is unconfirmed).
//
// Layout.Newest says what a correct resolver must answer; Layout.Publish
// adds a rebuild (the next revision) in place, for "outdated" and "upstream
// changed between resolve and download" tests. Options.Content supplies
// the image bytes (real qcow2 files for tests that install images).
package replica
