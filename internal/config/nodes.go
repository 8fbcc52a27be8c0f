package config

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// YAML short tags the parser deals with.
const (
	tagStr       = "!!str"
	tagInt       = "!!int"
	tagFloat     = "!!float"
	tagBool      = "!!bool"
	tagNull      = "!!null"
	tagTimestamp = "!!timestamp"
	tagMerge     = "!!merge"
)

// parser turns the YAML node tree into a Config and produces *Error values
// that point at the offending node.
type parser struct {
	file    string // as named, for messages
	baseDir string // absolute; relative paths are joined to it
}

func (p *parser) errAt(n *yaml.Node, key, format string, args ...any) *Error {
	line := 0
	if n != nil {
		line = n.Line
	}
	return &Error{File: p.file, Line: line, Key: key, Msg: fmt.Sprintf(format, args...)}
}

// child returns the key path of key inside path.
func child(path, key string) string {
	seg := key
	if !bareKey.MatchString(key) {
		seg = strconv.Quote(key)
	}
	if path == "" {
		return seg
	}
	return path + "." + seg
}

var bareKey = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

func index(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

// plain refuses the YAML features fetchd does not support: aliases and
// merge keys (they make it hard to say which line a value came from) and
// application-specific tags.
func (p *parser) plain(n *yaml.Node, path string) error {
	switch {
	case n.Kind == yaml.AliasNode:
		return p.errAt(n, path, "YAML aliases (*%s) are not supported; write the value out", n.Value)
	case n.ShortTag() == tagMerge:
		return p.errAt(n, path, "YAML merge keys (<<) are not supported; write the keys out")
	case strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.ShortTag(), "!!") && n.Tag != "!":
		return p.errAt(n, path, "unsupported YAML tag %s", n.Tag)
	}
	return nil
}

// mapping walks the mapping n at path. A null value counts as an empty
// mapping. Keys must be strings and unique; when known is not nil, every key
// must be in it. fn is called for each key, in file order.
func (p *parser) mapping(n *yaml.Node, path string, known []string, fn func(key string, k, v *yaml.Node) error) error {
	if err := p.plain(n, path); err != nil {
		return err
	}
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return p.errAt(n, path, "want a mapping (key: value lines), got %s", describe(n))
	}
	seen := make(map[string]int, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if err := p.plain(k, path); err != nil {
			return err
		}
		if k.Kind != yaml.ScalarNode || k.ShortTag() != tagStr {
			return p.errAt(k, path, "key %s is not a string; quote it", describe(k))
		}
		key := k.Value
		if first, dup := seen[key]; dup {
			return p.errAt(k, path, "duplicate key %q (first at line %d)", key, first)
		}
		seen[key] = k.Line
		if known != nil && !slices.Contains(known, key) {
			return p.errAt(k, path, "unknown key %q (known: %s)", key, strings.Join(known, ", "))
		}
		if err := p.plain(v, child(path, key)); err != nil {
			return err
		}
		if err := fn(key, k, v); err != nil {
			return err
		}
	}
	return nil
}

// list walks the sequence n at path; a null value counts as an empty list.
func (p *parser) list(n *yaml.Node, path string, fn func(i int, item *yaml.Node) error) error {
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		return p.errAt(n, path, "want a list, got %s", describe(n))
	}
	for i, item := range n.Content {
		ipath := index(path, i)
		if err := p.plain(item, ipath); err != nil {
			return err
		}
		if err := fn(i, item); err != nil {
			return err
		}
	}
	return nil
}

// str returns the string scalar n; anything else is an error. Empty strings
// are refused: no fetchd setting has a meaningful empty value.
func (p *parser) str(n *yaml.Node, path string) (string, error) {
	if n.Kind != yaml.ScalarNode || n.ShortTag() != tagStr {
		return "", p.errAt(n, path, "want a string, got %s", describe(n)+quoteHint(n))
	}
	if n.Value == "" {
		return "", p.errAt(n, path, "must not be empty")
	}
	return n.Value, nil
}

// text returns a scalar exactly as written when it is a string, a number or
// a date, so release: 24.04 gives "24.04" and 3.20 gives "3.20", not 3.2.
func (p *parser) text(n *yaml.Node, path string) (string, error) {
	if n.Kind != yaml.ScalarNode {
		return "", p.errAt(n, path, "want a string, got %s", describe(n))
	}
	switch n.ShortTag() {
	case tagStr, tagInt, tagFloat, tagTimestamp:
	default:
		return "", p.errAt(n, path, "want a string, got %s", describe(n)+quoteHint(n))
	}
	if n.Value == "" {
		return "", p.errAt(n, path, "must not be empty")
	}
	return n.Value, nil
}

// integer returns the plain decimal integer scalar n.
func (p *parser) integer(n *yaml.Node, path string) (int, error) {
	if n.Kind == yaml.ScalarNode && n.ShortTag() == tagInt {
		if v, err := strconv.Atoi(n.Value); err == nil {
			return v, nil
		}
	}
	return 0, p.errAt(n, path, "want a whole number, got %s", describe(n))
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == tagNull
}

// describe names a node's kind and value for messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	case yaml.DocumentNode:
		return "a document"
	}
	v := shorten(n.Value, 40)
	switch n.ShortTag() {
	case tagStr:
		return strconv.Quote(v)
	case tagNull:
		return "nothing (null)"
	case tagBool:
		return v + " (a boolean)"
	case tagInt, tagFloat:
		return v + " (a number)"
	case tagTimestamp:
		return v + " (a date)"
	}
	return v + " (" + n.ShortTag() + ")"
}

// quoteHint suggests quoting a plain scalar that YAML read as a number,
// boolean or date.
func quoteHint(n *yaml.Node) string {
	if n.Kind != yaml.ScalarNode || n.Style != 0 {
		return ""
	}
	switch n.ShortTag() {
	case tagInt, tagFloat, tagBool, tagTimestamp:
		return "; quote it if you mean the text: " + strconv.Quote(n.Value)
	}
	return ""
}

func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
