package strictjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Limits bound what Check accepts; zero fields take the defaults.
type Limits struct {
	// Depth is the deepest nesting of objects and arrays allowed.
	Depth int
	// Bytes is the longest input allowed.
	Bytes int64
}

// The default limits.
const (
	DefaultDepth = 64
	DefaultBytes = 16 << 20
)

func (l Limits) withDefaults() Limits {
	if l.Depth <= 0 {
		l.Depth = DefaultDepth
	}
	if l.Bytes <= 0 {
		l.Bytes = DefaultBytes
	}
	return l
}

// ErrHTML is wrapped by the error for input that starts with '<'.
var ErrHTML = errors.New("looks like an HTML page, not JSON")

// Unmarshal checks data (see Check) and decodes it into v.
func Unmarshal(data []byte, v any, l Limits) error {
	if err := Check(data, l); err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("not the expected JSON: %w", err)
	}
	return nil
}

// Check reports whether data is one JSON value within l, without duplicate
// keys (ignoring case). Its errors say what is wrong and where (the byte
// offset).
func Check(data []byte, l Limits) error {
	l = l.withDefaults()
	if int64(len(data)) > l.Bytes {
		return fmt.Errorf("%d bytes, more than the %d-byte limit", len(data), l.Bytes)
	}
	if t := bytes.TrimLeft(data, " \t\r\n"); len(t) > 0 && t[0] == '<' {
		return ErrHTML
	}
	// The nesting is checked first, by a scan that allocates nothing, so
	// that no deep input ever reaches the token decoder below.
	if err := checkDepth(data, l.Depth); err != nil {
		return err
	}
	return checkTokens(data)
}

// checkDepth scans data for brackets outside strings.
func checkDepth(data []byte, max int) error {
	depth, inString, escaped := 0, false, false
	for i, c := range data {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
			if depth > max {
				return fmt.Errorf("nested deeper than %d levels at offset %d", max, i)
			}
		case c == '}' || c == ']':
			depth--
		}
	}
	return nil
}

// frame is an open object or array.
type frame struct {
	keys    map[string]string // object: folded key -> key as written; nil for an array
	wantKey bool              // object: the next token is a key
}

// checkTokens walks the tokens of data: one value, no duplicate keys,
// numbers in range.
func checkTokens(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var stack []*frame
	seen := false
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			switch {
			case !seen:
				return errors.New("not JSON: empty document")
			case len(stack) != 0:
				return errors.New("not JSON: unexpected end of input")
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("not JSON: %v", err)
		}
		seen = true
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if n, ok := tok.(json.Number); ok {
			if _, err := n.Float64(); err != nil {
				return fmt.Errorf("not JSON: number %s is out of range", clip(string(n)))
			}
		}
		delim, isDelim := tok.(json.Delim)
		switch {
		case top != nil && top.keys != nil && top.wantKey && !isDelim:
			key, _ := tok.(string) // the decoder returns only strings here
			folded := strings.ToLower(key)
			if prev, dup := top.keys[folded]; dup {
				if prev == key {
					return fmt.Errorf("key %q appears twice in one object (offset %d)", clip(key), dec.InputOffset())
				}
				return fmt.Errorf("keys %q and %q in one object differ only in case (offset %d)", clip(prev), clip(key), dec.InputOffset())
			}
			top.keys[folded] = key
			top.wantKey = false
			continue
		case isDelim && (delim == '{' || delim == '['):
			f := &frame{}
			if delim == '{' {
				f.keys, f.wantKey = map[string]string{}, true
			}
			stack = append(stack, f)
			continue
		case isDelim: // '}' or ']'
			stack = stack[:len(stack)-1]
		}
		// A value (scalar or container) has ended.
		if len(stack) == 0 {
			if dec.More() {
				return fmt.Errorf("not JSON: data after the value at offset %d", dec.InputOffset())
			}
			continue
		}
		stack[len(stack)-1].wantKey = true
	}
}

// clip shortens s for an error message, keeping it valid UTF-8.
func clip(s string) string {
	const n = 60
	if len(s) <= n {
		return strings.ToValidUTF8(s, "")
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}
