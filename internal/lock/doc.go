// Package lock makes sure only one fetchd writes to an image directory at a
// time (SECURITY.md, invariant 4). It takes an exclusive flock(2) on
// <dir>/.fetchd/lock (a 0600 file in the private directory, opened by
// package store, so no other user can open it to hold the lock) and writes
// the holder's pid into that file.
//
// When the lock is busy, the holder is named from what the kernel says
// (/proc/locks), not only from the pid in the file, which a process other
// than fetchd holding the lock would leave stale. Options.Timeout bounds
// the wait (sync --lock-timeout).
//
// An flock belongs to an open file description and the kernel drops it
// when the holder exits, however it exits, so there are no stale locks to
// clean up; the lock file itself is never deleted (deleting it would let
// two processes lock two different files of the same name).
package lock
