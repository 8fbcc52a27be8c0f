package ubuntu

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/sandlabx/fetchd/sdk/strictjson"
)

// The released products document keeps every serial of every release and
// architecture Canonical ever published and only grows: tens of MiB, with
// no upper bound anyone promises. It is decoded from the stream as it
// arrives, keeping only the one product asked for (a few KiB) and the
// product ids, so the plugin never holds the document, let alone a copy
// of it and its decoded form.

// productsResult is what decodeProducts keeps of a products document.
type productsResult struct {
	// product is the wanted product; found says whether there was one.
	product product
	found   bool
	// ids are the ids of every product, for messages.
	ids []string
}

// maxProductBytes bounds the one product kept: a product with every
// serial since 2014 is well under 1 MiB.
const maxProductBytes = 8 << 20

// decodeProducts reads a products:1.0 document from r, checks that it is
// the contentID document, and keeps the product wantID. The document must
// be one JSON object; its top-level keys and product ids must be unique;
// the kept product is checked as strictly as any small document
// (strictjson).
func decodeProducts(r io.Reader, contentID, wantID string) (productsResult, error) {
	var res productsResult
	br := bufio.NewReader(r)
	if looksLikeHTML(br) {
		return res, strictjson.ErrHTML
	}
	dec := json.NewDecoder(br)
	dec.UseNumber()
	if err := expectDelim(dec, '{'); err != nil {
		return res, err
	}
	var head struct{ contentID, dataType, format *string }
	seen := map[string]bool{}
	for dec.More() {
		key, err := objectKey(dec, seen)
		if err != nil {
			return res, err
		}
		switch key {
		case "content_id":
			head.contentID, err = stringValue(dec, key)
		case "datatype":
			head.dataType, err = stringValue(dec, key)
		case "format":
			head.format, err = stringValue(dec, key)
		case "products":
			err = decodeProductMap(dec, wantID, &res)
		default:
			err = skipValue(dec)
		}
		if err != nil {
			return res, err
		}
	}
	if err := expectDelim(dec, '}'); err != nil {
		return res, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return res, fmt.Errorf("not JSON: data after the document at offset %d", dec.InputOffset())
	}
	got := func(s *string) string {
		if s == nil {
			return ""
		}
		return *s
	}
	if got(head.contentID) != contentID || got(head.dataType) != "image-downloads" || got(head.format) != "products:1.0" {
		return res, fmt.Errorf("content_id %q, datatype %q, format %q: want %q, \"image-downloads\", \"products:1.0\"",
			clip(got(head.contentID)), clip(got(head.dataType)), clip(got(head.format)), contentID)
	}
	return res, nil
}

// decodeProductMap reads the products object, keeping wantID.
func decodeProductMap(dec *json.Decoder, wantID string, res *productsResult) error {
	if err := expectDelim(dec, '{'); err != nil {
		return fmt.Errorf("products: %w", err)
	}
	seen := map[string]bool{}
	for dec.More() {
		id, err := objectKey(dec, seen)
		if err != nil {
			return fmt.Errorf("products: %w", err)
		}
		res.ids = append(res.ids, id)
		if id != wantID {
			if err := skipValue(dec); err != nil {
				return fmt.Errorf("products: %q: %w", clip(id), err)
			}
			continue
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return fmt.Errorf("products: %q: not JSON: %w", clip(id), err)
		}
		if err := strictjson.Unmarshal(raw, &res.product, strictjson.Limits{Depth: 16, Bytes: maxProductBytes}); err != nil {
			return fmt.Errorf("product %s: %w", id, err)
		}
		res.found = true
	}
	return expectDelim(dec, '}')
}

// looksLikeHTML reports whether the first byte after whitespace is '<'.
func looksLikeHTML(br *bufio.Reader) bool {
	for i := 1; i <= 4096; i++ {
		b, err := br.Peek(i)
		if err != nil || len(b) < i {
			return false
		}
		switch b[i-1] {
		case ' ', '\t', '\r', '\n':
			continue
		case '<':
			return true
		}
		return false
	}
	return false
}

// objectKey reads the next key of an object; seen holds the keys so far,
// compared ignoring case (encoding/json matches fields that way).
func objectKey(dec *json.Decoder, seen map[string]bool) (string, error) {
	tok, err := dec.Token()
	if err != nil {
		return "", fmt.Errorf("not JSON: %w", err)
	}
	key, ok := tok.(string)
	if !ok {
		return "", fmt.Errorf("not JSON: %v where a key belongs", tok)
	}
	folded := strings.ToLower(key)
	if seen[folded] {
		return "", fmt.Errorf("key %q appears twice in one object", clip(key))
	}
	seen[folded] = true
	return key, nil
}

func stringValue(dec *json.Decoder, key string) (*string, error) {
	var s string
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("%s: %w", key, err)
	}
	return &s, nil
}

// skipValue reads past one value. encoding/json's decoder refuses nesting
// deeper than 10000 levels itself and needs a few bytes per level for it.
func skipValue(dec *json.Decoder) error {
	var discard json.RawMessage
	return dec.Decode(&discard)
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	switch {
	case errors.Is(err, io.EOF):
		return errors.New("not JSON: unexpected end of the document")
	case err != nil:
		return fmt.Errorf("not JSON: %w", err)
	case tok != want:
		return fmt.Errorf("not a simplestreams products document: %v where %q belongs", tok, want)
	}
	return nil
}

// archesWith lists, sorted, the architectures of the product ids that start
// with prefix ("com.ubuntu.cloud:server:24.04:").
func archesWith(ids []string, prefix string) []string {
	var out []string
	for _, id := range ids {
		if a, ok := strings.CutPrefix(id, prefix); ok && a != "" {
			out = append(out, clip(a))
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
