// Package version is for plugin authors who must pick the newest of
// upstream's build identifiers: Ubuntu serials (20240423, 20240423.1),
// Debian dated builds (20250210-2019), Alpine point releases and image
// revisions (3.19.10, 3.22.1-r1), release numbers (24.04).
//
// Compare splits a string into runs of digits and runs of other bytes and
// compares them run by run: digit runs as numbers of any length, other runs
// byte-wise, so 3.19.9 < 3.19.10 and r9 < r10, where a byte-wise sort would
// get both wrong. A string whose runs are a prefix of the other's is older
// (20240423 < 20240423.1). It knows nothing of a particular scheme's
// suffixes: 3.19-rc1 sorts after 3.19, not before.
//
// Compare is a strict total order consistent with ==, so Sort and Newest give
// the same answer whatever the input order.
package version
