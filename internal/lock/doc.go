// Package lock makes sure only one fetchd writes to an image directory at a
// time (SECURITY.md, invariant 4). It takes an exclusive flock(2) on
// <dir>/.fetchd/lock and writes the holder's pid into that file, so a
// second fetchd can say whom it is waiting for.
//
// It is for the host's commands that change the directory (sync, and
// cleaning stale partial downloads). An flock belongs to an open file
// description and the kernel drops it when the holder exits, however it
// exits, so there are no stale locks to clean up; the lock file itself is
// never deleted (deleting it would let two processes lock two different
// files of the same name).
package lock
