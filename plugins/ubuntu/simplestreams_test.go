package ubuntu

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sandlabx/fetchd/sdk/checksum"
	"github.com/sandlabx/fetchd/sdk/strictjson"
)

const hexA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

func disk(serial string) productVersion {
	return productVersion{Label: "release", Items: map[string]item{
		"disk1.img": {FType: "disk1.img", Path: "server/releases/noble/release-" + serial + "/ubuntu-24.04-server-cloudimg-amd64.img", SHA256: hexA, Size: 42},
		"manifest":  {FType: "manifest", Path: "server/releases/noble/release-" + serial + "/ubuntu-24.04-server-cloudimg-amd64.manifest", SHA256: hexA, Size: 1},
	}}
}

func TestNewestBuild(t *testing.T) {
	t.Parallel()
	beta := disk("20270101")
	beta.Label = "beta"
	noDisk := disk("20261201")
	delete(noDisk.Items, "disk1.img")
	twoDisks := disk("20261201")
	twoDisks.Items["uefi"] = twoDisks.Items["disk1.img"]
	badSize := disk("20261201")
	it := badSize.Items["disk1.img"]
	it.Size = -1
	badSize.Items["disk1.img"] = it
	cases := map[string]struct {
		versions map[string]productVersion
		label    string
		want     string // serial, or "" when an error is expected
		wantErr  string
	}{
		"respin after the day's build":       {versions: map[string]productVersion{"20240423": disk("20240423"), "20240423.1": disk("20240423.1")}, label: "release", want: "20240423.1"},
		".10 after .9":                       {versions: map[string]productVersion{"20240423.9": disk("20240423.9"), "20240423.10": disk("20240423.10"), "20240101": disk("20240101")}, label: "release", want: "20240423.10"},
		"other labels ignored":               {versions: map[string]productVersion{"20261101": disk("20261101"), "20270101": beta}, label: "release", want: "20261101"},
		"any label when none is asked for":   {versions: map[string]productVersion{"20261101": disk("20261101"), "20270101": beta}, want: "20270101"},
		"no versions":                        {versions: map[string]productVersion{}, label: "release", wantErr: "no builds"},
		"only other labels":                  {versions: map[string]productVersion{"20270101": beta}, label: "release", wantErr: `no builds labelled "release" (only "beta")`},
		"not a serial":                       {versions: map[string]productVersion{"current": disk("20261101")}, label: "release", wantErr: `version "current" is not a build serial`},
		"newest without a disk, no fallback": {versions: map[string]productVersion{"20261101": disk("20261101"), "20261201": noDisk}, label: "release", wantErr: `newest version 20261201 has no "disk1.img" item`},
		"newest with two disks":              {versions: map[string]productVersion{"20261201": twoDisks}, label: "release", wantErr: `has 2 "disk1.img" items`},
		"size out of range":                  {versions: map[string]productVersion{"20261201": badSize}, label: "release", wantErr: "size -1 is out of range"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b, err := newestBuild(product{Versions: c.versions}, c.label)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := build{serial: c.want, path: c.versions[c.want].Items["disk1.img"].Path, digest: checksum.Digest{Algorithm: checksum.SHA256, Hex: hexA}, size: 42}
			if diff := cmp.Diff(want, b, cmp.AllowUnexported(build{})); diff != "" {
				t.Errorf("build (-want +got):\n%s", diff)
			}
		})
	}
	if _, err := newestBuild(product{}, "release"); !errors.Is(err, errNoBuilds) {
		t.Errorf("empty product: %v, want errNoBuilds", err)
	}
}

func TestParseIndex(t *testing.T) {
	t.Parallel()
	const id = "com.ubuntu.cloud:released:download"
	entry := func(path string) string {
		return `{"format": "index:1.0", "index": {"` + id + `": {"datatype": "image-downloads", "format": "products:1.0", "path": "` + path + `"}}}`
	}
	cases := map[string]struct {
		doc, want, wantErr string
	}{
		"upstream's":        {doc: entry("streams/v1/com.ubuntu.cloud:released:download.json"), want: "streams/v1/com.ubuntu.cloud:released:download.json"},
		"parent directory":  {doc: entry("../streams/v1/x.json"), wantErr: `element ".." does not start`},
		"absolute":          {doc: entry("/streams/v1/x.json"), wantErr: "empty element"},
		"absolute URL":      {doc: entry("https://example.com/x.json"), wantErr: "empty element"},
		"query":             {doc: entry("streams/v1/x.json?a=b"), wantErr: `character '?'`},
		"not json":          {doc: entry("streams/v1/x.sjson"), wantErr: "not a .json document"},
		"other format":      {doc: strings.Replace(entry("streams/v1/x.json"), "index:1.0", "index:2.0", 1), wantErr: `format is "index:2.0"`},
		"other datatype":    {doc: strings.Replace(entry("streams/v1/x.json"), "image-downloads", "image-ids", 1), wantErr: `datatype "image-ids"`},
		"no such entry":     {doc: strings.Replace(entry("streams/v1/x.json"), id, "com.example:other", 1), wantErr: `no entry "com.ubuntu.cloud:released:download" (it has: com.example:other)`},
		"HTML":              {doc: "<html><body>Not Found</body></html>", wantErr: "looks like an HTML page"},
		"empty":             {doc: "", wantErr: "empty document"},
		"two documents":     {doc: entry("streams/v1/x.json") + "{}", wantErr: "data after the value"},
		"duplicate entries": {doc: `{"format": "index:1.0", "index": {"a": {}, "A": {}}}`, wantErr: `differ only in case`},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := parseIndex([]byte(c.doc), id)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, c.wantErr)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("got %q, %v; want %q", got, err, c.want)
			}
		})
	}
}

func TestCheckJSON(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		doc     string
		wantErr string // "" = accepted
	}{
		"object":                       {doc: `{"a": {"b": [1, {"c": null}]}, "d": "e"}`},
		"keys equal in other objects":  {doc: `{"a": {"x": 1}, "b": {"x": 2}, "x": [{"x": 3}]}`},
		"duplicate key":                {doc: `{"a": 1, "b": 2, "a": 3}`, wantErr: `key "a" appears twice`},
		"duplicate key ignoring case":  {doc: `{"items": {"disk1.img": {"path": "a", "Path": "b"}}}`, wantErr: `keys "path" and "Path" in one object differ only in case`},
		"duplicate key after a nested": {doc: `{"a": {"a": 1}, "a": 2}`, wantErr: "appears twice"},
		"too deep":                     {doc: strings.Repeat("[", 40) + strings.Repeat("]", 40), wantErr: "nested deeper"},
		"truncated":                    {doc: `{"a": [1, 2`, wantErr: "not JSON"},
		"trailing garbage":             {doc: `{} x`, wantErr: "data after the value"},
		"scalar":                       {doc: `"x"`},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			err := strictjson.Check([]byte(c.doc), jsonLimits)
			if c.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Fatalf("error %v, want one containing %q", err, c.wantErr)
			}
		})
	}
}

func TestCheckRelPath(t *testing.T) {
	t.Parallel()
	for p, ok := range map[string]bool{
		"server/releases/noble/release-20240423.1/ubuntu-24.04-server-cloudimg-amd64.img": true,
		"server/noble/20240423/noble-server-cloudimg-amd64.img":                           true,
		"a":                      true,
		"":                       false,
		"/a":                     false,
		"a/":                     false,
		"a//b":                   false,
		"a/./b":                  false,
		"a/../b":                 false,
		".hidden/a":              false,
		"a/b%2fc":                false,
		"a\\b":                   false,
		"a b":                    false,
		"a/b?c":                  false,
		"a/b#c":                  false,
		"https:/x":               false,
		"streams/v1/x:y.json":    false, // colons only where asked for
		"a/\u00e9":               false,
		strings.Repeat("a", 513): false,
	} {
		if err := checkRelPath(p, false); (err == nil) != ok {
			t.Errorf("checkRelPath(%q) = %v, want ok=%v", p, err, ok)
		}
	}
	if err := checkRelPath("streams/v1/com.ubuntu.cloud:released:download.json", true); err != nil {
		t.Errorf("colon allowed: %v", err)
	}
}
