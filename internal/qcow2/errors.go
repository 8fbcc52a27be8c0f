package qcow2

import "fmt"

// UnsafeError reports image content that fetchd refuses: a header field or
// extension breaking one of the rules of SECURITY.md.
type UnsafeError struct {
	// Path is the file, when known (Inspect leaves it empty, CheckFile
	// fills it in).
	Path string
	// Format is the format whose rules were broken: FormatQcow2 (the
	// default when empty) or FormatRaw.
	Format Format
	// Field names the offending header field or extension in the terms of
	// the qcow2 specification, e.g. "backing_file_offset",
	// "incompatible_features", "extension 0x44415441". Tests and callers
	// may switch on it.
	Field string
	// Detail says what was found, e.g. "backing file set (offset 0x1c8)".
	Detail string
	// Reason says why it is refused.
	Reason string
}

func (e *UnsafeError) Error() string {
	what := "unsafe qcow2 header"
	if e.Format == FormatRaw {
		what = "unsafe raw image"
	}
	msg := what + ": " + e.Detail
	if e.Reason != "" {
		msg += ": " + e.Reason
	}
	if e.Path != "" {
		msg = e.Path + ": " + msg
	}
	return msg
}

// FormatMismatchError reports content whose detected format differs from
// the format a plugin announced, or that is two formats at once.
type FormatMismatchError struct {
	Path      string
	Announced Format
	// Detected is what the content looks like: FormatQcow2, "vmdk",
	// "iso9660", ...
	Detected Format
	// Evidence says where the detected format was seen, e.g.
	// `magic "QFI\xfb" at offset 0`.
	Evidence string
	// Polyglot is true when the content is valid as the announced format
	// and also as Detected (a qcow2 that is also an ISO 9660 image).
	Polyglot bool
}

func (e *FormatMismatchError) Error() string {
	msg := fmt.Sprintf("announced format %s but the content is %s (%s)", e.Announced, e.Detected, e.Evidence)
	if e.Polyglot {
		msg = fmt.Sprintf("announced format %s but the content is also %s (%s): polyglot images are refused", e.Announced, e.Detected, e.Evidence)
	} else {
		msg += ": refused, a disk image must be exactly the format its source announces"
	}
	if e.Path != "" {
		msg = e.Path + ": " + msg
	}
	return msg
}
