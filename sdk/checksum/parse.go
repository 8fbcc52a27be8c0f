package checksum

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Entry is one sha256 or sha512 line of a checksum file.
type Entry struct {
	// Name is the file name exactly as recorded (unescaped).
	Name string
	// Digest is valid and lowercase.
	Digest Digest
	// Line is the 1-based line number.
	Line int
	// Size is the file's size in bytes when the checksum file states it in
	// a comment ("# <name>: <N> bytes", as Fedora's CHECKSUM does), else 0.
	Size int64
}

// File is a parsed checksum file.
type File struct {
	// Entries holds the sha256 and sha512 lines in file order; Parse
	// never returns a File without entries.
	Entries []Entry
	// Ignored counts the SHA1 and MD5 tagged lines, which are checked and
	// then left out.
	Ignored int
	// Sizes holds the sizes stated in "# <name>: <N> bytes" comments, by
	// name; each entry of a name with a size also has it in Entry.Size.
	Sizes map[string]int64
}

// Parse parses a checksum file whose untagged (GNU-style) lines hold digests
// of algorithm algo. Tagged (BSD/OpenSSL) lines carry their own algorithm and
// are kept if it is sha256 or sha512; their length is checked either way.
// Errors about the content are *SyntaxError.
func Parse(data []byte, algo Algorithm) (*File, error) {
	if !algo.Known() {
		return nil, fmt.Errorf("checksum file algorithm %q: want sha256 or sha512", string(algo))
	}
	lines, err := splitLines(data)
	if err != nil {
		return nil, err
	}
	f := &File{}
	for i, line := range lines {
		e, kind, err := parseLine(i+1, line, algo)
		if err != nil {
			return nil, err
		}
		switch kind {
		case lineEntry:
			f.Entries = append(f.Entries, e)
		case lineWeak:
			f.Ignored++
		case lineSkip:
			if err := f.sizeComment(i+1, line); err != nil {
				return nil, err
			}
		}
	}
	for i, e := range f.Entries {
		f.Entries[i].Size = f.Sizes[e.Name]
	}
	if len(f.Entries) == 0 {
		if f.Ignored > 0 {
			return nil, &SyntaxError{Msg: fmt.Sprintf("no sha256 or sha512 lines, only %d SHA1/MD5 lines, which fetchd does not use", f.Ignored)}
		}
		return nil, &SyntaxError{Msg: "no checksum lines, only comments and blank lines"}
	}
	return f, nil
}

// splitLines checks what the whole file must satisfy and splits it into
// lines without their "\n" or "\r\n".
func splitLines(data []byte) ([]string, error) {
	if i := bytes.IndexByte(data, 0); i >= 0 {
		n := bytes.Count(data[:i], []byte{'\n'}) + 1
		start := bytes.LastIndexByte(data[:i], '\n') + 1
		return nil, syntaxErr(n, string(data[start:i+1]), "NUL byte: binary data, not a checksum file")
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	content := bytes.TrimLeft(data, " \t\r\n\f\v")
	if len(content) == 0 {
		return nil, &SyntaxError{Msg: ErrEmpty.Error(), Err: ErrEmpty}
	}
	first := bytes.Count(data[:len(data)-len(content)], []byte{'\n'}) + 1
	firstLine, _, _ := bytes.Cut(content, []byte{'\n'})
	switch {
	case content[0] == '<':
		return nil, &SyntaxError{Line: first, Text: truncate(string(firstLine), quoteLen), Msg: ErrHTML.Error(), Err: ErrHTML}
	case bytes.HasPrefix(content, []byte(pgpSigned)):
		return nil, clearsigned(first, string(firstLine))
	}
	s := string(data)
	s = strings.TrimSuffix(s, "\n")
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSuffix(l, "\r")
	}
	return lines, nil
}

const pgpSigned = "-----BEGIN PGP SIGNED MESSAGE-----"

func clearsigned(line int, text string) *SyntaxError {
	return &SyntaxError{Line: line, Text: truncate(text, quoteLen), Msg: ErrClearsigned.Error(), Err: ErrClearsigned}
}

type lineKind int

const (
	lineSkip  lineKind = iota // blank or comment
	lineEntry                 // sha256 or sha512
	lineWeak                  // SHA1 or MD5 tag, checked and ignored
)

const (
	wantForms = `want "<hex>  <name>", "<hex> *<name>" or "SHA256 (<name>) = <hex>"`
	hexDigits = "0123456789abcdefABCDEF"
)

// parseLine parses line number n of a file whose untagged lines hold
// digests of algorithm algo.
func parseLine(n int, line string, algo Algorithm) (Entry, lineKind, error) {
	for i := 0; i < len(line); i++ {
		if c := line[i]; (c < 0x20 && c != '\t') || c == 0x7f {
			hint := ""
			if c == '\r' {
				hint = " (CR-only line endings?)"
			}
			return Entry{}, 0, syntaxErr(n, line, "control character %q%s", c, hint)
		}
	}
	rest := strings.TrimLeft(line, " \t")
	switch {
	case rest == "", rest[0] == '#':
		return Entry{}, lineSkip, nil
	case strings.HasPrefix(rest, pgpSigned):
		return Entry{}, 0, clearsigned(n, line)
	case strings.HasPrefix(rest, "-----BEGIN "):
		return Entry{}, 0, syntaxErr(n, line, "armored OpenPGP or PEM block, not a checksum line")
	}
	escaped := rest[0] == '\\'
	if escaped {
		rest = rest[1:]
	}
	end := strings.IndexAny(rest, " (")
	tok := rest
	if end >= 0 {
		tok = rest[:end]
	}
	switch {
	case tok != "" && isHex(tok) && (end < 0 || rest[end] == ' '):
		return parseGNU(n, line, rest, tok, escaped, algo)
	case end >= 0 && isTag(tok) && (rest[end] == '(' || strings.HasPrefix(rest[end:], " (")):
		return parseTagged(n, line, rest, tok, escaped)
	case (end < 0 || rest[end] == ' ') && len(tok) >= 32:
		return Entry{}, 0, syntaxErr(n, line, "digest contains non-hex character %q", firstNonHex(tok))
	}
	return Entry{}, 0, syntaxErr(n, line, "not a checksum line (%s)", wantForms)
}

// parseGNU parses "<hex>  <name>", "<hex> *<name>" or "<hex> <name>"; rest
// is the line without indentation and escape mark, tok its leading hex.
func parseGNU(n int, line, rest, tok string, escaped bool, algo Algorithm) (Entry, lineKind, error) {
	if len(tok) == len(rest) {
		return Entry{}, 0, syntaxErr(n, line, "digest without a file name (a file holding one bare digest is read with ParseBare)")
	}
	if want := algo.HexLen(); len(tok) != want {
		return Entry{}, 0, syntaxErr(n, line, "%d hex digits, want %d for %s%s", len(tok), want, algo, lengthHint(len(tok)))
	}
	name := rest[len(tok)+1:]
	if name != "" && (name[0] == ' ' || name[0] == '*') {
		name = name[1:]
	}
	if name == "" {
		return Entry{}, 0, syntaxErr(n, line, "missing file name")
	}
	return entry(n, line, name, escaped, algo, tok)
}

// parseTagged parses "TAG (<name>) = <hex>" and "TAG(<name>)= <hex>".
func parseTagged(n int, line, rest, tag string, escaped bool) (Entry, lineKind, error) {
	body := rest[len(tag):]
	body = strings.TrimPrefix(body, " ")[1:] // after '('
	closing := strings.LastIndexByte(body, ')')
	if closing < 0 {
		return Entry{}, 0, syntaxErr(n, line, "tagged line without ')' after the file name")
	}
	name := body[:closing]
	after := strings.TrimLeft(body[closing+1:], " ")
	if !strings.HasPrefix(after, "=") {
		return Entry{}, 0, syntaxErr(n, line, "tagged line without '=' before the digest")
	}
	digits := strings.TrimRight(strings.TrimLeft(after[1:], " "), " \t")
	if digits == "" {
		return Entry{}, 0, syntaxErr(n, line, "tagged line without a digest")
	}
	if !isHex(digits) {
		return Entry{}, 0, syntaxErr(n, line, "digest contains non-hex character %q", firstNonHex(digits))
	}
	if name == "" {
		return Entry{}, 0, syntaxErr(n, line, "missing file name")
	}
	var algo Algorithm
	switch strings.ToUpper(tag) {
	case "SHA256":
		algo = SHA256
	case "SHA512":
		algo = SHA512
	case "SHA1", "MD5":
		want := 40
		if strings.EqualFold(tag, "MD5") {
			want = 32
		}
		if len(digits) != want {
			return Entry{}, 0, syntaxErr(n, line, "%d hex digits, want %d for %s", len(digits), want, tag)
		}
		if _, err := unescape(name, escaped); err != nil {
			return Entry{}, 0, syntaxErr(n, line, "%v", err)
		}
		return Entry{}, lineWeak, nil
	default:
		return Entry{}, 0, syntaxErr(n, line, "unsupported algorithm tag %q (want SHA256 or SHA512; SHA1 and MD5 are read but not used)", tag)
	}
	if len(digits) != algo.HexLen() {
		return Entry{}, 0, syntaxErr(n, line, "%d hex digits, want %d for %s%s", len(digits), algo.HexLen(), algo, lengthHint(len(digits)))
	}
	return entry(n, line, name, escaped, algo, digits)
}

func entry(n int, line, name string, escaped bool, algo Algorithm, digits string) (Entry, lineKind, error) {
	name, err := unescape(name, escaped)
	if err != nil {
		return Entry{}, 0, syntaxErr(n, line, "%v", err)
	}
	d, err := NewDigest(algo, digits)
	if err != nil { // unreachable: hex and length are checked
		return Entry{}, 0, syntaxErr(n, line, "%v", err)
	}
	return Entry{Name: name, Digest: d, Line: n}, lineEntry, nil
}

// lengthHint names the algorithm a digest of n hex digits probably is.
func lengthHint(n int) string {
	switch n {
	case 32:
		return " (an MD5 digest?)"
	case 40:
		return " (a SHA1 digest?)"
	case 64:
		return " (a sha256 digest: wrong algorithm for this file?)"
	case 128:
		return " (a sha512 digest: wrong algorithm for this file?)"
	}
	return ""
}

// unescape decodes a GNU escaped file name (\\, \n, \r) when escaped is
// set; otherwise the name is literal.
func unescape(name string, escaped bool) (string, error) {
	if !escaped || !strings.Contains(name, `\`) {
		return name, nil
	}
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		i++
		if i == len(name) {
			return "", fmt.Errorf("escaped file name ends in a lone backslash")
		}
		switch name[i] {
		case '\\':
			b.WriteByte('\\')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		default:
			return "", fmt.Errorf("unknown escape \\%c in file name (want \\\\, \\n or \\r)", name[i])
		}
	}
	return b.String(), nil
}

func isHex(s string) bool { return firstNonHex(s) == "" }

// firstNonHex returns the first byte of s that is not a hex digit, as a
// string, or "" if there is none.
func firstNonHex(s string) string {
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(hexDigits, s[i]) < 0 {
			return s[i : i+1]
		}
	}
	return ""
}

// isTag reports whether s looks like an algorithm name: a letter, then
// letters, digits and '-'.
func isTag(s string) bool {
	if s == "" || !isLetter(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !isLetter(c) && !('0' <= c && c <= '9') && c != '-' {
			return false
		}
	}
	return true
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// sizeRE is a size comment: "# Fedora-Cloud-Base-Generic-41-1.4.x86_64.qcow2: 491716608 bytes".
var sizeRE = regexp.MustCompile(`^\s*#\s*(\S(?:.*\S)?): ([0-9]{1,19}) bytes\s*$`)

// sizeComment records the size a comment line states, if it is a size
// comment. Two different sizes for one name are an error.
func (f *File) sizeComment(n int, line string) error {
	m := sizeRE.FindStringSubmatch(line)
	if m == nil {
		return nil
	}
	size, err := strconv.ParseInt(m[2], 10, 64)
	if err != nil {
		return syntaxErr(n, line, "size %s does not fit in 64 bits", m[2])
	}
	if f.Sizes == nil {
		f.Sizes = map[string]int64{}
	}
	if prev, ok := f.Sizes[m[1]]; ok && prev != size {
		return syntaxErr(n, line, "a second size for %q (%d, then %d bytes)", m[1], prev, size)
	}
	f.Sizes[m[1]] = size
	return nil
}
