package download

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestDecodeState(t *testing.T) {
	t.Parallel()
	d := digestOfBytes([]byte("x"))
	good := func(mut func(*segState)) []byte {
		st := segState{Version: 1, Digest: d.String(), Size: 100, Written: [][2]int64{{0, 10}, {40, 50}},
			Servers: map[string]validators{"https://h/x": {ETag: `"a"`}}}
		if mut != nil {
			mut(&st)
		}
		b, _ := json.Marshal(st)
		return b
	}
	tests := map[string]struct {
		data    []byte
		wantErr string
	}{
		"good":              {data: good(nil)},
		"nothing written":   {data: good(func(s *segState) { s.Written = nil })},
		"other artifact":    {data: good(func(s *segState) { s.Digest = digestOfBytes([]byte("y")).String() }), wantErr: "belongs to"},
		"other version":     {data: good(func(s *segState) { s.Version = 2 }), wantErr: "version 2"},
		"size over the cap": {data: good(func(s *segState) { s.Size = 1 << 40 }), wantErr: "size"},
		"no size":           {data: good(func(s *segState) { s.Size = 0; s.Written = nil }), wantErr: "size"},
		"range past the end": {
			data: good(func(s *segState) { s.Written = [][2]int64{{90, 101}} }), wantErr: "does not fit",
		},
		"overlapping ranges": {
			data: good(func(s *segState) { s.Written = [][2]int64{{0, 20}, {10, 30}} }), wantErr: "does not fit",
		},
		"negative range": {
			data: good(func(s *segState) { s.Written = [][2]int64{{-5, 3}} }), wantErr: "does not fit",
		},
		"too many ranges": {
			data: good(func(s *segState) {
				s.Size = 1 << 30
				s.Written = nil
				for i := range int64(maxStateRanges + 1) {
					s.Written = append(s.Written, [2]int64{i * 2, i*2 + 1})
				}
			}), wantErr: "written ranges",
		},
		"unknown field":  {data: []byte(`{"version":1,"digest":"` + d.String() + `","size":5,"extra":1}`), wantErr: "unknown field"},
		"trailing data":  {data: append(good(nil), " {}"...), wantErr: "trailing"},
		"not json":       {data: []byte("<html>"), wantErr: "does not decode"},
		"empty":          {data: nil, wantErr: "does not decode"},
		"oversized file": {data: bytes.Repeat([]byte(" "), maxStateBytes+1), wantErr: "larger than"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			st, err := decodeState(tc.data, d, 1<<30)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("decodeState: %v", err)
				}
				if st.end() != 50 && len(st.Written) > 0 {
					t.Errorf("end %d, want 50", st.end())
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("decodeState = %v, want an error containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestStateFile(t *testing.T) {
	t.Parallel()
	d := digestOfBytes([]byte("x"))
	st := &segState{Version: 1, Digest: d.String(), Size: 100, Written: [][2]int64{{0, 10}}, Servers: map[string]validators{}}
	t.Run("round trip", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(partialDir(t), "s"+StateSuffix)
		if err := writeState(path, st); err != nil {
			t.Fatal(err)
		}
		fi, err := os.Lstat(path)
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("state file: %v, mode %v; want 0600", err, fi.Mode())
		}
		got, err := readState(path, d, 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(st.ranges(), got.ranges()); diff != "" {
			t.Errorf("ranges (-want +got):\n%s", diff)
		}
		if names := dirEntries(t, filepath.Dir(path)); len(names) != 1 {
			t.Errorf("directory holds %q, want the state alone", names)
		}
	})
	t.Run("missing", func(t *testing.T) {
		t.Parallel()
		got, err := readState(filepath.Join(partialDir(t), "none"), d, 1<<20)
		if got != nil || err != nil {
			t.Fatalf("readState = %v, %v; want nil, nil", got, err)
		}
	})
	refused := map[string]func(t *testing.T, path string){
		"symlink": func(t *testing.T, path string) {
			target := filepath.Join(t.TempDir(), "elsewhere")
			if err := writeState(target, st); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(target, path); err != nil {
				t.Fatal(err)
			}
		},
		"readable by others": func(t *testing.T, path string) {
			if err := writeState(path, st); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, 0o644); err != nil {
				t.Fatal(err)
			}
		},
		"owned by another uid": func(t *testing.T, path string) {
			if os.Geteuid() != 0 {
				t.Skip("needs root to give a file away")
			}
			if err := writeState(path, st); err != nil {
				t.Fatal(err)
			}
			if err := os.Chown(path, 65534, 65534); err != nil {
				t.Fatal(err)
			}
		},
		"a directory": func(t *testing.T, path string) {
			if err := os.Mkdir(path, 0o700); err != nil {
				t.Fatal(err)
			}
		},
		"a fifo": func(t *testing.T, path string) {
			if err := mkfifo(path); err != nil {
				t.Skip(err)
			}
		},
	}
	for name, plant := range refused {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(partialDir(t), "s"+StateSuffix)
			plant(t, path)
			got, err := readState(path, d, 1<<20)
			if err == nil {
				t.Fatalf("readState accepted it: %+v", got)
			}
		})
	}
}

func FuzzDecodeState(f *testing.F) {
	d := digestOfBytes([]byte("x"))
	f.Add([]byte(`{"version":1,"digest":"` + d.String() + `","size":100,"written":[[0,10],[20,30]]}`))
	f.Add([]byte(`{"version":1,"digest":"` + d.String() + `","size":5,"written":[[0,5]],"servers":{"u":{"etag":"\"e\""}}}`))
	f.Add([]byte(`{"version":1,"digest":"` + d.String() + `","size":9,"written":[[3,2]]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		st, err := decodeState(data, d, 1<<30)
		if err != nil {
			return
		}
		// Whatever decodes describes bytes inside the file, in order,
		// without overlap, and survives a save and reload.
		tab, err := newSpanTable(st.Size, st.ranges())
		if err != nil {
			t.Fatalf("decoded state does not fit its file: %v", err)
		}
		if tab.done() > st.Size {
			t.Fatalf("%d bytes written in a %d-byte file", tab.done(), st.Size)
		}
		b, err := json.Marshal(st)
		if err != nil {
			t.Fatal(err)
		}
		again, err := decodeState(b, d, 1<<30)
		if err != nil {
			t.Fatalf("re-encoded state does not decode: %v\n%s", err, b)
		}
		if diff := cmp.Diff(st, again, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("state changed over a round trip (-first +second):\n%s", diff)
		}
	})
}
