package api

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzDecodeJSON: any body decodes into each request type or is refused
// with a 400, and what decodes re-encodes to something that decodes the
// same.
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{`{"name":"a.qcow2","source":"ubuntu","release":"24.04"}`, `{"url":"https://x/a","checksum":"file:https://x/SUMS","format":"raw"}`, `{}`, `{"images":["a.qcow2"]}`, `{"version":"1.2"}`, `{"dry_run":true}`, `{"reason":"kernel regression"}`, `{"images":null}`, `{"x":1}`, `[]`, `{"images":["a"]} {}`, "{\"images\":[\"\xff\"]}"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, v := range []any{&SyncBody{}, &RollbackBody{}, &HoldBody{}, &PruneBody{}, &EmptyBody{}, &AddImageBody{}, &ResolveBody{}} {
			err := DecodeJSON(data, v)
			if err != nil {
				se, ok := err.(*StatusError)
				if !ok || se.Status != http.StatusBadRequest {
					t.Fatalf("DecodeJSON(%q): %v, want a 400 StatusError", data, err)
				}
				continue
			}
			again, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			if err := DecodeJSON(again, v); err != nil {
				t.Fatalf("re-encoded %s does not decode: %v", again, err)
			}
		}
	})
}

// FuzzHeaders: the header and path decoders never panic, and what they
// accept is what the API documents.
func FuzzHeaders(f *testing.F) {
	for _, s := range []string{"", "0", "42", "18446744073709551615", "18446744073709551616", "-1", " 7 ", "Bearer abc", "bearer  x", "Basic x", "Bearer a b", "ubuntu-24-lts.qcow2", "../x", ".x", "a\x00b", "3.22.2-r0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if id, set, err := ParseLastEventID(s); err == nil && set && strconv.FormatUint(id, 10) != strings.TrimLeft(strings.TrimSpace(s), "0") && id != 0 {
			t.Fatalf("ParseLastEventID(%q) = %d", s, id)
		}
		if tok, ok := ParseBearer(s); ok && (tok == "" || strings.ContainsAny(tok, " \t\r\n")) {
			t.Fatalf("ParseBearer(%q) = %q", s, tok)
		}
		if err := CheckImageName(s); err == nil && (s == "" || s[0] == '.' || strings.ContainsAny(s, "/\\\x00") || !utf8.ValidString(s)) {
			t.Fatalf("CheckImageName(%q) accepted", s)
		}
		if err := CheckReason(s); err == nil && (len(s) > MaxReasonBytes || strings.ContainsAny(s, "\x00\r\n\x1b") || !utf8.ValidString(s)) {
			t.Fatalf("CheckReason(%q) accepted", s)
		}
		if err := CheckVersion(s); err == nil && strings.ContainsAny(s, "/ \x00") {
			t.Fatalf("CheckVersion(%q) accepted", s)
		}
		if id, err := ParseJobID(s); err == nil && id != s {
			t.Fatalf("ParseJobID(%q) = %q", s, id)
		}
	})
}

// FuzzRequest: any request (method, path, headers, body) gets an answer
// that is not a 500 and, when it is an error, a JSON error body.
func FuzzRequest(f *testing.F) {
	f.Add("POST", "/v1/sync", "application/json", "Bearer "+testToken, "", `{"images":["alpine-3.qcow2"]}`)
	f.Add("POST", "/v1/images/alpine-3.qcow2/rollback", "application/json", "Bearer "+testToken, "", `{"version":"x"}`)
	f.Add("GET", "/v1/images/%2e%2e", "", "Bearer "+testToken, "", "")
	f.Add("GET", "/v1/events", "", "Bearer "+testToken, "zz", "")
	f.Add("GET", "/v1/jobs/007", "", "Bearer x", "", "")
	f.Fuzz(func(t *testing.T, method, path, ctype, auth, lastID, body string) {
		if !validMethod(method) || !strings.HasPrefix(path, "/") || strings.ContainsAny(path, " \r\n\x00#?") || path == "/v1/events" && lastID == "" {
			return
		}
		s := New(newFake(), Options{})
		s.Access().Set(testToken, false)
		req, err := http.NewRequest(method, "http://localhost"+path, strings.NewReader(body))
		if err != nil {
			return
		}
		for k, v := range map[string]string{"Content-Type": ctype, "Authorization": auth, "Last-Event-ID": lastID} {
			if v != "" && validHeader(v) {
				req.Header.Set(k, v)
			}
		}
		if path == "/v1/events" && req.Header.Get("Last-Event-ID") == "" {
			return // a valid stream never ends; the other cases are covered
		}
		if _, _, err := ParseLastEventID(req.Header.Get("Last-Event-ID")); path == "/v1/events" && err == nil {
			return
		}
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, req)
		if rec.Code >= 500 && rec.Code != http.StatusNotImplemented && rec.Code != http.StatusServiceUnavailable {
			t.Fatalf("%s %s: %d %s", method, path, rec.Code, rec.Body)
		}
		if rec.Code >= 400 {
			var eb ErrorBody
			if err := json.Unmarshal(rec.Body.Bytes(), &eb); err != nil || eb.Status != rec.Code || eb.Error == "" {
				t.Fatalf("%s %s: %d with body %q", method, path, rec.Code, rec.Body)
			}
		}
	})
}

func validMethod(m string) bool {
	switch m {
	case "GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS":
		return true
	}
	return false
}

func validHeader(v string) bool {
	for i := 0; i < len(v); i++ {
		if v[i] < 0x20 || v[i] == 0x7f {
			return false
		}
	}
	return true
}
