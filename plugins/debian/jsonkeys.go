package debian

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// checkJSON reports whether data is exactly one well-formed JSON value in
// which no object has the same key twice. encoding/json keeps the last of
// duplicate keys and matches struct fields ignoring case, so a manifest
// with both "ref" and "Ref" in one object would be read as whichever comes
// last: such a manifest is ambiguous and is refused. Keys are compared
// after lowercasing for that reason.
func checkJSON(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	// One entry per open container; keys is nil for an array.
	type container struct {
		keys    map[string]string // lowercased key -> key as written
		wantKey bool              // in an object: the next token is a key
	}
	var stack []*container
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
		seen = true
		if err != nil {
			return fmt.Errorf("not JSON: %v", err)
		}
		var top *container
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if n, ok := tok.(json.Number); ok {
			if _, err := n.Float64(); err != nil {
				return fmt.Errorf("not JSON: number %q is out of range", string(n))
			}
		}
		delim, isDelim := tok.(json.Delim)
		switch {
		case top != nil && top.keys != nil && top.wantKey && !isDelim:
			key, _ := tok.(string) // the decoder yields only string keys
			folded := strings.ToLower(key)
			if prev, dup := top.keys[folded]; dup {
				if prev == key {
					return fmt.Errorf("key %q appears twice in one object", key)
				}
				return fmt.Errorf("keys %q and %q in one object differ only in case", prev, key)
			}
			top.keys[folded] = key
			top.wantKey = false
			continue
		case isDelim && (delim == '{' || delim == '['):
			c := &container{}
			if delim == '{' {
				c.keys, c.wantKey = map[string]string{}, true
			}
			stack = append(stack, c)
			continue
		case isDelim: // '}' or ']'
			stack = stack[:len(stack)-1]
		}
		// A value (scalar or container) has ended.
		if len(stack) == 0 {
			if dec.More() {
				return errors.New("not JSON: more than one value")
			}
			continue
		}
		stack[len(stack)-1].wantKey = true
	}
}
