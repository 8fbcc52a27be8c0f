package state

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sandlabx/fetchd/sdk/checksum"
)

const hex64 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

func digest(t testing.TB) checksum.Digest {
	t.Helper()
	d, err := checksum.ParseDigest("sha256:" + hex64)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// sample returns a state with one source image and one url image; the
// times carry nanoseconds and a non-UTC zone so the round trip is tested.
func sample(t testing.TB) *State {
	zone := time.FixedZone("test", 2*3600)
	s := New()
	s.Set("ubuntu-24-lts.qcow2", Entry{
		Source: "ubuntu", Release: "24.04", Arch: "amd64", Variant: "server", Version: "20250101",
		URL: "https://cloud-images.ubuntu.com/noble/20250101/noble-server-cloudimg-amd64.img", Format: "qcow2",
		Digest: digest(t), Size: 600 << 20,
		MTime:       time.Date(2025, 1, 2, 3, 4, 5, 123456789, zone),
		VerifiedAt:  time.Date(2025, 1, 2, 3, 4, 6, 1, zone),
		VerifiedBy:  []string{"sha256", "qcow2-header", "qemu-img info", "qemu-img check"},
		ChecksumURL: "https://cloud-images.ubuntu.com/noble/20250101/SHA256SUMS",
		Signature:   "verified (key D2EB4462…)",
	})
	s.Set("custom.raw", Entry{
		URL: "https://example.com/custom.raw", Format: "raw", Digest: digest(t), Size: 1,
		MTime: time.Unix(1, 1), VerifiedBy: []string{"sha256"},
	})
	return s
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	want := sample(t)
	if err := want.Save(dir); err != nil {
		t.Fatal(err)
	}
	got, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	// cmp compares time.Time with its Equal method: same instant, any zone.
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Load(Save(s)) mismatch (-want +got):\n%s", diff)
	}
	fi, err := os.Stat(Path(dir))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o644 {
		t.Errorf("state.json mode = %v, want 0644", fi.Mode().Perm())
	}
	data, err := os.ReadFile(Path(dir))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"version": 1`, `"digest": "sha256:` + hex64 + `"`, `"mtime": "2025-01-02T01:04:05.123456789Z"`, `"verified_by": [`} {
		if !bytes.Contains(data, []byte(want)) {
			t.Errorf("state.json does not contain %s:\n%s", want, data)
		}
	}
}

func TestLoadMissing(t *testing.T) {
	t.Parallel()
	s, err := Load(t.TempDir())
	if err != nil {
		t.Fatalf("Load of a directory without state: %v", err)
	}
	if diff := cmp.Diff(New(), s); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}

func TestLoadCorrupt(t *testing.T) {
	t.Parallel()
	entry := `{"digest": "sha256:` + hex64 + `", "size": 1, "mtime": "2025-01-02T03:04:05Z", "verified_at": "2025-01-02T03:04:05Z", "verified_by": []}`
	good := `{"version": 1, "images": {"a.qcow2": ` + entry + `}}`
	var saved bytes.Buffer
	{
		dir := t.TempDir()
		if err := sample(t).Save(dir); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(Path(dir))
		if err != nil {
			t.Fatal(err)
		}
		saved.Write(data)
	}
	tests := map[string]struct {
		content string
		want    string // in the message
	}{
		"empty":            {"", "truncated"},
		"not json":         {"hello", "invalid character"},
		"truncated":        {saved.String()[:saved.Len()/2], "truncated"},
		"array":            {"[]", "want a JSON object"},
		"no version":       {`{"images": {}}`, "no version"},
		"unknown version":  {`{"version": 2, "images": {}}`, "unknown version 2 (this fetchd reads version 1)"},
		"version string":   {`{"version": "1", "images": {}}`, "cannot unmarshal string"},
		"duplicate key":    {`{"version": 1, "version": 1}`, `duplicate key "version"`},
		"duplicate image":  {`{"version": 1, "images": {"a.qcow2": ` + entry + `, "a.qcow2": ` + entry + `}}`, `duplicate key "a.qcow2"`},
		"trailing data":    {good + "{}", "data after the JSON object"},
		"bad digest":       {strings.Replace(good, "sha256:"+hex64, "sha256:abc", 1), `image "a.qcow2": digest: sha256 digest has 3 hex digits`},
		"path in name":     {strings.Replace(good, "a.qcow2", "x/../../etc/passwd", 1), `image name "x/../../etc/passwd": contains a path separator`},
		"hidden name":      {strings.Replace(good, "a.qcow2", ".fetchd", 1), `image name ".fetchd": hidden file`},
		"negative size":    {strings.Replace(good, `"size": 1`, `"size": -1`, 1), "negative size"},
		"no mtime":         {strings.Replace(good, `"mtime": "2025-01-02T03:04:05Z", `, "", 1), "no mtime"},
		"bad time":         {strings.Replace(good, `"mtime": "2025-01-02T03:04:05Z"`, `"mtime": "yesterday"`, 1), "cannot parse"},
		"images not a map": {`{"version": 1, "images": []}`, "want a JSON object"},
		// Found by FuzzDecode: a legal offset moves the UTC year out of RFC 3339's range.
		"mtime before year 0":    {strings.Replace(good, `"mtime": "2025-01-02T03:04:05Z"`, `"mtime": "0000-01-01T00:00:00+01:00"`, 1), "mtime 0000-01-01T00:00:00+01:00 is outside years 0000-9999"},
		"verified_at after 9999": {strings.Replace(good, `"verified_at": "2025-01-02T03:04:05Z"`, `"verified_at": "9999-12-31T23:00:00-02:00"`, 1), "verified_at"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			if err := os.MkdirAll(filepath.Join(dir, PrivateDir), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(Path(dir), []byte(tc.content), 0o644); err != nil {
				t.Fatal(err)
			}
			checkCorrupt(t, dir, tc.want)
		})
	}
	t.Run("good control", func(t *testing.T) {
		t.Parallel()
		s, err := decode([]byte(good))
		if err != nil || len(s.Images) != 1 {
			t.Fatalf("decode(good) = %v, %v; the corrupt cases above are built from it", s, err)
		}
	})
}

func checkCorrupt(t *testing.T, dir, want string) {
	t.Helper()
	s, err := Load(dir)
	var ce *CorruptError
	if !errors.As(err, &ce) {
		t.Fatalf("Load error = %v, want a *CorruptError", err)
	}
	if !strings.Contains(err.Error(), want) {
		t.Errorf("Load error %q does not mention %q", err, want)
	}
	if s == nil || len(s.Images) != 0 {
		t.Errorf("Load returned state %v with the error, want an empty state", s)
	}
}

func TestLoadUnusableFile(t *testing.T) {
	t.Parallel()
	t.Run("directory", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		if err := os.MkdirAll(Path(dir), 0o755); err != nil {
			t.Fatal(err)
		}
		checkCorrupt(t, dir, "not a regular file")
	})
	t.Run("symlink", func(t *testing.T) {
		t.Parallel()
		dir, other := t.TempDir(), t.TempDir()
		if err := sample(t).Save(other); err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Join(dir, PrivateDir), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(Path(other), Path(dir)); err != nil {
			t.Fatal(err)
		}
		checkCorrupt(t, dir, "too many levels of symbolic links")
	})
	t.Run("too large", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		if err := os.MkdirAll(filepath.Join(dir, PrivateDir), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(Path(dir), bytes.Repeat([]byte(" "), MaxBytes+1), 0o644); err != nil {
			t.Fatal(err)
		}
		checkCorrupt(t, dir, "larger than 16 MiB")
	})
}

// TestSaveAtomic makes each step of Save fail in turn and checks that the
// previous state file is untouched and no temporary file is left behind.
func TestSaveAtomic(t *testing.T) {
	t.Parallel()
	for _, step := range []string{"write", "chmod", "fsync", "close", "rename"} {
		t.Run(step, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			old := New()
			old.Set("old.qcow2", Entry{Digest: digest(t), Size: 5, MTime: time.Unix(5, 0)})
			if err := old.Save(dir); err != nil {
				t.Fatal(err)
			}
			before, err := os.ReadFile(Path(dir))
			if err != nil {
				t.Fatal(err)
			}
			boom := errors.New("injected failure")
			err = sample(t).save(dir, func(s string) error {
				if s == step {
					return boom
				}
				return nil
			})
			if !errors.Is(err, boom) {
				t.Fatalf("save with %s failing: %v, want the injected failure", step, err)
			}
			after, err := os.ReadFile(Path(dir))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(before), string(after)); diff != "" {
				t.Errorf("state.json changed by a failed save (-before +after):\n%s", diff)
			}
			checkOnlyStateFile(t, dir)
		})
	}
}

func TestSaveLeavesNoTempFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := sample(t)
	for range 3 {
		if err := s.Save(dir); err != nil {
			t.Fatal(err)
		}
	}
	checkOnlyStateFile(t, dir)
}

func checkOnlyStateFile(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(dir, PrivateDir))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if diff := cmp.Diff([]string{FileName}, names); diff != "" {
		t.Errorf(".fetchd contents mismatch (-want +got):\n%s", diff)
	}
}

func TestSaveRefusesInvalid(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		name  string
		entry Entry
	}{
		"no digest":     {"a.qcow2", Entry{Size: 1, MTime: time.Unix(1, 0)}},
		"no mtime":      {"a.qcow2", Entry{Digest: digest(t), Size: 1}},
		"path name":     {"../a.qcow2", Entry{Digest: digest(t), Size: 1, MTime: time.Unix(1, 0)}},
		"negative size": {"a.qcow2", Entry{Digest: digest(t), Size: -1, MTime: time.Unix(1, 0)}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			s := New()
			s.Set(tc.name, tc.entry)
			if err := s.Save(dir); err == nil {
				t.Fatal("Save succeeded")
			}
			if _, err := os.Stat(Path(dir)); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("state file exists after a refused Save: %v", err)
			}
		})
	}
}

// TestMatches pins the no-op sync rule: same size and exactly the same
// mtime, as the file system reports it, survive a save and load; any
// change in either does not match.
func TestMatches(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	img := filepath.Join(dir, "a.qcow2")
	if err := os.WriteFile(img, []byte("image"), 0o444); err != nil {
		t.Fatal(err)
	}
	mtime := time.Date(2025, 3, 4, 5, 6, 7, 987654321, time.UTC)
	if err := os.Chtimes(img, mtime, mtime); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(img)
	if err != nil {
		t.Fatal(err)
	}
	s := New()
	s.Set("a.qcow2", Entry{Digest: digest(t)}.Stamp(fi))
	if err := s.Save(dir); err != nil {
		t.Fatal(err)
	}
	loaded, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	e, _ := loaded.Get("a.qcow2")
	if !e.Matches(fi) {
		t.Fatalf("entry %v does not match the file it was stamped from (size %d, mtime %v)", e, fi.Size(), fi.ModTime())
	}

	tests := map[string]func(path string) error{
		"mtime +1ns": func(p string) error { m := fi.ModTime().Add(time.Nanosecond); return os.Chtimes(p, m, m) },
		"mtime -1s":  func(p string) error { m := fi.ModTime().Add(-time.Second); return os.Chtimes(p, m, m) },
		"size": func(p string) error {
			if err := os.WriteFile(p, []byte("image!"), 0o644); err != nil {
				return err
			}
			return os.Chtimes(p, fi.ModTime(), fi.ModTime())
		},
		"directory": func(p string) error {
			if err := os.Remove(p); err != nil {
				return err
			}
			return os.Mkdir(p, 0o755)
		},
	}
	for name, change := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			p := filepath.Join(t.TempDir(), "a.qcow2")
			if err := os.WriteFile(p, []byte("image"), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Chtimes(p, fi.ModTime(), fi.ModTime()); err != nil {
				t.Fatal(err)
			}
			if st, err := os.Stat(p); err != nil || !e.Matches(st) {
				t.Fatalf("copy does not match before the change: %v", err)
			}
			if err := change(p); err != nil {
				t.Fatal(err)
			}
			st, err := os.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			if e.Matches(st) {
				t.Errorf("entry still matches after %s changed", name)
			}
		})
	}
	if (Entry{}).Matches(fi) {
		t.Error("a zero Entry matches a file")
	}
}
