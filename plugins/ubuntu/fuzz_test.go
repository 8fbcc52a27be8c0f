package ubuntu

import (
	"bytes"
	"encoding/json"
	"net/url"
	"path"
	"strings"
	"testing"

	"github.com/sandlabx/fetchd/sdk/version"
)

const seedProducts = `{"content_id": "com.ubuntu.cloud:released:download", "datatype": "image-downloads", "format": "products:1.0",
 "products": {"com.ubuntu.cloud:server:24.04:amd64": {"arch": "amd64", "release": "noble", "version": "24.04", "versions": {
  "20240423": {"label": "release", "items": {"disk1.img": {"ftype": "disk1.img", "path": "server/releases/noble/release-20240423/ubuntu-24.04-server-cloudimg-amd64.img",
   "sha256": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "size": 1}}},
  "20240423.9": {"label": "release", "items": {"disk1.img": {"ftype": "disk1.img", "path": "server/releases/noble/release-20240423.9/ubuntu-24.04-server-cloudimg-amd64.img",
   "sha256": "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", "size": 2}}},
  "20240423.10": {"label": "release", "items": {"disk1.img": {"ftype": "disk1.img", "path": "server/releases/noble/release-20240423.10/ubuntu-24.04-server-cloudimg-amd64.img",
   "sha256": "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc", "size": 3}}},
  "20250101": {"label": "beta", "items": {}}}}}}`

// FuzzParseProducts: whatever a products document holds, a build the
// parser returns is well-formed, and no release-labelled serial in the
// product is newer.
func FuzzParseProducts(f *testing.F) {
	f.Add([]byte(seedProducts))
	f.Add([]byte(strings.Replace(seedProducts, `"label": "beta"`, `"label": "release"`, 1)))
	f.Add([]byte(strings.Replace(seedProducts, `"size": 3`, `"size": 3, "Size": 4`, 1)))
	f.Add([]byte(`{"content_id": "com.ubuntu.cloud:released:download", "datatype": "image-downloads", "format": "products:1.0", "products": {}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := decodeProducts(bytes.NewReader(data), "com.ubuntu.cloud:released:download", "com.ubuntu.cloud:server:24.04:amd64")
		if err != nil || !res.found {
			return
		}
		if !json.Valid(data) {
			t.Fatalf("accepted invalid JSON")
		}
		for id, p := range map[string]product{"com.ubuntu.cloud:server:24.04:amd64": res.product} {
			b, err := newestBuild(p, "release")
			if err != nil {
				continue
			}
			if !serialRE.MatchString(b.serial) {
				t.Fatalf("%s: serial %q", id, b.serial)
			}
			if err := b.digest.Validate(); err != nil {
				t.Fatalf("%s: digest: %v", id, err)
			}
			if b.size <= 0 || b.size > maxImageSize {
				t.Fatalf("%s: size %d", id, b.size)
			}
			if err := checkRelPath(b.path, false); err != nil {
				t.Fatalf("%s: path %q: %v", id, b.path, err)
			}
			for s, v := range p.Versions {
				if v.Label == "release" && version.Compare(s, b.serial) > 0 {
					t.Fatalf("%s: chose %s, but %s is newer", id, b.serial, s)
				}
			}
			if p.Versions[b.serial].Label != "release" {
				t.Fatalf("%s: chose %s labelled %q", id, b.serial, p.Versions[b.serial].Label)
			}
		}
	})
}

// FuzzParseIndex: a path the index yields stays inside the mirror root
// when joined to it, and names a .json document.
func FuzzParseIndex(f *testing.F) {
	f.Add([]byte(`{"format": "index:1.0", "index": {"com.ubuntu.cloud:released:download": {"datatype": "image-downloads", "format": "products:1.0", "path": "streams/v1/com.ubuntu.cloud:released:download.json"}}}`))
	f.Add([]byte(`{"format": "index:1.0", "index": {"com.ubuntu.cloud:released:download": {"datatype": "image-downloads", "format": "products:1.0", "path": "../x.json"}}}`))
	f.Add([]byte(`{"format": "index:1.0", "index": {}}`))
	f.Add([]byte(`<html></html>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := parseIndex(data, "com.ubuntu.cloud:released:download")
		if err != nil {
			return
		}
		if !strings.HasSuffix(p, ".json") {
			t.Fatalf("path %q is not a .json", p)
		}
		checkJoined(t, "https://mirror.example/releases/", p)
	})
}

// FuzzCheckRelPath: an accepted path is clean, relative and needs no
// escaping: joined to a root URL it parses back to exactly that path,
// without query or fragment.
func FuzzCheckRelPath(f *testing.F) {
	for _, s := range []string{"server/releases/noble/release-20240423/x.img", "a/../b", "a//b", "/a", "a?b", "a%2fb", "a:b", ".", "a/.b"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, p string, colon bool) {
		if checkRelPath(p, colon) != nil {
			return
		}
		checkJoined(t, "https://mirror.example/releases/", p)
	})
}

func checkJoined(t *testing.T, root, p string) {
	t.Helper()
	if path.Clean(p) != p || path.IsAbs(p) || p == "." || strings.HasPrefix(p, "..") {
		t.Fatalf("path %q is not clean and relative", p)
	}
	u, err := url.Parse(root + p)
	if err != nil {
		t.Fatalf("%q: %v", root+p, err)
	}
	if u.Host != "mirror.example" || u.Path != "/releases/"+p || u.RawQuery != "" || u.Fragment != "" || u.EscapedPath() != "/releases/"+p {
		t.Fatalf("%q parses as host %q path %q query %q fragment %q", root+p, u.Host, u.Path, u.RawQuery, u.Fragment)
	}
}
