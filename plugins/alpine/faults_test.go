package alpine_test

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sandlabx/fetchd/internal/replica"
	"github.com/sandlabx/fetchd/sdk"
	"github.com/sandlabx/fetchd/sdk/sdktest"
	"github.com/sandlabx/fetchd/sdk/signature/sigtest"
)

const (
	hexA = "0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9"
	hexB = "f9e8d7c6b5a4938271605f4e3d2c1b0af9e8d7c6b5a4938271605f4e3d2c1b0af9e8d7c6b5a4938271605f4e3d2c1b0af9e8d7c6b5a4938271605f4e3d2c1b0a"
)

// stubFetcher fails the URLs in fail and fetches the rest over HTTP.
type stubFetcher struct {
	fail map[string]error
}

func (s stubFetcher) Fetch(ctx context.Context, u string, opts ...sdk.FetchOption) (*sdk.Document, error) {
	if err, ok := s.fail[u]; ok {
		return nil, err
	}
	return sdktest.HTTPFetcher(nil).Fetch(ctx, u, opts...)
}

func (s stubFetcher) Open(ctx context.Context, u string, opts ...sdk.FetchOption) (*sdk.Stream, error) {
	return sdktest.FetchFunc(s.Fetch).Open(ctx, u, opts...)
}

// withoutLines is the listing file at rel (relative to root) with every
// line that mentions one of names dropped.
func withoutLines(t *testing.T, root, rel string, names ...string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(rel), "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	var keep []string
	for line := range strings.SplitSeq(string(data), "\n") {
		drop := false
		for _, n := range names {
			drop = drop || strings.Contains(line, `"`+n+`"`)
		}
		if !drop {
			keep = append(keep, line)
		}
	}
	return strings.Join(keep, "\n")
}

const errorPage = "<!DOCTYPE html>\n<html><head><title>Oops</title></head><body><h1>Something went wrong</h1><p>Please try again later.</p></body></html>\n"

func TestResolveFaults(t *testing.T) {
	t.Parallel()
	l := tree(t)
	const rel, arch, variant = "3.22", "x86_64", "nocloud-uefi-cloudinit"
	want := l.Newest(rel, arch, variant)
	prev := l.Builds(rel, arch, variant)
	prev = prev[:len(prev)-1]
	newestLS := l.Newest("latest-stable", arch, variant)
	const listPath = "/v3.22/releases/cloud/"
	const lsPath = "/latest-stable/releases/cloud/"
	sumPath := "/" + want.ChecksumPath()
	name := want.FileName

	type response struct {
		status int
		body   string
	}
	tests := map[string]struct {
		release string // default rel
		variant string // default variant
		arch    string // default arch
		serve   map[string]response
		fail    func(base string) map[string]error // for stubFetcher
		keys    [][]byte
		is      error
		urlPath string // the URL path the message must name
		msg     string // and a phrase it must hold
		version string // for success cases
	}{
		"sha512 for another name": {
			serve: map[string]response{sumPath: {200, hexA + "  generic_" + strings.TrimPrefix(name, "nocloud_") + "\n"}},
			is:    sdk.ErrBadMetadata, urlPath: sumPath, msg: `want "` + name + `"`,
		},
		"sha512 with two different digests": {
			serve: map[string]response{sumPath: {200, hexA + "\n" + hexB + "\n"}},
			is:    sdk.ErrBadMetadata, urlPath: sumPath, msg: "a second line",
		},
		"sha512 with the same digest twice": {
			serve: map[string]response{sumPath: {200, hexA + "  " + name + "\n" + hexA + "  " + name + "\n"}},
			is:    sdk.ErrBadMetadata, urlPath: sumPath, msg: "a second line",
		},
		"sha512 of the wrong length": {
			serve: map[string]response{sumPath: {200, hexA[:64] + "\n"}},
			is:    sdk.ErrBadMetadata, urlPath: sumPath, msg: "64 hex digits, want 128",
		},
		"sha512 naming a longer name that contains the image's": {
			serve: map[string]response{sumPath: {200, hexA + "  my-" + name + "\n"}},
			is:    sdk.ErrBadMetadata, urlPath: sumPath, msg: `digest for "my-` + name + `"`,
		},
		"sha512 naming the image's name plus a suffix": {
			serve: map[string]response{sumPath: {200, hexA + "  " + name + ".bak\n"}},
			is:    sdk.ErrBadMetadata, urlPath: sumPath, msg: `digest for "` + name + `.bak"`,
		},
		"sha512 empty": {
			serve: map[string]response{sumPath: {200, "\n"}},
			is:    sdk.ErrBadMetadata, urlPath: sumPath, msg: "empty",
		},
		"sha512 an HTML error page with 200": {
			serve: map[string]response{sumPath: {200, errorPage}},
			is:    sdk.ErrBadMetadata, urlPath: sumPath, msg: "HTML",
		},
		"sha512 listed but 404": {
			serve: map[string]response{sumPath: {404, "not found"}},
			is:    sdk.ErrBadMetadata, urlPath: sumPath, msg: "digest file of " + name,
		},
		"sha512 not listed": {
			serve: map[string]response{listPath: {200, withoutLines(t, l.Root, listPath, name+".sha512")}},
			is:    sdk.ErrBadMetadata, urlPath: listPath, msg: "without its digest file " + name + ".sha512",
		},
		"sha512 server error": {
			serve: map[string]response{sumPath: {503, "busy"}},
			is:    sdk.ErrUnavailable, urlPath: sumPath, msg: "503",
		},
		"sha512 over the size cap": {
			fail: func(base string) map[string]error {
				return map[string]error{base + sumPath: sdk.NewFetchError(base+sumPath, "GET "+base+sumPath+": body larger than 16777216 bytes", sdk.ErrBadMetadata)}
			},
			is: sdk.ErrBadMetadata, urlPath: sumPath, msg: "larger than",
		},
		"listing an HTML error page with 200": {
			serve: map[string]response{listPath: {200, errorPage}},
			is:    sdk.ErrBadMetadata, urlPath: listPath, msg: "not a directory listing",
		},
		"latest-stable listing an HTML error page with 200": {
			release: "latest-stable",
			serve:   map[string]response{lsPath: {200, errorPage}},
			is:      sdk.ErrBadMetadata, urlPath: lsPath, msg: "not a directory listing",
		},
		"listing 404": {
			serve: map[string]response{listPath: {404, "not found"}},
			is:    sdk.ErrNotFound, urlPath: listPath, msg: "404",
		},
		"latest-stable listing 404": {
			release: "latest-stable",
			serve:   map[string]response{lsPath: {404, "not found"}},
			is:      sdk.ErrNotFound, urlPath: lsPath, msg: "404",
		},
		"listing server error": {
			serve: map[string]response{listPath: {500, "oops"}},
			is:    sdk.ErrUnavailable, urlPath: listPath, msg: "500",
		},
		"listing over the size cap": {
			fail: func(base string) map[string]error {
				return map[string]error{base + listPath: sdk.NewFetchError(base+listPath, "GET "+base+listPath+": body larger than 16777216 bytes", sdk.ErrBadMetadata)}
			},
			is: sdk.ErrBadMetadata, urlPath: listPath, msg: "larger than",
		},
		"listing with no matching image": {
			serve: map[string]response{listPath: {200, "<html><head><title>Index of /v3.22/releases/cloud/</title></head><body><pre><a href=\"../\">../</a>\r\n" +
				"<a href=\"aws_alpine-3.22.3-x86_64-uefi-cloudinit-r0.vhd\">aws_alpine-3.22.3-x86_64-uefi-cloudinit-r0.vhd</a> 30-May-2025 12:00 4096\r\n" +
				"<a href=\"nocloud_alpine-3.22.3-x86_64-uefi-cloudinit-r0.vhd\">x</a> 30-May-2025 12:00 4096\r\n" +
				"<a href=\"nocloud_alpine-3.22.3-x86_64-bios-tiny-r0.qcow2\">x</a> 30-May-2025 12:00 4096\r\n</pre></body></html>\r\n"}},
			is: sdk.ErrNotFound, urlPath: listPath, msg: "no nocloud-uefi-cloudinit image for x86_64 in ",
		},
		"empty listing": {
			serve: map[string]response{listPath: {200, "<html><head><title>Index of /v3.22/releases/cloud/</title></head><body><pre><a href=\"../\">../</a>\r\n</pre></body></html>\r\n"}},
			is:    sdk.ErrNotFound, urlPath: listPath, msg: "it has no nocloud or generic qcow2 image for x86_64",
		},
		"newest image not listed: the one before it": {
			serve:   map[string]response{listPath: {200, withoutLines(t, l.Root, listPath, name)}},
			version: prev[len(prev)-1].Version,
		},
		"latest-stable names an image its branch does not list": {
			release: "latest-stable",
			serve:   map[string]response{"/v3.24/releases/cloud/": {200, withoutLines(t, l.Root, "/v3.24/releases/cloud/", newestLS.FileName)}},
			is:      sdk.ErrBadMetadata, urlPath: "/v3.24/releases/cloud/", msg: "lists " + newestLS.FileName + " but",
		},
		"aarch64 bios": {
			arch: "aarch64", variant: "nocloud-bios-cloudinit",
			is: sdk.ErrNotFound, msg: "upstream builds aarch64 images for uefi only (use nocloud-uefi-cloudinit)",
		},
		"generic on 3.19": {
			release: "3.19", variant: "generic-uefi-cloudinit",
			is: sdk.ErrNotFound, urlPath: "/v3.19/releases/cloud/", msg: "generic images are published from 3.20 on",
		},
		"a release not offered":   {release: "3.18", is: sdk.ErrNotFound, msg: `release "3.18" is not offered (it has: latest-stable, 3.24,`},
		"an alias, not canonical": {release: "v3.22", is: sdk.ErrNotFound, msg: `release "v3.22" is not offered`},
		"an arch not offered":     {arch: "riscv64", is: sdk.ErrNotFound, msg: `architecture "riscv64" is not offered`},
		"a variant not offered":   {variant: "aws-uefi-tiny", is: sdk.ErrNotFound, msg: `cloud "aws" is not one of nocloud, generic`},
		"operator keys that are not keys": {
			keys: [][]byte{[]byte("not a key")},
			is:   sdk.ErrInvalidArgument, msg: "operator-configured keys",
		},
	}
	for tname, tc := range tests {
		t.Run(tname, func(t *testing.T) {
			t.Parallel()
			srv := serve(t, l)
			srv.Hook(func(w http.ResponseWriter, r *http.Request) bool {
				resp, ok := tc.serve[r.URL.Path]
				if !ok {
					return false
				}
				w.Header().Set("Content-Type", "text/html")
				w.WriteHeader(resp.status)
				_, _ = w.Write([]byte(resp.body))
				return true
			})
			var f sdk.Fetcher = sdktest.HTTPFetcher(nil)
			if tc.fail != nil {
				f = stubFetcher{fail: tc.fail(srv.URL)}
			}
			release, a, v := cmpOr(tc.release, rel), cmpOr(tc.arch, arch), cmpOr(tc.variant, variant)
			art, err := resolve(t.Context(), f, srv.URL, release, a, v, tc.keys...)
			if tc.is == nil {
				if err != nil {
					t.Fatal(err)
				}
				if art.Version != tc.version {
					t.Errorf("Version = %s, want %s", art.Version, tc.version)
				}
				return
			}
			if !errors.Is(err, tc.is) {
				t.Fatalf("Resolve = %+v, %v; want an error wrapping %v", art, err, tc.is)
			}
			for _, other := range []error{sdk.ErrNotFound, sdk.ErrInvalidArgument, sdk.ErrUnavailable, sdk.ErrBadMetadata} {
				if other != tc.is && errors.Is(err, other) {
					t.Errorf("error %v also wraps %v", err, other)
				}
			}
			if tc.urlPath != "" && !strings.Contains(err.Error(), srv.URL+tc.urlPath) {
				t.Errorf("error %q does not name %s", err, srv.URL+tc.urlPath)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q does not say %q", err, tc.msg)
			}
			if strings.HasSuffix(err.Error(), ".") || err.Error() != strings.ToLower(err.Error()[:1])+err.Error()[1:] {
				t.Errorf("error %q: want lowercase without a trailing period", err)
			}
		})
	}
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// TestResolveStaticRefusalsFetchNothing checks that what upstream never
// builds is refused without a request.
func TestResolveStaticRefusalsFetchNothing(t *testing.T) {
	t.Parallel()
	srv := replica.Serve(t, t.TempDir()) // an empty tree: any request would fail too
	_, err := resolve(t.Context(), sdktest.HTTPFetcher(nil), srv.URL, "latest-stable", "aarch64", "generic-bios-tiny")
	if !errors.Is(err, sdk.ErrNotFound) {
		t.Fatalf("Resolve: %v, want NOT_FOUND", err)
	}
	for _, p := range []string{"/latest-stable/releases/cloud/", "/v3.24/releases/cloud/"} {
		if n := srv.Requests(p); n != 0 {
			t.Errorf("%d requests for %s", n, p)
		}
	}
}

// TestResolveSignature checks what the answer says about signatures, with
// and without operator keys, that it passes on the image's .asc for fetchd
// to check, and that the plugin never fetches the .asc: it signs the image,
// which the plugin does not read.
func TestResolveSignature(t *testing.T) {
	t.Parallel()
	l := tree(t)
	const withKeys = "digest from .sha512 over https; fetchd checks the image's .asc against the operator's keys after download"
	tests := map[string]struct {
		keys [][]byte
		want string
	}{
		"no keys":             {want: "upstream's .asc signs the image itself, not its .sha512, and no key is configured: digest from .sha512 over https"},
		"the key that signed": {keys: [][]byte{l.Key.PublicArmored()}, want: withKeys},
		// Whether the key fits is for fetchd to find, over the image.
		"another key, binary": {keys: [][]byte{sigtest.MustNewKey("Other", "other@example.invalid").PublicBinary()}, want: withKeys},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := serve(t, l)
			want := l.Newest("3.23", "aarch64", "nocloud-uefi-tiny")
			art, err := resolve(t.Context(), sdktest.HTTPFetcher(nil), srv.URL, "3.23", "aarch64", "nocloud-uefi-tiny", tc.keys...)
			if err != nil {
				t.Fatal(err)
			}
			if art.Signature != sdk.Unsigned(tc.want) {
				t.Errorf("Signature = %+v, want unsigned with detail %q", art.Signature, tc.want)
			}
			if wantURL := srv.URL + "/" + want.SignaturePath(); art.ImageSignatureURL != wantURL {
				t.Errorf("ImageSignatureURL = %q, want %q", art.ImageSignatureURL, wantURL)
			}
			if n := srv.Requests("/" + want.SignaturePath()); n != 0 {
				t.Errorf("%d requests for the .asc", n)
			}
		})
	}
}

func TestResolveNoFetcher(t *testing.T) {
	t.Parallel()
	_, err := resolve(t.Context(), nil, "https://dl-cdn.alpinelinux.org/alpine", "3.22", "x86_64", "nocloud-uefi-cloudinit")
	if !errors.Is(err, sdk.ErrInvalidArgument) {
		t.Fatalf("Resolve without a fetcher: %v, want INVALID_ARGUMENT", err)
	}
}

// TestResolveSignatureMissing checks that an image listed without its .asc
// is refused when the operator configured keys (they asked for signed
// images), and answered without a signature URL otherwise.
func TestResolveSignatureMissing(t *testing.T) {
	t.Parallel()
	l := tree(t)
	want := l.Newest("3.23", "aarch64", "nocloud-uefi-tiny")
	if err := l.Remove(want.SignaturePath()); err != nil {
		t.Fatal(err)
	}
	srv := serve(t, l)
	art, err := resolve(t.Context(), sdktest.HTTPFetcher(nil), srv.URL, "3.23", "aarch64", "nocloud-uefi-tiny")
	if err != nil {
		t.Fatalf("without keys: %v", err)
	}
	if art.ImageSignatureURL != "" {
		t.Errorf("without keys: ImageSignatureURL = %q for an image listed without .asc", art.ImageSignatureURL)
	}
	_, err = resolve(t.Context(), sdktest.HTTPFetcher(nil), srv.URL, "3.23", "aarch64", "nocloud-uefi-tiny", l.Key.PublicArmored())
	if !errors.Is(err, sdk.ErrBadMetadata) {
		t.Fatalf("with keys: %v, want FAILED_PRECONDITION", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "keys are configured for alpine but") || !strings.Contains(msg, "without its signature "+path.Base(want.SignaturePath())) {
		t.Errorf("with keys: error %q does not say the listed image has no .asc", msg)
	}
}
