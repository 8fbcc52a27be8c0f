package qemuimg

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"
)

// decodeOne decodes exactly one JSON value from data into v. It first
// refuses an object with two keys that encoding/json would match to the
// same field (it matches case-insensitively and keeps the last), so a
// second "backing-filename" or a "Backing-Filename" cannot hide a first.
// qemu-img never prints such output; anything that does is refused.
func decodeOne(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := uniqueKeys(dec); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("trailing data after the JSON value")
	}
	return json.Unmarshal(data, v)
}

// uniqueKeys reads one JSON value from dec and fails on duplicate object
// keys at any depth.
func uniqueKeys(dec *json.Decoder) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	d, ok := tok.(json.Delim)
	if !ok {
		return nil
	}
	switch d {
	case '{':
		seen := make(map[string]bool)
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return err
			}
			k, _ := kt.(string)
			f := foldKey(k)
			if seen[f] {
				return fmt.Errorf("duplicate key %q", k)
			}
			seen[f] = true
			if err := uniqueKeys(dec); err != nil {
				return err
			}
		}
	case '[':
		for dec.More() {
			if err := uniqueKeys(dec); err != nil {
				return err
			}
		}
	}
	_, err = dec.Token() // the closing delimiter
	return err
}

// foldKey folds a key the way encoding/json matches field names.
func foldKey(k string) string {
	return strings.Map(func(r rune) rune { return unicode.ToUpper(unicode.ToLower(r)) }, k)
}
