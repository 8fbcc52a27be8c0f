package alpine

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sandlabx/fetchd/internal/replica"
)

const img = "nocloud_alpine-3.19.1-x86_64-uefi-cloudinit-r0.qcow2"

// nginxPage is dl-cdn's listing style: nginx autoindex, with link texts
// truncated to 50 characters and exact sizes.
const nginxPage = "<html>\r\n<head><title>Index of /alpine/v3.19/releases/cloud/</title></head>\r\n<body>\r\n" +
	"<h1>Index of /alpine/v3.19/releases/cloud/</h1><hr><pre><a href=\"../\">../</a>\r\n" +
	"<a href=\"" + img + "\">nocloud_alpine-3.19.1-x86_64-uefi-cloudinit-r0.q..&gt;</a> 25-Jan-2024 20:44           123731968\r\n" +
	"<a href=\"" + img + ".asc\">nocloud_alpine-3.19.1-x86_64-uefi-cloudinit-r0.q..&gt;</a> 25-Jan-2024 20:44                 833\r\n" +
	"<a href=\"" + img + ".sha512\">nocloud_alpine-3.19.1-x86_64-uefi-cloudinit-r0.q..&gt;</a> 25-Jan-2024 20:44                 129\r\n" +
	"<a href=\"old/\">old/</a>                                               25-Jan-2024 20:44                   -\r\n" +
	"</pre><hr></body>\r\n</html>\r\n"

// apachePage is an Apache mod_autoindex table, as some mirrors serve.
const apachePage = `<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 3.2 Final//EN">
<html><head><title>Index of /alpine/v3.19/releases/cloud</title></head><body>
<table><tr><th><a href="?C=N;O=D">Name</a></th><th><a href="?C=M;O=A">Last modified</a></th><th><a href="?C=S;O=A">Size</a></th></tr>
<tr><td><a href="/alpine/v3.19/releases/">Parent Directory</a></td><td>&nbsp;</td><td align="right">  - </td></tr>
<tr><td><a href="` + img + `">` + img + `</a></td><td align="right">2024-01-25 20:44  </td><td align="right">118M</td></tr>
<tr><td><a href="nocloud_alpine-3.19.1-x86_64-uefi-tiny-r0.qcow2?download=1">x</a></td></tr>
<tr><td><a href="https://mirror.example/elsewhere.qcow2">elsewhere</a></td></tr>
</table></body></html>
`

// lighttpdPage is a lighttpd mod_dirlisting page.
const lighttpdPage = `<!DOCTYPE html>
<html><head><title>Index of /alpine/v3.19/releases/cloud/</title></head><body>
<h2>Index of /alpine/v3.19/releases/cloud/</h2>
<div class="list"><table summary="Directory Listing" cellpadding="0" cellspacing="0"><tbody>
<tr class="d"><td class="n"><a href="../">..</a>/</td><td class="m">&nbsp;</td><td class="s">- &nbsp;</td><td class="t">Directory</td></tr>
<tr><td class="n"><a href="` + img + `">` + img + `</a></td><td class="m">2024-Jan-25 20:44:00</td><td class="s">118.0M</td><td class="t">application/octet-stream</td></tr>
<tr><td class="n"><a href="` + img + `.sha512">` + img + `.sha512</a></td><td class="m">2024-Jan-25 20:44:00</td><td class="s">0.1K</td><td class="t">application/octet-stream</td></tr>
</tbody></table></div></body></html>
`

func TestParseListing(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		page string
		want []ListingEntry
		msg  string // an error containing it
		is   error
	}{
		"nginx":    {page: nginxPage, want: []ListingEntry{{img, 123731968}, {img + ".asc", 833}, {img + ".sha512", 129}}},
		"apache":   {page: apachePage, want: []ListingEntry{{img, -1}}},
		"lighttpd": {page: lighttpdPage, want: []ListingEntry{{img, -1}, {img + ".sha512", -1}}},
		"encoded and entity-escaped names": {
			page: `<a href="../">../</a>` + "\n" + `<a href="a%2Bb.qcow2">a+b</a>` + "\n" + `<a href='./c&amp;d'>c</a>`,
			want: []ListingEntry{{"a+b.qcow2", -1}, {"c&d", -1}},
		},
		"two links on a line: no size": {
			page: `<h1>Index of /</h1><a href="a">a</a> <a href="b">b</a> 25-Jan-2024 20:44 12`,
			want: []ListingEntry{{"a", -1}, {"b", -1}},
		},
		"size that is not a byte count": {
			page: `Index of /x` + "\n" + `<a href="a">a</a> 25-Jan-2024 20:44 12M`,
			want: []ListingEntry{{"a", -1}},
		},
		"size too large for int64": {
			page: `Index of /x` + "\n" + `<a href="a">a</a> 25-Jan-2024 20:44 9999999999999999999`,
			want: []ListingEntry{{"a", -1}},
		},
		"hidden, escaping and odd links skipped": {
			page: `Index of /x` + "\n" + `<a href=".hidden">h</a><a href="a%2Fb">s</a><a href="%zz">bad</a><a href="..">up</a><a href=noquote>n</a><a href="a%5Cb">bs</a><a href="#top">t</a>`,
			want: nil,
		},
		"empty directory (nginx)": {
			page: "<html><head><title>Index of /alpine/v3.30/releases/cloud/</title></head><body><pre><a href=\"../\">../</a>\r\n</pre></body></html>",
			want: nil,
		},
		"error page served with 200": {
			page: "<!DOCTYPE html><html><head><title>503 Service Unavailable</title></head><body><h1>Service Unavailable</h1><a href=\"https://status.example/\">status</a></body></html>",
			is:   ErrNotListing,
		},
		"a digest file instead": {page: strings.Repeat("ab", 64) + "\n", is: ErrNotListing},
		"json":                  {page: `[{"name":"` + img + `","type":"file"}]`, is: ErrNotListing},
		"empty":                 {page: " \n", is: ErrNotListing},
		"listed twice": {
			page: "Index of /\n<a href=\"" + img + "\">x</a>\n<a href=\"" + img + "\">y</a>\n",
			msg:  "listed twice",
		},
		"unterminated href": {page: "Index of /\n<a href=\"abc", want: nil},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseListing([]byte(tc.page))
			switch {
			case tc.is != nil:
				if !errors.Is(err, tc.is) {
					t.Fatalf("ParseListing = %v, %v; want an error wrapping %v", got, err, tc.is)
				}
				return
			case tc.msg != "":
				if err == nil || !strings.Contains(err.Error(), tc.msg) {
					t.Fatalf("ParseListing = %v, %v; want an error containing %q", got, err, tc.msg)
				}
				return
			case err != nil:
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ParseListing (-want +got):\n%s", diff)
			}
		})
	}
}

// TestParseListingReadsReplicaListings checks the parser against the
// listing writer the replicas use, entry for entry.
func TestParseListingReadsReplicaListings(t *testing.T) {
	t.Parallel()
	mtime := time.Date(2025, 5, 30, 12, 0, 0, 0, time.UTC)
	in := []replica.ListingEntry{
		{Name: img, Size: 123731968, ModTime: mtime},
		{Name: img + ".sha512", Size: 129, ModTime: mtime},
		{Name: "sub", Dir: true, ModTime: mtime},
		{Name: "a", Size: 0, ModTime: mtime},
	}
	got, err := ParseListing(replica.Listing("/v3.19/releases/cloud/", in))
	if err != nil {
		t.Fatal(err)
	}
	want := []ListingEntry{{img, 123731968}, {img + ".sha512", 129}, {"a", 0}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
