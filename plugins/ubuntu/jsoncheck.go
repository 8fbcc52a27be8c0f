package ubuntu

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// maxJSONDepth bounds nesting; simplestreams documents nest six deep.
const maxJSONDepth = 32

// checkJSON checks what encoding/json lets pass: data must be exactly one
// JSON value, and no object may have two keys that are equal ignoring case
// (encoding/json keeps the last of two equal keys and matches struct fields
// case-insensitively, so either would silently pick one of two answers).
// Canonical writes its streams with Python's json module from dicts, which
// never produces either.
func checkJSON(data []byte) error {
	if t := bytes.TrimLeft(data, " \t\r\n"); len(t) > 0 && t[0] == '<' {
		return errors.New("looks like an HTML page, not JSON")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var stack []*jsonFrame
	done := false
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			if !done {
				return errors.New("not JSON: empty document")
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("not JSON: %w", err)
		}
		if done {
			return fmt.Errorf("not JSON: data after the document at offset %d", dec.InputOffset())
		}
		var top *jsonFrame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.object && !top.value {
			if d, ok := tok.(json.Delim); ok && d == '}' {
				stack = stack[:len(stack)-1]
				done = len(stack) == 0
				markValue(stack)
				continue
			}
			key, _ := tok.(string) // the decoder only returns strings here
			folded := strings.ToLower(key)
			if prev, dup := top.keys[folded]; dup {
				return fmt.Errorf("key %q appears twice in one object (also as %q)", clip(key), clip(prev))
			}
			top.keys[folded] = key
			top.value = true
			continue
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			if len(stack) == maxJSONDepth {
				return fmt.Errorf("nested deeper than %d levels", maxJSONDepth)
			}
			f := &jsonFrame{object: tok == json.Delim('{')}
			if f.object {
				f.keys = map[string]string{}
			}
			stack = append(stack, f)
		case json.Delim(']'):
			stack = stack[:len(stack)-1]
			done = len(stack) == 0
			markValue(stack)
		default:
			if n, ok := tok.(json.Number); ok {
				if _, err := n.Float64(); err != nil {
					return fmt.Errorf("not JSON: number %s is out of range", clip(string(n)))
				}
			}
			if len(stack) == 0 {
				done = true
			}
			markValue(stack)
		}
	}
}

// jsonFrame is an open object or array.
type jsonFrame struct {
	object bool
	keys   map[string]string // folded key -> key as written
	value  bool              // in an object: the next token is a value, not a key
}

// markValue records that a value just ended: in an object, a key comes next.
func markValue(stack []*jsonFrame) {
	if len(stack) > 0 {
		stack[len(stack)-1].value = false
	}
}

// clip shortens s for an error message.
func clip(s string) string { return clipN(s, 60) }

// clipN shortens s to at most n bytes and an ellipsis, at a character
// boundary, and drops invalid UTF-8.
func clipN(s string, n int) string {
	if len(s) <= n {
		return strings.ToValidUTF8(s, "")
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}
