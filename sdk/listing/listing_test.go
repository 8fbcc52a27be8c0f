package listing_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sandlabx/fetchd/sdk/listing"
)

const img = "nocloud_alpine-3.19.1-x86_64-uefi-cloudinit-r0.qcow2"

// nginxPage is dl-cdn.alpinelinux.org's style: nginx autoindex, link texts
// truncated to 50 characters, exact sizes.
const nginxPage = "<html>\r\n<head><title>Index of /alpine/v3.19/releases/cloud/</title></head>\r\n<body>\r\n" +
	"<h1>Index of /alpine/v3.19/releases/cloud/</h1><hr><pre><a href=\"../\">../</a>\r\n" +
	"<a href=\"old/\">old/</a>                                               24-Jan-2024 10:01                   -\r\n" +
	"<a href=\"" + img + "\">nocloud_alpine-3.19.1-x86_64-uefi-cloudinit-r0.q..&gt;</a> 25-Jan-2024 20:44           123731968\r\n" +
	"<a href=\"" + img + ".sha512\">nocloud_alpine-3.19.1-x86_64-uefi-cloudinit-r0.q..&gt;</a> 25-Jan-2024 20:44                 129\r\n" +
	"</pre><hr></body>\r\n</html>\r\n"

// apachePage is Apache mod_autoindex with FancyIndexing and HTMLTable, as
// Fedora's mirrors serve (an icon link and a name link per row).
const apachePage = `<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 3.2 Final//EN">
<html><head><title>Index of /pub/fedora/linux/releases/41/Cloud/x86_64/images</title></head><body>
<h1>Index of /pub/fedora/linux/releases/41/Cloud/x86_64/images</h1>
<table><tr><th valign="top"><img src="/icons/blank.gif" alt="[ICO]"></th><th><a href="?C=N;O=D">Name</a></th><th><a href="?C=M;O=A">Last modified</a></th><th><a href="?C=S;O=A">Size</a></th></tr>
<tr><td valign="top"><img src="/icons/back.gif" alt="[PARENTDIR]"></td><td><a href="/pub/fedora/linux/releases/41/Cloud/x86_64/">Parent Directory</a></td><td>&nbsp;</td><td align="right">  - </td></tr>
<tr><td valign="top"><a href="Fedora-Cloud-41-1.4-x86_64-CHECKSUM"><img src="/icons/text.gif" alt="[TXT]"></a></td><td><a href="Fedora-Cloud-41-1.4-x86_64-CHECKSUM">Fedora-Cloud-41-1.4-x86_64-CHECKSUM</a></td><td align="right">2024-10-24 13:36  </td><td align="right">1.2K</td></tr>
<tr><td valign="top"><a href="Fedora-Cloud-Base-Generic-41-1.4.x86_64.qcow2"><img src="/icons/unknown.gif" alt="[   ]"></a></td><td><a href="Fedora-Cloud-Base-Generic-41-1.4.x86_64.qcow2">Fedora-Cloud-Base-Generic-41-1.4.x86_64.qcow2</a></td><td align="right">2024-10-24 13:36  </td><td align="right">468M</td></tr>
<tr><td valign="top"><a href="small.txt"><img src="/icons/text.gif" alt="[TXT]"></a></td><td><a href="small.txt">small.txt</a></td><td align="right">2024-10-24 13:36  </td><td align="right">833 </td></tr>
<tr><td><a href="https://mirror.example/elsewhere.qcow2">elsewhere</a></td></tr>
</table></body></html>
`

// lighttpdPage is lighttpd mod_dirlisting.
const lighttpdPage = `<!DOCTYPE html>
<html><head><title>Index of /alpine/v3.19/releases/cloud/</title></head><body>
<h2>Index of /alpine/v3.19/releases/cloud/</h2>
<div class="list"><table summary="Directory Listing" cellpadding="0" cellspacing="0"><tbody>
<tr class="d"><td class="n"><a href="../">..</a>/</td><td class="m">&nbsp;</td><td class="s">- &nbsp;</td><td class="t">Directory</td></tr>
<tr class="d"><td class="n"><a href="edge/">edge</a>/</td><td class="m">2024-Jan-20 08:00:00</td><td class="s">- &nbsp;</td><td class="t">Directory</td></tr>
<tr><td class="n"><a href="` + img + `">` + img + `</a></td><td class="m">2024-Jan-25 20:44:07</td><td class="s">118.0M</td><td class="t">application/octet-stream</td></tr>
</tbody></table></div></body></html>
`

func at(s string) time.Time {
	t, err := time.Parse("2006-01-02 15:04:05", s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestParse(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		page string
		want []listing.Entry
		msg  string // an error containing it
		is   error
	}{
		"nginx": {page: nginxPage, want: []listing.Entry{
			{Name: "old", Dir: true, Size: -1, SizeText: "-", ModTime: at("2024-01-24 10:01:00")},
			{Name: img, Size: 123731968, SizeText: "123731968", ModTime: at("2024-01-25 20:44:00")},
			{Name: img + ".sha512", Size: 129, SizeText: "129", ModTime: at("2024-01-25 20:44:00")},
		}},
		"apache": {page: apachePage, want: []listing.Entry{
			{Name: "Fedora-Cloud-41-1.4-x86_64-CHECKSUM", Size: -1, SizeText: "1.2K", ModTime: at("2024-10-24 13:36:00")},
			{Name: "Fedora-Cloud-Base-Generic-41-1.4.x86_64.qcow2", Size: -1, SizeText: "468M", ModTime: at("2024-10-24 13:36:00")},
			{Name: "small.txt", Size: 833, SizeText: "833", ModTime: at("2024-10-24 13:36:00")},
		}},
		"lighttpd": {page: lighttpdPage, want: []listing.Entry{
			{Name: "edge", Dir: true, Size: -1, SizeText: "-", ModTime: at("2024-01-20 08:00:00")},
			{Name: img, Size: -1, SizeText: "118.0M", ModTime: at("2024-01-25 20:44:07")},
		}},
		"encoded and entity-escaped names": {
			page: `<a href="../">../</a>` + "\n" + `<a href="a%2Bb.qcow2">a+b</a>` + "\n" + `<a href='./c&amp;d'>c</a>`,
			want: []listing.Entry{{Name: "a+b.qcow2", Size: -1}, {Name: "c&d", Size: -1}},
		},
		"two entries on a line: no details": {
			page: `<h1>Index of /</h1><a href="a">a</a> <a href="b">b</a> 25-Jan-2024 20:44 12`,
			want: []listing.Entry{{Name: "a", Size: -1}, {Name: "b", Size: -1}},
		},
		"size too large for int64": {
			page: "Index of /x\n<a href=\"a\">a</a> 25-Jan-2024 20:44 9999999999999999999",
			want: []listing.Entry{{Name: "a", Size: -1, SizeText: "9999999999999999999", ModTime: at("2024-01-25 20:44:00")}},
		},
		"hidden, escaping and odd links skipped": {
			page: "Index of /x\n" + `<a href=".hidden">h</a><a href="a%2Fb">s</a><a href="%zz">bad</a><a href="..">up</a><a href=noquote>n</a><a href="a%5Cb">bs</a><a href="#top">t</a><a href="a%E2%80%AEb">bidi</a><a href="/abs">abs</a>`,
			want: nil,
		},
		"empty directory": {
			page: "<html><head><title>Index of /alpine/v3.30/releases/cloud/</title></head><body><pre><a href=\"../\">../</a>\r\n</pre></body></html>",
			want: nil,
		},
		"error page served with 200": {
			page: "<!DOCTYPE html><html><head><title>503 Service Unavailable</title></head><body><h1>Service Unavailable</h1><a href=\"https://status.example/\">status</a></body></html>",
			is:   listing.ErrNotListing,
		},
		"a digest file instead": {page: strings.Repeat("ab", 64) + "\n", is: listing.ErrNotListing},
		"json":                  {page: `[{"name":"` + img + `","type":"file"}]`, is: listing.ErrNotListing},
		"empty":                 {page: " \n", is: listing.ErrNotListing},
		"listed twice":          {page: "Index of /\n<a href=\"" + img + "\">x</a>\n<a href=\"" + img + "\">y</a>\n", msg: "listed twice"},
		"file and dir of a name": {page: "Index of /\n<a href=\"x\">x</a>\n<a href=\"x/\">x/</a>\n",
			want: []listing.Entry{{Name: "x", Size: -1}, {Name: "x", Dir: true, Size: -1}}},
		"unterminated href": {page: "Index of /\n<a href=\"abc", want: nil},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := listing.Parse([]byte(tc.page))
			switch {
			case tc.is != nil:
				if !errors.Is(err, tc.is) {
					t.Fatalf("Parse = %v, %v; want an error wrapping %v", got, err, tc.is)
				}
				return
			case tc.msg != "":
				if err == nil || !strings.Contains(err.Error(), tc.msg) {
					t.Fatalf("Parse = %v, %v; want an error containing %q", got, err, tc.msg)
				}
				return
			case err != nil:
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Parse (-want +got):\n%s", diff)
			}
		})
	}
	files := listing.Files([]listing.Entry{{Name: "a"}, {Name: "d", Dir: true}})
	if len(files) != 1 || files[0].Name != "a" {
		t.Errorf("Files = %v", files)
	}
}

// FuzzParse: whatever the page, every entry is a plain name of the listed
// directory, and adding a parent link never changes the entries.
func FuzzParse(f *testing.F) {
	for _, p := range []string{nginxPage, apachePage, lighttpdPage, "Index of /\n<a href=\"x%2Fy\">x</a>", "<a href='a/'>a</a> 2024-01-02 03:04 5"} {
		f.Add([]byte(p))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		entries, err := listing.Parse(data)
		if err != nil {
			return
		}
		for _, e := range entries {
			if e.Name == "" || e.Name == "." || e.Name == ".." || strings.ContainsAny(e.Name, "/\\\x00") || strings.HasPrefix(e.Name, ".") || len(e.Name) > listing.MaxName {
				t.Fatalf("entry %q is not a plain name", e.Name)
			}
			if e.Size < -1 || (e.Dir && e.Size != -1) {
				t.Fatalf("entry %+v has an impossible size", e)
			}
		}
		more, err := listing.Parse(append(slices.Clip(data), "\n<a href=\"../\">../</a>\n"...))
		if err != nil || !slices.EqualFunc(more, entries, func(a, b listing.Entry) bool { return a.Name == b.Name && a.Dir == b.Dir }) {
			t.Fatalf("a parent link changed the entries: %v -> %v (%v)", entries, more, err)
		}
	})
}
