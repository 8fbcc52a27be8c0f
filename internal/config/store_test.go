package config

import (
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FETCHD_OVERLAYS replaces the file's overlays (the container sets it).
func TestOverlaysEnv(t *testing.T) {
	t.Parallel()
	cwd, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string]struct {
		env  string
		want []string
	}{
		"unset":    {"", []string{"/from/file"}},
		"one":      {"/overlays", []string{"/overlays"}},
		"several":  {"/a::rel:", []string{"/a", filepath.Join(cwd, "rel")}},
		"only ':'": {":", nil},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c := &Config{Overlays: []string{"/from/file"}}
			if err := c.ApplyEnv(env(map[string]string{"FETCHD_OVERLAYS": tc.env})); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, c.Overlays); diff != "" {
				t.Errorf("overlays (-want +got):\n%s", diff)
			}
		})
	}
}
