package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxBodyBytes bounds a request body. Every body the API takes is a small
// JSON object.
const MaxBodyBytes = 64 << 10

// Request bodies. Every field is optional, and an empty body is the same
// as {}.
type (
	// SyncBody is POST /v1/sync and POST /v1/check.
	SyncBody struct {
		Images []string `json:"images"`
	}
	// RollbackBody is POST /v1/images/{name}/rollback.
	RollbackBody struct {
		Version string `json:"version"`
	}
	// HoldBody is POST /v1/images/{name}/hold.
	HoldBody struct {
		Reason string `json:"reason"`
	}
	// PruneBody is POST /v1/prune.
	PruneBody struct {
		DryRun bool `json:"dry_run"`
	}
	// EmptyBody is every other POST: it takes no parameters.
	EmptyBody struct{}
	// ResolveBody is POST /v1/resolve: a source image (source, release,
	// arch, variant) or a url image (url, checksum, format), as the config
	// file would declare it.
	ResolveBody struct {
		Source   string `json:"source"`
		Release  string `json:"release"`
		Arch     string `json:"arch"`
		Variant  string `json:"variant"`
		URL      string `json:"url"`
		Checksum string `json:"checksum"`
		Format   string `json:"format"`
	}
	// AddImageBody is POST /v1/images: the image's name and what
	// ResolveBody holds.
	AddImageBody struct {
		Name string `json:"name"`
		ResolveBody
	}
)

// MaxFieldBytes bounds each field of an image body (a URL or a checksum
// file URL is the longest).
const MaxFieldBytes = 2048

// CheckImageBody refuses what cannot be an image: a source image and a
// url image at once, or neither, and oversized or control characters.
// The config file's rules (package config) check the rest.
func CheckImageBody(b ResolveBody) error {
	for field, v := range map[string]string{"source": b.Source, "release": b.Release, "arch": b.Arch, "variant": b.Variant, "url": b.URL, "checksum": b.Checksum, "format": b.Format} {
		if len(v) > MaxFieldBytes {
			return Errorf(http.StatusBadRequest, "%s is longer than %d bytes", field, MaxFieldBytes)
		}
		for _, c := range v {
			if c < 0x20 || c == 0x7f {
				return Errorf(http.StatusBadRequest, "%s holds a control character", field)
			}
		}
	}
	switch {
	case b.Source == "" && b.URL == "":
		return Errorf(http.StatusBadRequest, "give a source (with its release) or a url (with its checksum)")
	case b.Source != "" && b.URL != "":
		return Errorf(http.StatusBadRequest, "give a source or a url, not both")
	case b.Source != "" && (b.Checksum != "" || b.Format != ""):
		return Errorf(http.StatusBadRequest, "checksum and format are for url images; the %s source finds them", shorten(b.Source))
	case b.URL != "" && (b.Release != "" || b.Arch != "" || b.Variant != ""):
		return Errorf(http.StatusBadRequest, "release, arch and variant are for source images")
	}
	return nil
}

// decodeBody reads r's body, at most MaxBodyBytes, into v: one JSON
// object, no unknown fields, nothing after it. An empty body leaves v as
// it is. The error is a *StatusError (400, 413 or 415).
func decodeBody(r *http.Request, v any) error {
	if r.ContentLength > MaxBodyBytes {
		return Errorf(http.StatusRequestEntityTooLarge, "request body of %d bytes is over the %d-byte limit", r.ContentLength, MaxBodyBytes)
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return Errorf(http.StatusRequestEntityTooLarge, "request body is over the %d-byte limit", MaxBodyBytes)
		}
		return Errorf(http.StatusBadRequest, "reading the request body: %v", err)
	}
	if len(data) > MaxBodyBytes {
		return Errorf(http.StatusRequestEntityTooLarge, "request body is over the %d-byte limit", MaxBodyBytes)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	if ct := r.Header.Get("Content-Type"); !isJSON(ct) {
		return Errorf(http.StatusUnsupportedMediaType, "request body must be application/json, got Content-Type %q", ct)
	}
	return DecodeJSON(data, v)
}

func isJSON(contentType string) bool {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil || mt != "application/json" {
		return false
	}
	cs, ok := params["charset"]
	return !ok || strings.EqualFold(cs, "utf-8")
}

// DecodeJSON decodes data, one JSON object, into v. Unknown fields and
// anything after the object are refused (of a key given twice, the last
// one counts, as encoding/json does). The error is a *StatusError 400.
func DecodeJSON(data []byte, v any) error {
	if !utf8.Valid(data) {
		return Errorf(http.StatusBadRequest, "request body is not valid UTF-8")
	}
	if t := bytes.TrimSpace(data); len(t) == 0 || t[0] != '{' {
		return Errorf(http.StatusBadRequest, "request body must be a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return Errorf(http.StatusBadRequest, "request body: %s", jsonProblem(err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Errorf(http.StatusBadRequest, "request body: data after the JSON object")
	}
	return nil
}

// jsonProblem says what is wrong with a body in the client's terms.
func jsonProblem(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("invalid JSON at byte %d: %v", se.Offset, se)
	case errors.As(err, &te):
		return fmt.Sprintf("%s: want %s, got %s", te.Field, te.Type, te.Value)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "the JSON object is cut short"
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

// CheckImageName refuses what cannot be an image name: the same rule as
// the config's (a plain file name of at most 255 bytes, not hidden).
func CheckImageName(name string) error {
	switch {
	case name == "":
		return Errorf(http.StatusBadRequest, "empty image name")
	case len(name) > 255:
		return Errorf(http.StatusBadRequest, "image name longer than 255 bytes")
	case name[0] == '.':
		return Errorf(http.StatusBadRequest, "image name %q: hidden names are not image names", shorten(name))
	case !utf8.ValidString(name):
		return Errorf(http.StatusBadRequest, "image name is not valid UTF-8")
	}
	for _, c := range name {
		if c == '/' || c == '\\' || c < 0x20 || c == 0x7f {
			return Errorf(http.StatusBadRequest, "image name %q: must be a plain file name", shorten(name))
		}
	}
	return nil
}

// checkNames checks a body's image list.
func checkNames(names []string) error {
	if len(names) > 1024 {
		return Errorf(http.StatusBadRequest, "too many images (%d)", len(names))
	}
	for _, n := range names {
		if err := CheckImageName(n); err != nil {
			return err
		}
	}
	return nil
}

// MaxVersionBytes bounds a version: room for a SHA-512 digest
// ("sha512:" and 128 hex digits), which names a build too.
const MaxVersionBytes = 160

// CheckVersion refuses what cannot be a build's version or digest: the
// characters they are made of (letters, digits, . _ + - ~ :), at most
// MaxVersionBytes.
func CheckVersion(v string) error {
	if len(v) > MaxVersionBytes {
		return Errorf(http.StatusBadRequest, "version longer than %d bytes", MaxVersionBytes)
	}
	for _, c := range v {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("._+-~:", c)
		if !ok {
			return Errorf(http.StatusBadRequest, "version %q: only letters, digits and . _ + - ~ : are allowed", shorten(v))
		}
	}
	return nil
}

// MaxReasonBytes bounds a hold's reason.
const MaxReasonBytes = 200

// CheckReason refuses a hold reason that is too long or holds control
// characters (it is shown in status, the UI and the log).
func CheckReason(s string) error {
	if len(s) > MaxReasonBytes {
		return Errorf(http.StatusBadRequest, "reason longer than %d bytes", MaxReasonBytes)
	}
	for _, c := range s {
		if c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) || c == utf8.RuneError {
			return Errorf(http.StatusBadRequest, "reason holds a control character or invalid UTF-8")
		}
	}
	return nil
}

// ParseLastEventID reads a Last-Event-ID header: "" (start now) or a
// decimal event id.
func ParseLastEventID(s string) (id uint64, set bool, err error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, false, nil
	}
	if len(s) > 20 || strings.TrimLeft(s, "0123456789") != "" {
		return 0, false, Errorf(http.StatusBadRequest, "Last-Event-ID %q is not an event id (a decimal number)", shorten(s))
	}
	id, err = strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, false, Errorf(http.StatusBadRequest, "Last-Event-ID %q is out of range", shorten(s))
	}
	return id, true, nil
}

// ParseBearer reads an Authorization header: "Bearer <token>" (the scheme
// in any case). ok is false when the header is absent or not a bearer
// token.
func ParseBearer(h string) (token string, ok bool) {
	scheme, tok, found := strings.Cut(h, " ")
	if !found || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	if tok == "" || len(tok) > 4096 {
		return "", false
	}
	for i := 0; i < len(tok); i++ {
		if tok[i] <= ' ' || tok[i] >= 0x7f {
			return "", false
		}
	}
	return tok, true
}

// ParseJobID reads a job id: a decimal number without leading zeros.
func ParseJobID(s string) (string, error) {
	if s == "" || len(s) > 20 || strings.TrimLeft(s, "0123456789") != "" || (len(s) > 1 && s[0] == '0') {
		return "", Errorf(http.StatusBadRequest, "job id %q is not a job id (a decimal number)", shorten(s))
	}
	return s, nil
}

func shorten(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}
