package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestListSourcesJSONSchema runs the real binary: every key it prints is
// snake_case and documented in docs/list-sources.md, and the base URL in
// use says where it came from.
func TestListSourcesJSONSchema(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "list-sources.md"))
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for _, m := range regexp.MustCompile("(?m)^\\| `([a-z_]+)`(?:, `([a-z_]+)`)? \\|").FindAllStringSubmatch(string(doc), -1) {
		documented[m[1]], documented[m[2]] = true, m[2] != ""
	}
	for _, k := range []string{"name", "aliases", "eol", "summary"} { // the nested objects' keys
		documented[k] = true
	}
	dir := t.TempDir()
	cfg := filepath.Join(dir, "fetchd.yaml")
	if err := os.WriteFile(cfg, []byte("sources:\n  ubuntu:\n    base_url: http://127.0.0.1:9/ubuntu\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(t.Context(), "fetchd", "list-sources", "--json", "--config", cfg)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "TMPDIR=" + dir}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("fetchd list-sources --json: %v\n%s", err, errb.String())
	}
	var v any
	if err := json.Unmarshal(out.Bytes(), &v); err != nil {
		t.Fatal(err)
	}
	snake := regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if !snake.MatchString(k) || !documented[k] {
					t.Errorf("%s.%s: not a documented snake_case key", path, k)
				}
				walk(path+"."+k, e)
			}
		case []any:
			for _, e := range x {
				walk(path+"[]", e)
			}
		}
	}
	walk("", v)
	var raw struct {
		Sources []map[string]any `json:"sources"`
	}
	_ = json.Unmarshal(out.Bytes(), &raw)
	var names []string
	for _, s := range raw.Sources {
		names = append(names, s["name"].(string))
		switch s["name"] {
		case "oci":
			if s["origin"] != "host" || s["builtin"] != true || s["base_url"] != nil {
				t.Errorf("oci: origin %v builtin %v base_url %v, want host, true, none", s["origin"], s["builtin"], s["base_url"])
			}
		case "ubuntu":
			if s["base_url"] != "http://127.0.0.1:9/ubuntu" || s["base_url_from"] != "config" || s["base_url_where"] != cfg+":3: sources.ubuntu.base_url" {
				t.Errorf("ubuntu: base_url %v from %v at %v", s["base_url"], s["base_url_from"], s["base_url_where"])
			}
		case "debian":
			if s["base_url"] != "https://cloud.debian.org/images/cloud" || s["base_url_from"] != "default" {
				t.Errorf("debian: base_url %v from %v", s["base_url"], s["base_url_from"])
			}
		}
	}
	if got := strings.Join(names, " "); got != "alpine debian oci ubuntu" {
		t.Errorf("sources %q, want alpine debian oci ubuntu, sorted", got)
	}
	if strings.Contains(out.String(), `\u003c`) || strings.Contains(out.String(), `\u003e`) {
		t.Error("HTML-escaped JSON")
	}
}

func TestJSONIsNotHTMLEscaped(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	a := &app{stdout: &b}
	if err := a.writeJSON(map[string]string{"x": "<a> & <b>"}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `"<a> & <b>"`) {
		t.Errorf("writeJSON: %s", b.String())
	}
}
