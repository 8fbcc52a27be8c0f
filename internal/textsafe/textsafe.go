// Package textsafe makes untrusted text safe to print on a terminal or
// write to a log: what a plugin or a server sends (error messages, a
// plugin's stderr, HTTP reason phrases, file names from a listing) may hold
// escape sequences that move the cursor, rewrite earlier lines, set the
// window title or hide text (ESC, CSI, OSC, a bare CR), and Unicode bidi
// controls that make a line read differently from what it says
// (CVE-2021-42574, "Trojan Source").
//
// Escape writes every such character as a visible escape instead: C0 and
// C1 controls and DEL as \xNN (newline and tab included: one message is one
// line), bidi controls and other invisible format characters as \u{NNNN},
// invalid UTF-8 as \xNN. Everything else passes unchanged, so ordinary
// messages read as before.
//
// Who reads this: whoever prints or logs something that came from outside.
package textsafe

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Escape returns s with every control, bidi and invisible format character,
// and every byte of invalid UTF-8, written as an escape.
func Escape(s string) string {
	if isSafe(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r < 0x20 || (r >= 0x7f && r < 0xa0):
			fmt.Fprintf(&b, `\x%02x`, r)
		case unsafeFormat(r):
			fmt.Fprintf(&b, `\u{%04x}`, r)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// EscapeLines is Escape for multi-line text such as a plugin's stderr: it
// keeps newlines and escapes everything else in each line.
func EscapeLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = Escape(l)
	}
	return strings.Join(lines, "\n")
}

// unsafeFormat reports whether r is a bidi control, a Unicode format
// character (zero-width joiners, the BOM, tag characters…), or a line or
// paragraph separator: invisible characters that change how the text
// around them is shown.
func unsafeFormat(r rune) bool {
	return unicode.Is(unicode.Bidi_Control, r) || unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029'
}

func isSafe(s string) bool {
	for _, r := range s {
		if r < 0x20 || (r >= 0x7f && r < 0xa0) || r == utf8.RuneError || (r >= 0xad && unsafeFormat(r)) {
			return false
		}
	}
	return true
}
