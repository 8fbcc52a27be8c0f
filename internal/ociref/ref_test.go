package ociref_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sandlabx/fetchd/internal/ociref"
)

func TestParse(t *testing.T) {
	t.Parallel()
	d := "sha256:" + "ab" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd"
	for in, want := range map[string]ociref.Ref{
		"registry.lab:5000/images/ubuntu-24-lts:latest": {Registry: "registry.lab:5000", Repository: "images/ubuntu-24-lts", Tag: "latest"},
		"https://registry.lab/images/alpine-3":          {Registry: "registry.lab", Repository: "images/alpine-3"},
		"http://127.0.0.1:5000/images/debian-13@" + d:   {Registry: "127.0.0.1:5000", Repository: "images/debian-13", Digest: d, PlainHTTP: true},
		"[::1]:5000/a/b:3.22.2-r0":                      {Registry: "[::1]:5000", Repository: "a/b", Tag: "3.22.2-r0"},
	} {
		t.Run(in, func(t *testing.T) {
			t.Parallel()
			got, err := ociref.Parse(in)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
			again, err := ociref.Parse(got.String())
			if err != nil || again != got {
				t.Errorf("String() %q does not parse back: %+v, %v", got.String(), again, err)
			}
		})
	}
}

func TestParseRefuses(t *testing.T) {
	t.Parallel()
	for name, in := range map[string]string{
		"no repository":   "registry.lab:5000",
		"other scheme":    "ftp://registry.lab/images/x",
		"upper case repo": "registry.lab/Images/x",
		"bad tag":         "registry.lab/images/x:-bad",
		"bad digest":      "registry.lab/images/x@sha256:abc",
		"empty":           "",
		"space":           "registry.lab/images/x y",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if r, err := ociref.Parse(in); err == nil {
				t.Errorf("Parse(%q) = %+v, want an error", in, r)
			}
		})
	}
}

func TestRepositoryName(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"ubuntu-24-lts.qcow2": "ubuntu-24-lts",
		"My_Custom.qcow2":     "my-custom",
		"debian-13.img":       "debian-13",
		"a..b.raw":            "a-b",
		"x.iso":               "x-iso",
	} {
		if got, err := ociref.RepositoryName(in); err != nil || got != want {
			t.Errorf("RepositoryName(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ociref.RepositoryName("__.qcow2"); err == nil {
		t.Error("RepositoryName(__.qcow2): want an error")
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"registry.lab:5000/images/x:latest", "http://127.0.0.1:5000/a/b@sha256:0", "https://r/x", "a/b:c@d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ociref.Parse(s)
		if err != nil {
			return
		}
		if r.Tag != "" && r.Digest != "" {
			t.Fatalf("%q: both tag and digest", s)
		}
		again, err := ociref.Parse(r.String())
		if err != nil || again != r {
			t.Fatalf("%q: String() %q parses to %+v, %v", s, r.String(), again, err)
		}
	})
}
