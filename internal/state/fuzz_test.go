package state

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzDecode checks that decode never panics and that whatever it accepts
// is valid and survives a save and load unchanged.
func FuzzDecode(f *testing.F) {
	entry := `{"digest": "sha256:` + hex64 + `", "size": 1, "mtime": "2025-01-02T03:04:05.5+02:00", "verified_at": "2025-01-02T03:04:05Z", "verified_by": ["sha256"]}`
	f.Add([]byte(`{"version": 1, "images": {"a.qcow2": ` + entry + `}}`))
	f.Add([]byte(`{"version": 1, "images": {}}`))
	f.Add([]byte(`{"version": 1, "images": null, "extra": [1, {"x": 2}]}`))
	f.Add([]byte(`{"version": 2}`))
	f.Add([]byte(`{"version": 1, "images": {"a": ` + entry + `, "a": ` + entry + `}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := decode(data)
		if err != nil {
			return
		}
		for name, e := range s.Images {
			if err := e.validate(name); err != nil {
				t.Fatalf("decode accepted an invalid entry: %v", err)
			}
		}
		dir := t.TempDir()
		if err := s.Save(dir); err != nil {
			t.Fatalf("Save of a decoded state: %v", err)
		}
		again, err := Load(dir)
		if err != nil {
			t.Fatalf("Load after Save: %v", err)
		}
		if diff := cmp.Diff(s, again); diff != "" {
			t.Fatalf("decode → Save → Load changed the state (-decoded +loaded):\n%s", diff)
		}
	})
}
