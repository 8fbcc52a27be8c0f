// Package engine is fetchd's main job: make an image directory match the
// configuration, safely (Sync), report what is there (Status), and re-check
// it (Verify).
//
// For each image: inspect what is on disk against state.json (size and
// mtime: no re-hashing of an unchanged file); resolve the current artifact
// (a source plugin, or a direct URL and checksum from the config); decide
// per the update policy; download into <dir>/.fetchd/partial with the
// digest computed while streaming; inspect the qcow2 header in Go; run
// qemu-img info and check under limits; fsync, make read-only, rename into
// place, fsync the directory; record state. Nothing unverified ever
// appears at a final path, and a failure leaves the previous image as it
// was.
//
// Who reads this: whoever changes what sync decides or in which order it
// checks. The CLI (cmd/fetchd) drives it and prints what it reports.
package engine
