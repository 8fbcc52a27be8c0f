package testkit

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// Style is how a Mirror renders directory listings.
type Style int

// The listing styles of the servers upstream mirrors run.
const (
	// Nginx is nginx's autoindex: a <pre> block, names truncated to 50
	// characters in the link text, dd-Mon-yyyy hh:mm dates, exact sizes.
	Nginx Style = iota
	// Apache is mod_autoindex with FancyIndexing and HTMLTable: a table
	// with an icon link and a name link per row, yyyy-mm-dd hh:mm dates,
	// rounded sizes (468M, 1.2K).
	Apache
	// Lighttpd is mod_dirlisting: a table, yyyy-Mon-dd hh:mm:ss dates,
	// rounded sizes (118.0M).
	Lighttpd
)

// Mirror serves a directory tree over HTTP on 127.0.0.1.
type Mirror struct {
	*httptest.Server
	Root  string
	Style Style

	mu        sync.Mutex
	redirects map[string]string
	hook      func(w http.ResponseWriter, r *http.Request) bool
	requests  map[string]int
}

// Serve starts a Mirror of root, stopped when the test ends.
func Serve(t testing.TB, root string, style Style) *Mirror {
	t.Helper()
	m := &Mirror{Root: root, Style: style, redirects: map[string]string{}, requests: map[string]int{}}
	m.Server = httptest.NewServer(http.HandlerFunc(m.serve))
	t.Cleanup(m.Close)
	return m
}

// URL returns the mirror's URL of rel, a path relative to the root.
func (m *Mirror) URLOf(rel string) string { return m.Server.URL + "/" + strings.TrimPrefix(rel, "/") }

// Redirect makes requests for the URL path from answer 302 to to (a path or
// an absolute URL).
func (m *Mirror) Redirect(from, to string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.redirects[from] = to
}

// Hook sees every request first; when it returns true it has answered.
func (m *Mirror) Hook(h func(w http.ResponseWriter, r *http.Request) bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.hook = h
}

// Requests returns how many requests asked for the URL path.
func (m *Mirror) Requests(urlPath string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.requests[urlPath]
}

func (m *Mirror) serve(w http.ResponseWriter, r *http.Request) {
	m.mu.Lock()
	m.requests[r.URL.Path]++
	hook := m.hook
	to, redirect := m.redirects[r.URL.Path]
	m.mu.Unlock()
	if hook != nil && hook(w, r) {
		return
	}
	if redirect {
		http.Redirect(w, r, to, http.StatusFound)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	clean := path.Clean("/" + r.URL.Path)
	name := filepath.Join(m.Root, filepath.FromSlash(clean))
	fi, err := os.Stat(name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	if fi.IsDir() {
		if !strings.HasSuffix(r.URL.Path, "/") {
			http.Redirect(w, r, r.URL.Path+"/", http.StatusMovedPermanently)
			return
		}
		if ix, err := os.Stat(filepath.Join(name, "index.html")); err == nil && ix.Mode().IsRegular() {
			name, fi = filepath.Join(name, "index.html"), ix
		} else {
			m.listDir(w, r, name, clean)
			return
		}
	}
	f, err := os.Open(name)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	defer f.Close()
	// As nginx does: an ETag from the modification time and size; with
	// Last-Modified, ServeContent answers conditional and Range requests.
	w.Header().Set("ETag", fmt.Sprintf(`"%x-%x"`, fi.ModTime().Unix(), fi.Size()))
	http.ServeContent(w, r, fi.Name(), fi.ModTime(), f)
}

func (m *Mirror) listDir(w http.ResponseWriter, r *http.Request, dir, urlPath string) {
	des, err := os.ReadDir(dir)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	var entries []Entry
	for _, de := range des {
		fi, err := de.Info()
		if err != nil || strings.HasPrefix(de.Name(), ".") {
			continue
		}
		entries = append(entries, Entry{Name: de.Name(), Dir: fi.IsDir(), Size: fi.Size(), ModTime: fi.ModTime()})
	}
	slices.SortFunc(entries, func(a, b Entry) int { return strings.Compare(a.Name, b.Name) })
	title := strings.TrimSuffix(urlPath, "/") + "/"
	w.Header().Set("Content-Type", "text/html;charset=utf-8")
	_, _ = w.Write(Listing(m.Style, title, entries))
}
