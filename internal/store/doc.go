// Package store is fetchd's private directory, <dir>/.fetchd, and the one
// way fetchd changes the image directory: through directory and file
// descriptors opened once and checked, never by resolving a path a second
// time.
//
//	<dir>/<name>                   a hard link to the name's current build
//	<dir>/.fetchd/                 0700, owned by fetchd's uid
//	<dir>/.fetchd/lock             0600, the directory lock (package lock)
//	<dir>/.fetchd/state.json       0600, package state
//	<dir>/.fetchd/builds/<digest>  0444, committed builds: never rewritten
//	<dir>/.fetchd/partial/         downloads in progress, one per digest
//	<dir>/.fetchd/cache/           resolve and metadata caches
//	<dir>/.fetchd/aside/           files found at a name and moved away
//
// Open refuses a private directory that another user could have prepared
// or can change (OpenSSH's StrictModes is the model): it and everything in
// it must be owned by fetchd's uid, not group- or world-writable, contain
// no symbolic links, and sit on the image directory's filesystem. Modes
// looser than 0700/0600 that no one else can write through (a directory
// made by an older fetchd) are tightened.
//
// Code that can only work with paths (go-getter, the metadata cache) is
// handed /proc/self/fd/N/… paths: the kernel resolves them through the
// descriptor fetchd holds, so renaming or replacing .fetchd under a
// running fetchd cannot redirect them. Display turns such paths in
// messages back into the directory's real path.
//
// Who reads this: whoever changes what fetchd writes where. The engine is
// its only user.
package store
