package webui

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/sandlabx/fetchd/internal/testing/browser"
)

func newTestServer(t *testing.T) *httptest.Server {
	t.Helper()
	h, err := New()
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/", h)
	mux.HandleFunc("/test/", func(w http.ResponseWriter, r *http.Request) {
		SecureHeaders(w.Header())
		name := filepath.Base(r.URL.Path)
		data, err := os.ReadFile(filepath.Join("testdata", name))
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
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
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
		if rec.Code != 200 || hd.Get("Content-Security-Policy") != CSP || hd.Get("X-Content-Type-Options") != "nosniff" ||
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
		if rec.Code != c.want || rec.Header().Get("Content-Security-Policy") != CSP {
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

// TestNoInlineScript: the page has no inline script, style or handler;
// every script and style sheet comes from the page's own /assets/.
func TestNoInlineScript(t *testing.T) {
	t.Parallel()
	data, err := assets.ReadFile("assets/index.html")
	if err != nil {
		t.Fatal(err)
	}
	page := string(data)
	for _, bad := range []string{"<script>", "<style", " style=", " onclick=", " onload=", "javascript:"} {
		if strings.Contains(page, bad) {
			t.Errorf("index.html contains %q", bad)
		}
	}
	if n, m := strings.Count(page, "<script"), strings.Count(page, `<script type="module" src="/assets/`); n != m {
		t.Errorf("index.html has %d scripts, %d of them from /assets/", n, m)
	}
}

// TestUnitsInBrowser runs the scripts' unit tests (testdata/unit.js) in
// Chromium, under the UI's CSP; they include that inline scripts and
// handlers never run.
func TestUnitsInBrowser(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t)
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
	if got := resp.Header.Get("Content-Security-Policy"); got != CSP {
		t.Errorf("GET /: CSP %q", got)
	}
}
