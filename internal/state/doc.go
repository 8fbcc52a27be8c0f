// Package state records what fetchd knows about the images in an image
// directory: <dir>/.fetchd/state.json holds, per image file, where it came
// from (source, release, arch, variant, version, URL, checksum file,
// signature status), its digest, and the size and modification time the
// file had when it was verified, and how it was verified.
//
// It is for the host's sync, status and verify commands. Its main use is
// to let a no-op sync at container start skip re-hashing gigabytes: an
// image whose size and mtime still match its Entry (Entry.Matches) is
// "present". The file is a cache of facts fetchd established itself, so a
// state file that cannot be read or trusted is never fatal: Load returns a
// *CorruptError, and the caller treats every image as unknown, re-verifies
// it and says so.
//
// Save writes the file the way images are installed: a temporary file in
// .fetchd, written, fsynced, renamed over state.json, then the directory
// fsynced, so a crash leaves either the old state or the new one. Callers
// must hold the directory's lock (package lock) while saving.
package state
