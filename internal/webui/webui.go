package webui

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
)

//go:generate go run ./gen

// CSP is the base Content-Security-Policy: only the page's own scripts,
// images and API; no inline script, no style at all, no eval, no plugins,
// no framing, no form posting anywhere, and Trusted Types required for
// every DOM sink that parses HTML or script (the page builds its DOM with
// textContent and createElement, so it needs no policy at all).
// SecureHeaders sets it; the handler's answers carry Handler.CSP instead,
// which allows the page's one style sheet, inlined, by its hash.
const CSP = "default-src 'none'; script-src 'self'; style-src 'none'; img-src 'self'; " +
	"connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; " +
	"require-trusted-types-for 'script'; trusted-types 'none'"

// The page is assets/index.html with this line replaced by the style sheet
// itself (src/style.css): a first visit then needs no request for it
// before anything renders, and the sheet is allowed by its hash, not by
// 'unsafe-inline'.
const styleMark = `<!-- src/style.css, inlined by webui.New -->`

//go:embed assets
var assets embed.FS

//go:embed src/style.css
var styleSheet string

// asset is one file, ready to serve.
type asset struct {
	body, gzipped []byte
	ctype, etag   string
}

// Handler serves the UI: / is the page, /assets/NAME its files; anything
// else is a 404.
type Handler struct {
	files map[string]*asset // by URL path
	csp   string            // the policy of every answer
}

// New loads the embedded assets and compresses them.
func New() (*Handler, error) {
	h := &Handler{files: map[string]*asset{}}
	page, csp, err := inlineStyle(styleSheet)
	if err != nil {
		return nil, err
	}
	h.csp = csp
	err = fs.WalkDir(assets, "assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if p == "assets/index.html" {
			if h.files["/"], err = newAsset(p, page); err != nil {
				return err
			}
			return nil
		}
		data, err := assets.ReadFile(p)
		if err != nil {
			return err
		}
		a, err := newAsset(p, data)
		if err != nil {
			return err
		}
		h.files["/"+p] = a
		return nil
	})
	return h, err
}

// inlineStyle makes the page: index.html with its style sheet inlined, and
// the policy that allows that sheet and no other style.
func inlineStyle(sheet string) (page []byte, csp string, err error) {
	html, err := assets.ReadFile("assets/index.html")
	if err != nil {
		return nil, "", err
	}
	if n := bytes.Count(html, []byte(styleMark)); n != 1 {
		return nil, "", fmt.Errorf("web UI: index.html marks the place of its style sheet %d times, want once as %s", n, styleMark)
	}
	// The hash is of the element's text as the browser parses it: that is
	// the file's bytes unless they end the element early or carry CRs.
	if strings.Contains(strings.ToLower(sheet), "</style") || strings.Contains(sheet, "\r") {
		return nil, "", errors.New("web UI: style.css holds </style or a CR; it cannot be inlined as it is")
	}
	sum := sha256.Sum256([]byte(sheet))
	csp = strings.Replace(CSP, "style-src 'none'", "style-src 'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'", 1)
	return bytes.Replace(html, []byte(styleMark), []byte("<style>"+sheet+"</style>"), 1), csp, nil
}

// CSP is the policy the handler's answers carry: CSP with the page's
// inlined style sheet allowed by its hash.
func (h *Handler) CSP() string { return h.csp }

func newAsset(name string, data []byte) (*asset, error) {
	var z bytes.Buffer
	zw, err := gzip.NewWriterLevel(&z, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(data); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	ctype := mime.TypeByExtension(path.Ext(name))
	switch path.Ext(name) {
	case ".js":
		ctype = "text/javascript; charset=utf-8"
	case ".html":
		ctype = "text/html; charset=utf-8"
	case ".css":
		ctype = "text/css; charset=utf-8"
	case ".svg":
		ctype = "image/svg+xml"
	}
	return &asset{body: data, gzipped: z.Bytes(), ctype: ctype, etag: `"` + hex.EncodeToString(sum[:12]) + `"`}, nil
}

// Paths lists what the handler serves (for tests and the benchmark).
func (h *Handler) Paths() []string {
	out := make([]string, 0, len(h.files))
	for p := range h.files {
		out = append(out, p)
	}
	return out
}

// Size is a served file's size, raw and compressed.
func (h *Handler) Size(p string) (raw, gzipped int64) {
	a := h.files[p]
	if a == nil {
		return 0, 0
	}
	return int64(len(a.body)), int64(len(a.gzipped))
}

// SecureHeaders sets the headers every UI answer carries.
func SecureHeaders(hd http.Header) {
	hd.Set("Content-Security-Policy", CSP)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("Cross-Origin-Opener-Policy", "same-origin")
	hd.Set("Cross-Origin-Resource-Policy", "same-origin")
	hd.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), usb=(), serial=(), payment=()")
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	SecureHeaders(hd)
	hd.Set("Content-Security-Policy", h.csp)
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		hd.Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	a := h.files[r.URL.Path]
	if a == nil {
		hd.Set("Cache-Control", "no-store")
		http.Error(w, "not found: the web UI is at /, the API under /v1/", http.StatusNotFound)
		return
	}
	// Revalidate every time (a new fetchd serves new files under the same
	// names); an unchanged file costs a 304.
	hd.Set("Cache-Control", "no-cache")
	hd.Set("ETag", a.etag)
	hd.Set("Vary", "Accept-Encoding")
	hd.Set("Content-Type", a.ctype)
	if match := r.Header.Get("If-None-Match"); match != "" && strings.Contains(match, a.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	body := a.body
	if acceptsGzip(r.Header.Get("Accept-Encoding")) {
		hd.Set("Content-Encoding", "gzip")
		body = a.gzipped
	}
	hd.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodGet {
		_, _ = w.Write(body)
	}
}

// acceptsGzip reads Accept-Encoding: gzip listed, and not with q=0.
func acceptsGzip(h string) bool {
	for _, part := range strings.Split(h, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(name), "gzip") {
			continue
		}
		q := strings.ReplaceAll(strings.TrimSpace(params), " ", "")
		return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
	}
	return false
}
