package qemuimg

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

func addTestdata(f *testing.F, prefix string) {
	files, err := filepath.Glob(filepath.Join("testdata", prefix+"*.json"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no seed files %s*.json: %v", prefix, err)
	}
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

func FuzzParseInfo(f *testing.F) {
	addTestdata(f, "info-")
	f.Add([]byte(`{"format": "qcow2", "virtual-size": 1, "backing-filename": null}`))
	f.Add([]byte(`{"format": "qcow2", "virtual-size": 1, "children": [{"name": "data-file"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		info, err := ParseInfo(data)
		if err != nil {
			return
		}
		if info.Format == "" {
			t.Fatal("accepted an info without a format")
		}
		// Whatever a generic decoder sees must not be missed: a
		// top-level backing key or a data-file key means refusal.
		var m map[string]json.RawMessage
		if json.Unmarshal(data, &m) != nil {
			t.Fatalf("ParseInfo accepted what encoding/json rejects: %q", data)
		}
		_, backing := m["backing-filename"]
		_, full := m["full-backing-filename"]
		var fs struct {
			Data map[string]json.RawMessage `json:"data"`
		}
		_ = json.Unmarshal(m["format-specific"], &fs)
		_, dataFile := fs.Data["data-file"]
		checkErr := CheckInfo(info, info.Format)
		if (backing || full || dataFile) && checkErr == nil {
			t.Fatalf("CheckInfo accepted %q", data)
		}
		if checkErr == nil && (info.Backing || info.HasDataFile || info.Encrypted || info.Corrupt) {
			t.Fatalf("CheckInfo accepted %+v", info)
		}
	})
}

func FuzzParseCheck(f *testing.F) {
	addTestdata(f, "check-")
	f.Add([]byte(`{"format": "raw", "check-errors": 0, "leaks": -1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseCheck(data)
		if err != nil {
			return
		}
		if c.Format == "" || c.Status != "" {
			t.Fatalf("result %+v: want a format and no status", c)
		}
		if c.CheckErrors < 0 || c.Corruptions < 0 || c.Leaks < 0 || c.CorruptionsFixed < 0 || c.LeaksFixed < 0 {
			t.Fatalf("negative count in %+v", c)
		}
		var m map[string]json.RawMessage
		if json.Unmarshal(data, &m) != nil {
			t.Fatalf("ParseCheck accepted what encoding/json rejects: %q", data)
		}
		var n float64
		if v, ok := m["corruptions"]; ok && json.Unmarshal(v, &n) == nil && n != 0 && c.Corruptions == 0 {
			t.Fatalf("corruptions %s read as 0", v)
		}
	})
}
