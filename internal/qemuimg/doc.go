// Package qemuimg runs qemu-img on a downloaded image, safely, and parses
// what it says.
//
// It is for fetchd's verify step, after the pure-Go header inspection of
// package qcow2 (see SECURITY.md, "Running qemu-img"). Like lima's
// qemuimgutil, one function runs the command and a separate pure function
// parses its output: ParseInfo and ParseCheck are tested against output
// captured from the real qemu-img (testdata/) and fuzzed.
//
// Every run:
//   - passes the format explicitly (-f), never lets qemu-img probe, and
//     passes the image as an absolute path (no "json:" or protocol prefix
//     can be read into it);
//   - never repairs (no -r);
//   - runs under an address-space and CPU-time limit (prlimit(1) when it
//     is on PATH, else prlimit(2) on the child right after it starts), and
//     a context timeout that kills the child's whole process group;
//   - gets a minimal environment, /dev/null as stdin, "/" as working
//     directory, and bounded stdout/stderr buffers.
//
// Errors: *NotInstalledError (no qemu-img: the message carries the hint to
// install qemu-utils), *CommandError (the command failed, timed out or
// printed too much: the message has the command line, exit code and
// stderr), *RefusedError (qemu-img ran fine and reported an image fetchd
// refuses: backing file, data file, encryption, corruption, wrong format).
package qemuimg
