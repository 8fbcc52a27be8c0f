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

func digest(t testing.TB, hexDigits string) checksum.Digest {
	t.Helper()
	d, err := checksum.ParseDigest("sha256:" + hexDigits)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// sample returns a state with two builds of one image (current and
// previous), a pending one and a url image sharing the current build; the
// times carry nanoseconds and a non-UTC zone so the round trip is tested.
func sample(t testing.TB) *State {
	zone := time.FixedZone("test", 2*3600)
	s := New()
	cur := digest(t, hex64)
	prev := digest(t, strings.Repeat("1", 64))
	next := digest(t, strings.Repeat("2", 64))
	for i, d := range []checksum.Digest{cur, prev, next} {
		s.SetBuild(Build{
			File: BuildFile(d, "qcow2"), Source: "ubuntu", Release: "24.04", Arch: "amd64", Variant: "server",
			Version: "2025010" + string(rune('1'+i)), URL: "https://cloud-images.ubuntu.com/noble/x.img", Format: "qcow2",
			Digest: d, Size: 600 << 20, VirtualSize: 3 << 30,
			Stamp: Stamp{Dev: 2049, Ino: uint64(100 + i), Size: 600 << 20, Mode: 0o100444, UID: 10001,
				MTime: time.Date(2025, 1, 2, 3, 4, 5, 123456789, zone), CTime: time.Date(2025, 1, 2, 3, 4, 6, 7, zone)},
			VerifiedAt:  time.Date(2025, 1, 2, 3, 4, 6, 1, zone),
			VerifiedBy:  []string{"sha256", "qcow2-header", "qemu-img info", "qemu-img check"},
			ChecksumURL: "https://cloud-images.ubuntu.com/noble/SHA256SUMS",
			Signature:   "verified (key D2EB4462…)",
		})
	}
	s.SetImage("ubuntu-24-lts.qcow2", Image{
		Build: cur.String(), Pending: next.String(), Previous: []string{prev.String()},
		Want: &Want{Source: "ubuntu", Release: "24.04", Arch: "amd64"},
		Hold: &Hold{Reason: "lab exam", At: time.Date(2025, 2, 1, 0, 0, 0, 5, zone)},
	})
	s.SetImage("custom.qcow2", Image{Build: cur.String(), Want: &Want{URL: "https://example.com/c.qcow2", Checksum: cur.String()}})
	return s
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	want := sample(t)
	data := mustEncode(t, want)
	got, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	// cmp compares time.Time with its Equal method: same instant, any zone.
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Decode(Encode(s)) mismatch (-want +got):\n%s", diff)
	}
	for _, want := range []string{`"version": 2`, `"file": "sha256-` + hex64 + `.qcow2"`, `"mtime": "2025-01-02T01:04:05.123456789Z"`, `"previous": [`, `"reason": "lab exam"`} {
		if !bytes.Contains(data, []byte(want)) {
			t.Errorf("state.json does not contain %s:\n%s", want, data)
		}
	}
}

// A version 1 file (one plain file per name) reads as builds that are not
// trusted: a zero Stamp, so the next sync hashes each file again.
func TestDecodeVersion1(t *testing.T) {
	t.Parallel()
	data := `{"version": 1, "images": {
	  "a.qcow2": {"source": "alpine", "release": "3", "version": "3.22.1-r0", "url": "https://x/a.qcow2", "format": "qcow2",
	              "digest": "sha256:` + hex64 + `", "size": 5, "mtime": "2025-01-02T03:04:05Z",
	              "verified_at": "2025-01-02T03:04:06Z", "verified_by": ["sha256", "qemu-img check"]},
	  "b.qcow2": {"digest": "sha256:` + hex64 + `", "size": 5, "mtime": "2025-01-02T03:04:05Z", "verified_at": "2025-01-02T03:04:06Z"}}}`
	got, err := Decode([]byte(data))
	if err != nil {
		t.Fatal(err)
	}
	d := digest(t, hex64)
	want := New()
	want.SetBuild(Build{
		File: "sha256-" + hex64 + ".qcow2", Source: "alpine", Release: "3", Version: "3.22.1-r0", URL: "https://x/a.qcow2",
		Format: "qcow2", Digest: d, Size: 5, VerifiedAt: time.Date(2025, 1, 2, 3, 4, 6, 0, time.UTC),
		VerifiedBy: []string{"sha256", "qemu-img check"},
	})
	want.SetImage("a.qcow2", Image{Build: d.String()})
	want.SetImage("b.qcow2", Image{Build: d.String()})
	// Two names of one digest share one build; the last one read wins its
	// origin fields, which are the same artifact's.
	b, _ := got.Build(d.String())
	want.Builds[d.String()] = b
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
	if !b.Stamp.IsZero() {
		t.Errorf("a version 1 build has stamp %+v, want none", b.Stamp)
	}
}

func TestDecodeCorrupt(t *testing.T) {
	t.Parallel()
	good := string(mustEncode(t, sample(t)))
	key := "sha256:" + hex64
	tests := map[string]struct {
		content string
		want    string // in the message
	}{
		"empty":           {"", "truncated"},
		"not json":        {"hello", "invalid character"},
		"truncated":       {good[:len(good)/2], "truncated"},
		"array":           {"[]", "want a JSON object"},
		"no version":      {`{"images": {}}`, "no version"},
		"unknown version": {`{"version": 3, "images": {}}`, "unknown version 3 (this fetchd reads versions 1 and 2)"},
		"version string":  {`{"version": "2", "images": {}}`, "cannot unmarshal string"},
		"duplicate key":   {`{"version": 2, "version": 2}`, `duplicate key "version"`},
		"duplicate image": {strings.Replace(good, `"custom.qcow2": {`, `"ubuntu-24-lts.qcow2": {"build": "`+key+`"}, "custom.qcow2": {`, 1), `duplicate key "ubuntu-24-lts.qcow2"`},
		"trailing data":   {good + "{}", "data after the JSON object"},
		"bad digest":      {strings.Replace(good, `"digest": "`+key, `"digest": "sha256:abc`, 1), "digest: sha256 digest has 3 hex digits"},
		"key not digest":  {strings.Replace(good, `"digest": "`+key, `"digest": "sha256:`+strings.Repeat("3", 64), 1), "recorded under another digest"},
		"file elsewhere":  {strings.Replace(good, `"file": "sha256-`+hex64+`.qcow2"`, `"file": "../../etc/passwd"`, 1), `file "../../etc/passwd" is not its content-addressed name`},
		"dangling build":  {strings.Replace(good, `"build": "`+key, `"build": "sha256:`+strings.Repeat("9", 64), 1), "which is not recorded"},
		"path in name":    {strings.Replace(good, "custom.qcow2", "x/../../etc/passwd", 1), `image name "x/../../etc/passwd": contains a path separator`},
		"hidden name":     {strings.Replace(good, "custom.qcow2", ".fetchd", 1), `image name ".fetchd": hidden file`},
		"negative size":   {strings.Replace(good, `"size": 629145600`, `"size": -1`, 1), "negative size"},
		"bad time":        {strings.Replace(good, `"verified_at": "2025-01-02T01:04:06.000000001Z"`, `"verified_at": "yesterday"`, 1), "cannot parse"},
		"images a list":   {`{"version": 2, "images": []}`, "want a JSON object"},
		"previous twice":  {strings.Replace(good, `"previous": [`, `"previous": ["`+key+`", `, 1), "listed twice"},
		// Found by FuzzDecode: a legal offset moves the UTC year out of RFC 3339's range.
		"time before year 0": {strings.Replace(good, `"verified_at": "2025-01-02T01:04:06.000000001Z"`, `"verified_at": "0000-01-01T00:00:00+01:00"`, 1), "is outside years 0000-9999"},
		"v1 path in name":    {`{"version": 1, "images": {"x/../a": {"digest": "` + key + `", "size": 1, "mtime": "2025-01-02T03:04:05Z"}}}`, "contains a path separator"},
		"v1 no mtime":        {`{"version": 1, "images": {"a": {"digest": "` + key + `", "size": 1}}}`, "no mtime"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if tc.content == good {
				t.Fatal("the case did not change the good file")
			}
			_, err := Decode([]byte(tc.content))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Decode error %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

func TestLoad(t *testing.T) {
	t.Parallel()
	write := func(t *testing.T, content []byte) string {
		dir := t.TempDir()
		if err := os.MkdirAll(filepath.Join(dir, PrivateDir), 0o700); err != nil {
			t.Fatal(err)
		}
		if content != nil {
			if err := os.WriteFile(Path(dir), content, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	t.Run("missing", func(t *testing.T) {
		t.Parallel()
		s, err := Load(write(t, nil))
		if err != nil || len(s.Images) != 0 {
			t.Fatalf("Load of a directory without state: %v, %v", s, err)
		}
	})
	t.Run("good", func(t *testing.T) {
		t.Parallel()
		s, err := Load(write(t, mustEncode(t, sample(t))))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(sample(t), s); diff != "" {
			t.Errorf("mismatch (-want +got):\n%s", diff)
		}
	})
	corrupt := map[string]struct {
		prepare func(t *testing.T) string
		want    string
	}{
		"too large": {func(t *testing.T) string { return write(t, bytes.Repeat([]byte(" "), MaxBytes+1)) }, "larger than 16 MiB"},
		"directory": {func(t *testing.T) string {
			dir := write(t, nil)
			if err := os.Mkdir(Path(dir), 0o700); err != nil {
				t.Fatal(err)
			}
			return dir
		}, "not a regular file"},
		"symlink": {func(t *testing.T) string {
			other := write(t, mustEncode(t, sample(t)))
			dir := write(t, nil)
			if err := os.Symlink(Path(other), Path(dir)); err != nil {
				t.Fatal(err)
			}
			return dir
		}, "too many levels of symbolic links"},
		"garbage": {func(t *testing.T) string { return write(t, []byte("{{")) }, "invalid character"},
	}
	for name, tc := range corrupt {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := tc.prepare(t)
			s, err := Load(dir)
			var ce *CorruptError
			if !errors.As(err, &ce) || !strings.Contains(err.Error(), tc.want) || ce.Path != Path(dir) {
				t.Errorf("Load error %v, want a *CorruptError for %s mentioning %q", err, Path(dir), tc.want)
			}
			if s == nil || len(s.Images) != 0 {
				t.Errorf("Load returned state %v with the error, want an empty state", s)
			}
		})
	}
}

func TestEncodeRefusesInvalid(t *testing.T) {
	t.Parallel()
	d := digest(t, hex64)
	tests := map[string]func(s *State){
		"no digest":      func(s *State) { s.Builds["sha256:x"] = Build{File: "x"} },
		"file elsewhere": func(s *State) { b := s.Builds[d.String()]; b.File = "../x"; s.Builds[d.String()] = b },
		"path name":      func(s *State) { s.SetImage("../a.qcow2", Image{Build: d.String()}) },
		"dangling":       func(s *State) { s.SetImage("a.qcow2", Image{Build: "sha256:" + strings.Repeat("4", 64)}) },
		"negative size":  func(s *State) { b := s.Builds[d.String()]; b.Size = -1; s.Builds[d.String()] = b },
	}
	for name, change := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := sample(t)
			change(s)
			if _, err := Encode(s); err == nil {
				t.Fatal("Encode succeeded")
			}
		})
	}
}

// TestStamp pins the no-op sync rule: a file is the recorded one only when
// every field matches, and a zero stamp matches nothing.
func TestStamp(t *testing.T) {
	t.Parallel()
	at := time.Date(2025, 3, 4, 5, 6, 7, 987654321, time.UTC)
	base := Stamp{Dev: 1, Ino: 2, Size: 3, Mode: 0o100444, UID: 0, MTime: at, CTime: at}
	if !base.Matches(base) || !base.SameFile(base) {
		t.Fatal("a stamp does not equal itself")
	}
	changes := map[string]func(*Stamp){
		"dev":   func(s *Stamp) { s.Dev++ },
		"ino":   func(s *Stamp) { s.Ino++ },
		"size":  func(s *Stamp) { s.Size++ },
		"mode":  func(s *Stamp) { s.Mode = 0o100666 },
		"owner": func(s *Stamp) { s.UID = 65534 },
		"mtime": func(s *Stamp) { s.MTime = s.MTime.Add(time.Nanosecond) },
		"ctime": func(s *Stamp) { s.CTime = s.CTime.Add(time.Nanosecond) },
	}
	for name, change := range changes {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			other := base
			change(&other)
			if base.Matches(other) {
				t.Errorf("stamps equal after %s changed", name)
			}
			if same := name != "dev" && name != "ino"; base.SameFile(other) != same {
				t.Errorf("SameFile after %s changed = %v, want %v", name, !same, same)
			}
		})
	}
	if (Stamp{}).Matches(Stamp{}) {
		t.Error("a zero stamp equals a zero stamp")
	}
	// The same instant in another zone is the same time.
	other := base
	other.MTime = at.In(time.FixedZone("x", 3600))
	if !base.Matches(other) {
		t.Error("the same instant in another zone does not match")
	}
}

func TestUsersAndDeleteBuild(t *testing.T) {
	t.Parallel()
	s := sample(t)
	cur, prev, next := "sha256:"+hex64, "sha256:"+strings.Repeat("1", 64), "sha256:"+strings.Repeat("2", 64)
	want := map[string][]string{
		cur:  {"custom.qcow2", "ubuntu-24-lts.qcow2"},
		prev: {"ubuntu-24-lts.qcow2"},
		next: {"ubuntu-24-lts.qcow2"},
	}
	if diff := cmp.Diff(want, s.Users()); diff != "" {
		t.Errorf("Users (-want +got):\n%s", diff)
	}
	s.DeleteBuild(prev)
	s.DeleteBuild(next)
	im, _ := s.Image("ubuntu-24-lts.qcow2")
	if im.Pending != "" || len(im.Previous) != 0 || im.Build != cur {
		t.Errorf("after deleting the other builds: %+v", im)
	}
	if _, err := Encode(s); err != nil {
		t.Errorf("state after DeleteBuild does not encode: %v", err)
	}
}
