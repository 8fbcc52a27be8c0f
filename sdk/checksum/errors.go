package checksum

import (
	"errors"
	"fmt"
	"strings"
)

// Errors a *SyntaxError wraps when the whole file is of the wrong kind, so
// that a caller can turn them into a hint.
var (
	// ErrEmpty: the file holds nothing but whitespace.
	ErrEmpty = errors.New("checksum file is empty")
	// ErrHTML: the file starts with '<', typically an error page or a
	// directory listing served for a wrong URL.
	ErrHTML = errors.New("looks like an HTML page, not a checksum file")
	// ErrClearsigned: the file is an OpenPGP clearsigned message. Verify
	// it and pass the signed text.
	ErrClearsigned = errors.New("OpenPGP clearsigned message: verify the signature and pass the signed text")
)

// quoteLen is how many bytes of an offending line an error quotes.
const quoteLen = 60

// SyntaxError says which line of a checksum file is wrong and why.
type SyntaxError struct {
	// Line is the 1-based line number, or 0 when the error is about the
	// whole file.
	Line int
	// Text is the start of the offending line, truncated.
	Text string
	// Msg says what is wrong.
	Msg string
	// Err is ErrEmpty, ErrHTML or ErrClearsigned, or nil.
	Err error
}

func (e *SyntaxError) Error() string {
	var b strings.Builder
	if e.Line > 0 {
		fmt.Fprintf(&b, "line %d: ", e.Line)
	}
	b.WriteString(e.Msg)
	if e.Text != "" {
		fmt.Fprintf(&b, ": %q", e.Text)
	}
	return b.String()
}

func (e *SyntaxError) Unwrap() error { return e.Err }

func syntaxErr(line int, text, format string, args ...any) *SyntaxError {
	return &SyntaxError{Line: line, Text: truncate(text, quoteLen), Msg: fmt.Sprintf(format, args...)}
}

// NotFoundError: the file has no digest of the wanted algorithm for the
// wanted name.
type NotFoundError struct {
	Name      string
	Algorithm Algorithm
	// Entries is how many entries the file has, of any algorithm.
	Entries int
	// Has lists the algorithms the file does have for exactly Name.
	Has []Algorithm
	// Similar lists up to five other names in the file that look like
	// Name (a case difference, a shared prefix or suffix, or containing
	// it), most similar first.
	Similar []string
}

func (e *NotFoundError) Error() string {
	if len(e.Has) > 0 {
		has := make([]string, len(e.Has))
		for i, a := range e.Has {
			has[i] = string(a)
		}
		return fmt.Sprintf("no %s digest for %q: the file has only %s for it", e.Algorithm, e.Name, strings.Join(has, ", "))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "no %s digest for %q among %d entries", e.Algorithm, e.Name, e.Entries)
	if len(e.Similar) == 0 {
		b.WriteString("; no similar names")
		return b.String()
	}
	b.WriteString("; similar names: ")
	for i, n := range e.Similar {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%q", n)
	}
	return b.String()
}

// ConflictError: the file records different digests for one name and
// algorithm.
type ConflictError struct {
	Name      string
	Algorithm Algorithm
	// Entries holds one entry per distinct digest (the first line that
	// has it), in file order; at least two.
	Entries []Entry
}

func (e *ConflictError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "conflicting %s digests for %q: ", e.Algorithm, e.Name)
	for i, en := range e.Entries {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "line %d has %s", en.Line, en.Digest.Short())
	}
	return b.String()
}
