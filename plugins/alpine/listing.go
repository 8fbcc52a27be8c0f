package alpine

import (
	"bytes"
	"errors"
	"fmt"
	"html"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode"
)

// ListingEntry is one file in a directory listing.
type ListingEntry struct {
	Name string
	// Size in bytes, or -1 when the listing does not give an exact size
	// (only nginx-style lines with a byte count do).
	Size int64
}

// ErrNotListing: the page does not look like a directory listing at all
// (no "Index of" title, no parent-directory link, no links to files), e.g.
// an error page served with status 200.
var ErrNotListing = errors.New("not a directory listing")

// maxEntries bounds the files one listing may hold; a branch's cloud
// directory holds a few hundred.
const maxEntries = 100_000

// nginxTail is what follows </a> on an nginx autoindex line: the date, the
// time and the exact size ("-" for directories).
var nginxTail = regexp.MustCompile(`^\s+\d{2}-[A-Za-z]{3}-\d{4} \d{2}:\d{2}\s+([0-9]{1,19}|-)\s*$`)

// ParseListing reads the files of an HTML directory listing (nginx
// autoindex, as on dl-cdn.alpinelinux.org, and the similar pages of Apache
// and lighttpd): the targets of the links, URL-decoded, that name a plain
// file in the directory itself. Links to parents, subdirectories, other
// hosts, absolute paths and sort queries are skipped. It reads the link
// targets, never the link texts, which nginx truncates for long names.
//
// A page with no file links is an empty directory when it has an "Index of"
// title or a parent-directory link, and an error wrapping ErrNotListing
// otherwise. A name listed twice is an error.
func ParseListing(data []byte) ([]ListingEntry, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fmt.Errorf("empty page: %w", ErrNotListing)
	}
	looksLikeListing := strings.Contains(asciiLower(string(data)), "index of")
	var out []ListingEntry
	seen := map[string]bool{}
	for line := range strings.SplitSeq(string(data), "\n") {
		line = strings.TrimSuffix(line, "\r")
		links := hrefs(line)
		for _, l := range links {
			if l.target == "../" || l.target == ".." {
				looksLikeListing = true
			}
			name, ok := fileName(l.target)
			if !ok {
				continue
			}
			if seen[name] {
				return nil, fmt.Errorf("%q is listed twice", name)
			}
			seen[name] = true
			if len(out) == maxEntries {
				return nil, fmt.Errorf("more than %d files", maxEntries)
			}
			size := int64(-1)
			if len(links) == 1 {
				size = nginxSize(l.tail)
			}
			out = append(out, ListingEntry{Name: name, Size: size})
		}
	}
	if len(out) == 0 && !looksLikeListing {
		return nil, fmt.Errorf("no \"Index of\" title, no parent-directory link and no links to files: %w", ErrNotListing)
	}
	return out, nil
}

// link is one href on a line and what follows its closing </a>.
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
		}
		out = append(out, link{target: target, tail: tail})
	}
}

// fileName turns a link target into the name of a file in the listed
// directory, or reports false for links to anything else.
func fileName(target string) (string, bool) {
	t := html.UnescapeString(target)
	t = strings.TrimPrefix(t, "./")
	if t == "" || strings.ContainsAny(t, "?#:") || strings.HasPrefix(t, "/") || strings.HasSuffix(t, "/") {
		return "", false
	}
	name, err := url.PathUnescape(t)
	if err != nil || name == "" || name == "." || name == ".." || strings.HasPrefix(name, ".") || strings.Contains(name, "/") || len(name) > maxFileName {
		return "", false
	}
	if strings.ContainsFunc(name, func(r rune) bool { return unicode.IsControl(r) || r == unicode.ReplacementChar || r == '\\' }) {
		return "", false
	}
	return name, true
}

// nginxSize reads the exact size from the rest of an nginx autoindex line,
// or returns -1.
func nginxSize(tail string) int64 {
	m := nginxTail.FindStringSubmatch(tail)
	if m == nil || m[1] == "-" {
		return -1
	}
	n, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil {
		return -1
	}
	return n
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
