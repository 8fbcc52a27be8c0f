package version

import (
	"cmp"
	"slices"
	"strings"
)

// Compare compares two version strings, returning -1 if a is older than b,
// +1 if it is newer and 0 only if a == b.
//
// Each string is split into runs of ASCII digits and runs of other bytes,
// compared pairwise from the left:
//   - two digit runs compare as numbers of any length, ignoring leading
//     zeros;
//   - two other runs compare byte-wise;
//   - a digit run and another run compare by their first byte (so '-' and
//     '.' sort before digits, letters after).
//
// When one string runs out of runs first it is older: 20240423 < 20240423.1,
// 3.19 < 3.19.1. Strings that differ only in leading zeros are ordered by the
// first digit run where the zeros differ, fewer zeros first (1.1 < 1.01), so
// the order is total.
func Compare(a, b string) int {
	zeros := 0 // the leading-zero tie-break, decided at the first difference
	for a != "" && b != "" {
		var ra, rb string
		ra, a = nextRun(a)
		rb, b = nextRun(b)
		da, db := isDigit(ra[0]), isDigit(rb[0])
		switch {
		case da && db:
			na, nb := strings.TrimLeft(ra, "0"), strings.TrimLeft(rb, "0")
			if c := cmp.Or(cmp.Compare(len(na), len(nb)), strings.Compare(na, nb)); c != 0 {
				return c
			}
			if zeros == 0 {
				zeros = cmp.Compare(len(ra), len(rb))
			}
		case da != db:
			return cmp.Compare(ra[0], rb[0])
		default:
			if c := strings.Compare(ra, rb); c != 0 {
				return c
			}
		}
	}
	switch {
	case a == "" && b != "":
		return -1
	case a != "" && b == "":
		return 1
	}
	return zeros
}

// Newest returns the newest of vs by Compare, and false if vs is empty.
func Newest(vs []string) (string, bool) {
	if len(vs) == 0 {
		return "", false
	}
	return slices.MaxFunc(vs, Compare), true
}

// Sort sorts vs in place from oldest to newest by Compare.
func Sort(vs []string) { slices.SortStableFunc(vs, Compare) }

// nextRun splits s, which is not empty, into its first run of digits or of
// non-digits and the rest.
func nextRun(s string) (run, rest string) {
	digit := isDigit(s[0])
	i := 1
	for i < len(s) && isDigit(s[i]) == digit {
		i++
	}
	return s[:i], s[i:]
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
