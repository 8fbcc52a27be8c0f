package ubuntu

import "strings"

// maxProductsBytes is the largest products document read. The real
// released stream keeps every serial of every release and architecture
// and grows every week; 512 MiB is more than ten times any size it could
// plausibly reach.
const maxProductsBytes = 512 << 20

// maxIndexBytes and maxBuildFileBytes bound the index (a few KiB) and a
// build directory's SHA256SUMS or signature (a few KiB).
const (
	maxIndexBytes     = 4 << 20
	maxBuildFileBytes = 4 << 20
)

// clip shortens s for an error message.
func clip(s string) string { return clipN(s, 60) }

// clipN shortens s to at most n bytes and an ellipsis, at a character
// boundary, and drops invalid UTF-8.
func clipN(s string, n int) string {
	if len(s) <= n {
		return strings.ToValidUTF8(s, "")
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}
