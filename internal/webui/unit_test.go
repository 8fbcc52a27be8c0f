package webui

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/sandlabx/fetchd/internal/testing/browser"
	"github.com/sandlabx/fetchd/internal/webui/bundle"
)

func newTestServer(t *testing.T) (*httptest.Server, *Handler) {
	t.Helper()
	h, err := New()
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/", h)
	// The unit tests import the modules themselves, from src/, under the
	// page's own policy.
	files := func(dir string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			SecureHeaders(w.Header())
			w.Header().Set("Content-Security-Policy", h.CSP())
			serveFile(w, r, filepath.Join(dir, filepath.Base(r.URL.Path)))
		}
	}
	mux.HandleFunc("/test/", files("testdata"))
	mux.HandleFunc("/src/", files("src"))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, h
}

func serveFile(w http.ResponseWriter, r *http.Request, name string) {
	data, err := os.ReadFile(name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	ct := "text/html; charset=utf-8"
	if strings.HasSuffix(name, ".js") {
		ct = "text/javascript; charset=utf-8"
	}
	w.Header().Set("Content-Type", ct)
	w.Write(data)
}

// TestHeaders: every file the UI serves carries the CSP and the other
// security headers, has its type, and comes compressed on request; a
// revalidation with the ETag costs a 304; other paths are 404s.
func TestHeaders(t *testing.T) {
	t.Parallel()
	h, err := New()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range h.Paths() {
		req := httptest.NewRequest("GET", p, nil)
		req.Header.Set("Accept-Encoding", "gzip, br")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		hd := rec.Header()
		if rec.Code != 200 || hd.Get("Content-Security-Policy") != h.CSP() || hd.Get("X-Content-Type-Options") != "nosniff" ||
			hd.Get("X-Frame-Options") != "DENY" || hd.Get("Content-Encoding") != "gzip" || hd.Get("Content-Type") == "" {
			t.Errorf("GET %s: %d %v", p, rec.Code, hd)
		}
		req = httptest.NewRequest("GET", p, nil)
		req.Header.Set("If-None-Match", hd.Get("ETag"))
		rec = httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusNotModified {
			t.Errorf("GET %s with its ETag: %d, want 304", p, rec.Code)
		}
	}
	for _, c := range []struct {
		method, path string
		want         int
	}{{"GET", "/nope", 404}, {"GET", "/assets/", 404}, {"POST", "/", 405}, {"GET", "/assets/../go.mod", 404}} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(c.method, c.path, nil))
		if rec.Code != c.want || rec.Header().Get("Content-Security-Policy") != h.CSP() {
			t.Errorf("%s %s: %d, want %d with the CSP", c.method, c.path, rec.Code, c.want)
		}
	}
	for _, c := range []struct {
		header string
		gzip   bool
	}{{"gzip", true}, {"deflate, gzip;q=0.5", true}, {"gzip;q=0", false}, {"br", false}, {"", false}} {
		if got := acceptsGzip(c.header); got != c.gzip {
			t.Errorf("acceptsGzip(%q) = %v", c.header, got)
		}
	}
}

// TestNoInlineScript: the page has no inline script or handler and no
// style attribute; every script comes from the page's own /assets/; its one
// style element is src/style.css, allowed by its hash and nothing else.
func TestNoInlineScript(t *testing.T) {
	t.Parallel()
	h, err := New()
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	page := rec.Body.String()
	for _, bad := range []string{"<script>", " style=", " onclick=", " onload=", "javascript:", "modulepreload"} {
		if strings.Contains(page, bad) {
			t.Errorf("the page contains %q", bad)
		}
	}
	if n, m := strings.Count(page, "<script"), strings.Count(page, `<script type="module" src="/assets/app.js"></script>`); n != 1 || m != 1 {
		t.Errorf("the page has %d scripts, want only /assets/app.js", n)
	}
	start, end := strings.Index(page, "<style>"), strings.Index(page, "</style>")
	if strings.Count(page, "<style") != 1 || start < 0 || end < start {
		t.Fatalf("the page should have one <style> element")
	}
	sheet := page[start+len("<style>") : end]
	if sheet != styleSheet {
		t.Error("the page's <style> is not src/style.css")
	}
	sum := sha256.Sum256([]byte(sheet))
	want := map[string]string{
		"style-src":  "style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'",
		"script-src": "script-src 'self'",
	}
	csp := h.CSP()
	for _, d := range strings.Split(csp, ";") {
		d = strings.TrimSpace(d)
		name, _, _ := strings.Cut(d, " ")
		if w, ok := want[name]; ok {
			if d != w {
				t.Errorf("CSP: %q, want %q", d, w)
			}
			delete(want, name)
		}
	}
	if len(want) > 0 || strings.Contains(csp, "unsafe") {
		t.Errorf("CSP %q: missing %v, or an unsafe- source", csp, want)
	}
	if _, _, err := inlineStyle("a{}</STYLE><script>x()</script>"); err == nil {
		t.Error("a style sheet that ends its element early was inlined")
	}
}

// TestBundleCurrent: assets/app.js is what `go generate ./internal/webui`
// makes from src/ now.
func TestBundleCurrent(t *testing.T) {
	t.Parallel()
	want, err := bundle.Build(".")
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(bundle.Out)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is not the bundle of src/: run go generate ./internal/webui and commit the result", bundle.Out)
	}
}

// TestUnitsInBrowser runs the scripts' unit tests (testdata/unit.js) in
// Chromium, under the UI's CSP; they include that inline scripts and
// handlers never run.
func TestUnitsInBrowser(t *testing.T) {
	t.Parallel()
	srv, ui := newTestServer(t)
	b := browser.New(t, 800, 600)
	b.Do("opening the unit tests", chromedp.Navigate(srv.URL+"/test/unit.html"))
	b.WaitFor("the unit tests", "window.unitResults", "document.body.innerText")
	var res struct {
		Passed   int      `json:"passed"`
		Failures []string `json:"failures"`
	}
	b.Eval("results", "window.unitResults", &res)
	for _, f := range res.Failures {
		t.Error(f)
	}
	if res.Passed < 90 {
		t.Errorf("only %d unit checks passed", res.Passed)
	}
	// The browser reports what the CSP refused: the inline script, the
	// inline handler, the injected script.
	var csp int
	for _, p := range b.Problems() {
		if strings.Contains(p, "Content Security Policy") || strings.Contains(p, "TrustedHTML") || strings.Contains(p, "TrustedScript") {
			csp++
		}
	}
	if csp == 0 {
		t.Error("the browser reported no CSP violation; the inline script must have been refused")
	}
	resp, err := http.Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if got := resp.Header.Get("Content-Security-Policy"); got != ui.CSP() {
		t.Errorf("GET /: CSP %q", got)
	}
}
