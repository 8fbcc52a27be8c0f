// Package qcow2 inspects a downloaded disk image with pure Go before any
// external program (qemu-img, QEMU) opens it.
//
// It is for the verify step of fetchd (see SECURITY.md, "qcow2 header
// inspection"). Inspect reads only the first cluster of a qcow2 file with
// io.ReadFull and refuses anything that would make QEMU open a second file
// (backing file, external data file), anything encrypted, corrupt or dirty,
// unknown incompatible features, malformed header extensions and a virtual
// size over a cap. CheckFile opens a path without following symlinks,
// detects the format from the content and refuses a mismatch with the
// format a plugin announced: a "raw" image that is really a container format
// QEMU would interpret (qcow2, QED, VMDK, VDI, VHDX, VHD, LUKS, parallels,
// dmg, bochs, cloop), or a qcow2 that is also an ISO 9660 image (a polyglot).
//
// Choices beyond the letter of SECURITY.md, all fail-closed:
//   - the dirty bit (incompatible feature bit 0) is refused: a published
//     image is never dirty, and repairing it would mean letting qemu-img
//     write to an untrusted file;
//   - every header extension type may appear once; a repeat is refused,
//     and so is an extension area with more than MaxExtensions entries or
//     without an end marker before the end of the file;
//   - the full disk encryption and backing file format extensions are
//     refused even without the header fields that would use them, as is
//     the "raw external data" autoclear bit;
//   - refcount_order above 6 and an inconsistent compression type are
//     refused, as QEMU itself would;
//   - the ISO 9660 polyglot check looks at fixed file offsets (0x8001,
//     0x8801, 0x9001). With clusters of 32 KiB or less those bytes may be
//     guest data, so a genuine small-cluster image holding an ISO at that
//     spot is refused too: a false refusal, never a false acceptance.
//
// Errors are *UnsafeError (the content is refused) and *FormatMismatchError
// (the content is not the announced format); I/O errors are wrapped as is.
package qcow2
