package state

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzDecode checks that Decode never panics and that whatever it accepts
// survives Encode and Decode unchanged.
func FuzzDecode(f *testing.F) {
	entry := `{"digest": "sha256:` + hex64 + `", "size": 1, "mtime": "2025-01-02T03:04:05.5+02:00", "verified_at": "2025-01-02T03:04:05Z", "verified_by": ["sha256"]}`
	f.Add([]byte(`{"version": 1, "images": {"a.qcow2": ` + entry + `}}`))
	f.Add([]byte(`{"version": 1, "images": {}}`))
	f.Add([]byte(`{"version": 2, "builds": null, "images": null, "extra": [1, {"x": 2}]}`))
	f.Add([]byte(`{"version": 3}`))
	f.Add([]byte(`{"version": 1, "images": {"a": ` + entry + `, "a": ` + entry + `}}`))
	f.Add(mustEncode(f, sample(f)))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Decode(data)
		if err != nil {
			return
		}
		out, err := Encode(s)
		if err != nil {
			t.Fatalf("Encode of a decoded state: %v", err)
		}
		again, err := Decode(out)
		if err != nil {
			t.Fatalf("Decode after Encode: %v\n%s", err, out)
		}
		if diff := cmp.Diff(s, again); diff != "" {
			t.Fatalf("Decode → Encode → Decode changed the state (-decoded +again):\n%s", diff)
		}
	})
}

func mustEncode(t testing.TB, s *State) []byte {
	t.Helper()
	b, err := Encode(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
