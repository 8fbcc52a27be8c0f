package listing

import (
	"bytes"
	"errors"
	"fmt"
	"html"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Entry is one file or subdirectory of a listed directory.
type Entry struct {
	// Name is the entry's name, decoded, without a trailing "/".
	Name string
	// Dir says the entry is a subdirectory (its link ends in "/").
	Dir bool
	// Size is the exact size in bytes, or -1 when the page gives none or
	// only a rounded one (see SizeText).
	Size int64
	// SizeText is the size as the page wrote it ("118M", "123731968"), or
	// "" (and "-" for a directory).
	SizeText string
	// ModTime is the modification time the page gives, or the zero time.
	ModTime time.Time
}

// ErrNotListing: the page does not look like a directory listing at all.
var ErrNotListing = errors.New("not a directory listing")

// Limits.
const (
	// MaxEntries bounds the entries of one page.
	MaxEntries = 100_000
	// MaxName bounds an entry's name, in bytes.
	MaxName = 255
)

// Parse reads the entries of a directory listing page.
func Parse(data []byte) ([]Entry, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fmt.Errorf("empty page: %w", ErrNotListing)
	}
	looksLikeListing := strings.Contains(asciiLower(string(data)), "index of")
	var out []Entry
	seen := map[string]bool{}
	for line := range strings.SplitSeq(string(data), "\n") {
		line = strings.TrimSuffix(line, "\r")
		var entries []Entry
		var tail string
		for _, l := range hrefs(line) {
			if isParent(l.target) {
				looksLikeListing = true
				continue
			}
			e, ok := entryOf(l.target)
			if !ok {
				continue
			}
			if n := len(entries); n > 0 && entries[n-1].Name == e.Name && entries[n-1].Dir == e.Dir {
				// Apache links an icon and the name to the same target.
				tail = l.tail
				continue
			}
			entries = append(entries, e)
			tail = l.tail
		}
		if len(entries) == 1 {
			entries[0].ModTime, entries[0].Size, entries[0].SizeText = details(tail, entries[0].Dir)
		}
		for _, e := range entries {
			key := e.Name
			if e.Dir {
				key += "/"
			}
			if seen[key] {
				return nil, fmt.Errorf("%q is listed twice", key)
			}
			seen[key] = true
			if len(out) == MaxEntries {
				return nil, fmt.Errorf("more than %d entries", MaxEntries)
			}
			out = append(out, e)
		}
	}
	if len(out) == 0 && !looksLikeListing {
		return nil, fmt.Errorf("no \"Index of\" title, no parent-directory link and no entries: %w", ErrNotListing)
	}
	return out, nil
}

// Files returns the entries that are not directories.
func Files(entries []Entry) []Entry {
	var out []Entry
	for _, e := range entries {
		if !e.Dir {
			out = append(out, e)
		}
	}
	return out
}

// link is one href on a line and the text after its closing </a>, up to
// the next link.
type link struct {
	target string
	tail   string
}

// hrefs returns the quoted href values on a line, in order.
func hrefs(line string) []link {
	var out []link
	lower := asciiLower(line) // same length as line, so indexes carry over
	for i := 0; ; {
		j := strings.Index(lower[i:], "href=")
		if j < 0 {
			return out
		}
		i += j + len("href=")
		if i >= len(line) || (line[i] != '"' && line[i] != '\'') {
			continue
		}
		q := line[i]
		end := strings.IndexByte(line[i+1:], q)
		if end < 0 {
			return out
		}
		target := line[i+1 : i+1+end]
		i += end + 2
		tail := ""
		if k := strings.Index(lower[i:], "</a>"); k >= 0 {
			tail = line[i+k+len("</a>"):]
			if n := strings.Index(asciiLower(tail), "href="); n >= 0 {
				tail = tail[:n]
			}
		}
		out = append(out, link{target: target, tail: tail})
	}
}

func isParent(target string) bool {
	t := html.UnescapeString(target)
	return t == "../" || t == ".." || t == "./../"
}

// entryOf turns a link target into an entry of the listed directory, or
// reports false for links to anything else.
func entryOf(target string) (Entry, bool) {
	t := html.UnescapeString(target)
	t = strings.TrimPrefix(t, "./")
	dir := strings.HasSuffix(t, "/")
	t = strings.TrimSuffix(t, "/")
	if t == "" || strings.ContainsAny(t, "?#:") || strings.HasPrefix(t, "/") {
		return Entry{}, false
	}
	name, err := url.PathUnescape(t)
	if err != nil || name == "" || name == "." || name == ".." || strings.HasPrefix(name, ".") || strings.Contains(name, "/") || len(name) > MaxName {
		return Entry{}, false
	}
	if strings.ContainsFunc(name, func(r rune) bool {
		return unicode.IsControl(r) || r == unicode.ReplacementChar || r == '\\' || unicode.Is(unicode.Bidi_Control, r)
	}) {
		return Entry{}, false
	}
	return Entry{Name: name, Dir: dir, Size: -1}, true
}

// The dates the three servers write, and the size that follows.
var (
	tagRE  = regexp.MustCompile(`<[^>]*>`)
	dateRE = []struct {
		re     *regexp.Regexp
		layout string
	}{
		{regexp.MustCompile(`\b(\d{2}-[A-Za-z]{3}-\d{4} \d{2}:\d{2}(?::\d{2})?)\b`), "02-Jan-2006 15:04"}, // nginx
		{regexp.MustCompile(`\b(\d{4}-\d{2}-\d{2} \d{2}:\d{2}(?::\d{2})?)\b`), "2006-01-02 15:04"},        // Apache
		{regexp.MustCompile(`\b(\d{4}-[A-Za-z]{3}-\d{2} \d{2}:\d{2}(?::\d{2})?)\b`), "2006-Jan-02 15:04"}, // lighttpd
	}
	sizeRE = regexp.MustCompile(`^\s*(-|\d{1,19}|\d+(?:\.\d+)?[KMGTP]i?B?)(?:\s|$)`)
)

// details reads the modification time and size from the text after an
// entry's link.
func details(tail string, dir bool) (time.Time, int64, string) {
	text := html.UnescapeString(tagRE.ReplaceAllString(tail, " "))
	text = strings.ReplaceAll(text, "\u00a0", " ")
	var mtime time.Time
	rest := ""
	for _, d := range dateRE {
		loc := d.re.FindStringSubmatchIndex(text)
		if loc == nil {
			continue
		}
		s := text[loc[2]:loc[3]]
		layout := d.layout
		if strings.Count(s, ":") == 2 {
			layout += ":05"
		}
		if t, err := time.Parse(layout, s); err == nil {
			mtime, rest = t, text[loc[3]:]
		}
		break
	}
	if mtime.IsZero() {
		return mtime, -1, ""
	}
	m := sizeRE.FindStringSubmatch(rest)
	if m == nil {
		return mtime, -1, ""
	}
	sizeText := m[1]
	if dir || sizeText == "-" {
		return mtime, -1, sizeText
	}
	n, err := strconv.ParseInt(sizeText, 10, 64)
	if err != nil {
		return mtime, -1, sizeText
	}
	return mtime, n, sizeText
}

// asciiLower lowercases ASCII letters only, keeping every byte offset.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
