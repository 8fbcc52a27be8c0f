package service

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sandlabx/fetchd/internal/config"
)

func TestLoadTokenGenerated(t *testing.T) {
	t.Parallel()
	cfg := &config.Config{Dir: t.TempDir()}
	a, err := LoadToken(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !a.Generated || len(a.Value) != 64 || a.Path != filepath.Join(cfg.Dir, ".fetchd", TokenFileName) {
		t.Errorf("generated token %+v", a)
	}
	fi, err := os.Lstat(a.Path)
	if err != nil || fi.Mode().Perm() != 0o600 || !fi.Mode().IsRegular() {
		t.Errorf("token file: %v %v", fi.Mode(), err)
	}
	b, err := LoadToken(cfg)
	if err != nil || b.Value != a.Value {
		t.Errorf("second start: %+v %v, want the same token", b, err)
	}
}

func TestLoadTokenConfigured(t *testing.T) {
	t.Parallel()
	cfg := &config.Config{Dir: t.TempDir(), API: config.API{Token: "from-the-operator-0123", TokenFile: "/run/secrets/t"}}
	tok, err := LoadToken(cfg)
	if err != nil || tok.Value != "from-the-operator-0123" || tok.Generated {
		t.Errorf("%+v %v", tok, err)
	}
	if _, err := os.Stat(filepath.Join(cfg.Dir, ".fetchd", TokenFileName)); !os.IsNotExist(err) {
		t.Errorf("a token was generated although one is configured: %v", err)
	}
}

// TestLoadTokenRefused: a generated token others could have read or
// planted is refused, with what to do.
func TestLoadTokenRefused(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		plant func(t *testing.T, path string)
		want  string
	}{
		"readable by others": {func(t *testing.T, p string) {
			os.WriteFile(p, []byte(strings.Repeat("a", 64)), 0o644)
			os.Chmod(p, 0o644)
		}, "others may have read it"},
		"a symlink": {func(t *testing.T, p string) {
			target := filepath.Join(filepath.Dir(p), "elsewhere")
			os.WriteFile(target, []byte(strings.Repeat("a", 64)), 0o600)
			os.Symlink(target, p)
		}, "is a symlink"},
		"too short":  {func(t *testing.T, p string) { os.WriteFile(p, []byte("abc"), 0o600) }, "at least 16"},
		"not a file": {func(t *testing.T, p string) { os.Mkdir(p, 0o700) }, "not a regular file"},
		"another owner": {func(t *testing.T, p string) {
			if os.Getuid() != 0 {
				t.Skip("needs root to chown")
			}
			os.WriteFile(p, []byte(strings.Repeat("a", 64)), 0o600)
			if err := os.Chown(p, 65534, 65534); err != nil {
				t.Fatal(err)
			}
		}, "owned by uid 65534"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cfg := &config.Config{Dir: t.TempDir()}
			priv := filepath.Join(cfg.Dir, ".fetchd")
			if err := os.MkdirAll(priv, 0o700); err != nil {
				t.Fatal(err)
			}
			tc.plant(t, filepath.Join(priv, TokenFileName))
			_, err := LoadToken(cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("LoadToken: %v, want an error saying %q", err, tc.want)
			}
		})
	}
}
