package testkit_test

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sandlabx/fetchd/internal/qcow2"
	"github.com/sandlabx/fetchd/internal/testutil"
	"github.com/sandlabx/fetchd/sdk/checksum"
	"github.com/sandlabx/fetchd/sdk/listing"
	"github.com/sandlabx/fetchd/sdk/testkit"
)

// TestQcow2IsReal: qemu-img itself finds the images clean and of the
// size asked for, and fetchd's own header inspection accepts them.
func TestQcow2IsReal(t *testing.T) {
	t.Parallel()
	qemuImg := testutil.RequireQemuImg(t)
	dir := t.TempDir()
	for _, size := range []int64{1 << 20, 64<<20 + 512, 3 << 30} {
		path := filepath.Join(dir, fmt.Sprintf("%d.qcow2", size))
		if err := os.WriteFile(path, testkit.Qcow2(size), 0o644); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(qemuImg, "check", "-f", "qcow2", path).CombinedOutput(); err != nil {
			t.Errorf("qemu-img check %d: %v\n%s", size, err, out)
		}
		out, err := exec.Command(qemuImg, "info", "-f", "qcow2", "--output=json", path).Output()
		if err != nil || !strings.Contains(string(out), fmt.Sprintf(`"virtual-size": %d`, size)) {
			t.Errorf("qemu-img info %d: %v\n%s", size, err, out)
		}
		if _, err := qcow2.CheckFile(path, qcow2.FormatQcow2, qcow2.Limits{}); err != nil {
			t.Errorf("fetchd's inspection refuses the %d-byte image: %v", size, err)
		}
	}
	if string(testkit.Qcow2(1<<20)) == string(testkit.Qcow2(2<<20)) {
		t.Error("two sizes, the same bytes")
	}
}

// TestMirrorListingsReadBack: each style's listing reads back with
// sdk/listing: names, directories, dates, and exact sizes where the style
// gives them.
func TestMirrorListingsReadBack(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	testkit.WriteFile(t, root, "41/Fedora-Cloud-Base-Generic-41-1.4.x86_64.qcow2", testkit.Qcow2(1<<20))
	testkit.WriteFile(t, root, "41/Fedora-Cloud-41-1.4-x86_64-CHECKSUM", []byte("x"))
	testkit.WriteFile(t, root, "41/sub/a", nil)
	if err := os.Chtimes(filepath.Join(root, "41", "sub"), testkit.Epoch, testkit.Epoch); err != nil {
		t.Fatal(err)
	}
	for name, style := range map[string]testkit.Style{"nginx": testkit.Nginx, "apache": testkit.Apache, "lighttpd": testkit.Lighttpd} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			m := testkit.Serve(t, root, style)
			resp, err := http.Get(m.URLOf("41/"))
			if err != nil {
				t.Fatal(err)
			}
			page, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			got, err := listing.Parse(page)
			if err != nil {
				t.Fatal(err)
			}
			exact := func(n int64) int64 {
				if style == testkit.Nginx || (style == testkit.Apache && n < 1024) {
					return n
				}
				return -1
			}
			want := []listing.Entry{
				{Name: "Fedora-Cloud-41-1.4-x86_64-CHECKSUM", Size: exact(1), ModTime: testkit.Epoch},
				{Name: "Fedora-Cloud-Base-Generic-41-1.4.x86_64.qcow2", Size: exact(4 << 16), ModTime: testkit.Epoch},
				{Name: "sub", Dir: true, Size: -1, ModTime: testkit.Epoch},
			}
			if diff := cmp.Diff(want, got, cmpIgnoreSizeText); diff != "" {
				t.Errorf("listing (-want +got):\n%s", diff)
			}
		})
	}
}

var cmpIgnoreSizeText = cmp.Transformer("noSizeText", func(e listing.Entry) listing.Entry { e.SizeText = ""; return e })

// TestMirrorConditionalAndRange: 304 for a current copy, 206 for a range,
// a redirect for a directory without its slash.
func TestMirrorConditionalAndRange(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	testkit.WriteFile(t, root, "d/f", []byte("0123456789"))
	m := testkit.Serve(t, root, testkit.Nginx)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(path string, hdr ...string) *http.Response {
		req, _ := http.NewRequest(http.MethodGet, m.URLOf(path), nil)
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		return resp
	}
	first := get("d/f")
	etag, lm := first.Header.Get("ETag"), first.Header.Get("Last-Modified")
	if first.StatusCode != 200 || etag == "" || lm == "" {
		t.Fatalf("GET: %s, ETag %q, Last-Modified %q", first.Status, etag, lm)
	}
	if r := get("d/f", "If-None-Match", etag); r.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match: %s", r.Status)
	}
	if r := get("d/f", "If-Modified-Since", lm); r.StatusCode != http.StatusNotModified {
		t.Errorf("If-Modified-Since: %s", r.Status)
	}
	if r := get("d/f", "Range", "bytes=4-"); r.StatusCode != http.StatusPartialContent || r.Header.Get("Content-Range") != "bytes 4-9/10" {
		t.Errorf("Range: %s %s", r.Status, r.Header.Get("Content-Range"))
	}
	if r := get("d"); r.StatusCode != http.StatusMovedPermanently || r.Header.Get("Location") != "/d/" {
		t.Errorf("directory without slash: %s %s", r.Status, r.Header.Get("Location"))
	}
	if m.Requests("/d/f") != 4 {
		t.Errorf("Requests = %d", m.Requests("/d/f"))
	}
}

func TestChecksumFilesParse(t *testing.T) {
	t.Parallel()
	files := map[string][]byte{"a.qcow2": []byte("a"), "b.qcow2": []byte("bb")}
	f, err := checksum.Parse(testkit.BSDChecksums(files, true), checksum.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	e, err := f.Entry("b.qcow2", checksum.SHA256)
	if err != nil || e.Size != 2 {
		t.Errorf("BSD entry %+v, %v", e, err)
	}
	if _, err := checksum.Find(testkit.GNUChecksums(files), checksum.SHA256, "a.qcow2"); err != nil {
		t.Error(err)
	}
	if _, err := checksum.Find(testkit.SHA512Checksums(files), checksum.SHA512, "a.qcow2"); err != nil {
		t.Error(err)
	}
}
