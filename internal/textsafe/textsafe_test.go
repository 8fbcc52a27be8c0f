package textsafe

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestEscape(t *testing.T) {
	t.Parallel()
	tests := map[string]struct{ in, want string }{
		"plain":            {"checksum mismatch: want sha256:ab12…", "checksum mismatch: want sha256:ab12…"},
		"accents and CJK":  {"Añejo 日本語", "Añejo 日本語"},
		"ESC colour":       {"\x1b[31mred\x1b[0m", `\x1b[31mred\x1b[0m`},
		"OSC title":        {"\x1b]0;pwned\x07", `\x1b]0;pwned\x07`},
		"CR rewrite":       {"ok\rFAIL", `ok\x0dFAIL`},
		"newline and tab":  {"a\nb\tc", `a\x0ab\x09c`},
		"C1 CSI":           {"a\u009bb", `a\x9bb`},
		"DEL":              {"a\x7fb", `a\x7fb`},
		"bidi override":    {"file\u202egpj.exe", `file\u{202e}gpj.exe`},
		"bidi isolate":     {"a\u2066b\u2069", `a\u{2066}b\u{2069}`},
		"zero width space": {"ubuntu\u200b.img", `ubuntu\u{200b}.img`},
		"BOM":              {"\ufeffx", `\u{feff}x`},
		"invalid UTF-8":    {"a\xffb", `a\xffb`},
		"line separator":   {"a\u2028b", `a\u{2028}b`},
		"arabic letter mk": {"a\u061cb", `a\u{061c}b`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if got := Escape(tc.in); got != tc.want {
				t.Errorf("Escape(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
	if got := EscapeLines("panic: x\n\x1b[2Jgoroutine 1"); got != "panic: x\n\\x1b[2Jgoroutine 1" {
		t.Errorf("EscapeLines = %q", got)
	}
}

func FuzzEscape(f *testing.F) {
	f.Add("\x1b]8;;http://x\x07link\x1b]8;;\x07")
	f.Add("a\u202eb\xff\r\n")
	f.Fuzz(func(t *testing.T, s string) {
		out := Escape(s)
		if !utf8.ValidString(out) {
			t.Fatalf("Escape(%q) = %q: invalid UTF-8", s, out)
		}
		for _, r := range out {
			if r < 0x20 || (r >= 0x7f && r < 0xa0) || unicode.Is(unicode.Bidi_Control, r) || unicode.Is(unicode.Cf, r) {
				t.Fatalf("Escape(%q) = %q: still holds %U", s, out, r)
			}
		}
		if isSafe(s) && out != s {
			t.Fatalf("safe text changed: %q -> %q", s, out)
		}
		if !strings.ContainsAny(s, "\\") && Escape(out) != out {
			t.Fatalf("Escape is not idempotent on its output: %q -> %q", out, Escape(out))
		}
	})
}
