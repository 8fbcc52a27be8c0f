// Package state is the schema of <dir>/.fetchd/state.json: the builds
// fetchd committed (keyed by digest: where the bytes came from, the
// content-addressed file name in builds/, how they were verified, and the
// Stamp the file had when fetchd last committed or hashed it) and, per
// configured name, which build the name points at, a newer build held back
// by VM disks, the previous builds kept for rollback, the configuration
// that chose the build and any operator hold.
//
// It is pure data: Decode and Encode turn bytes into a State and back, and
// package store reads and writes the file through the private directory's
// descriptor (Load reads it by path, for tools and tests). Its main use is
// to let a no-op sync at container start skip re-hashing gigabytes: a build
// whose file still has exactly its recorded Stamp (device, inode, size,
// mode, owner, mtime and ctime) is trusted. The file is a cache of facts
// fetchd established itself, so a state file that cannot be trusted is
// never fatal: the caller gets a *CorruptError, treats every image as
// unknown, re-verifies it and says so.
//
// Version 1 files (one plain file per name) are read as builds with a zero
// Stamp: the first sync hashes each file once and takes it over.
package state
