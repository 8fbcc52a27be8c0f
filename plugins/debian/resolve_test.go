package debian_test

import (
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sandlabx/fetchd/plugins/debian"
	"github.com/sandlabx/fetchd/plugins/debian/replica"
	"github.com/sandlabx/fetchd/sdk"
	"github.com/sandlabx/fetchd/sdk/version"
)

// TestResolveEveryImage resolves every release, arch and variant Describe
// offers and expects the replica's newest build of each.
func TestResolveEveryImage(t *testing.T) {
	t.Parallel()
	l, srv := serve(t, replica.Options{})
	d := debian.New().Describe()
	n := 0
	for _, r := range d.Releases {
		for _, a := range d.Arches {
			for _, v := range d.Variants {
				n++
				t.Run(fmt.Sprintf("%s/%s/%s", r.Name, a.Name, v.Name), func(t *testing.T) {
					t.Parallel()
					b := l.Newest(r.Name, a.Name, v.Name)
					if b.Path == "" {
						t.Fatalf("the replica publishes no %s %s %s image", r.Name, a.Name, v.Name)
					}
					got, err := resolve(t, srv.URL, r.Name, a.Name, v.Name)
					if err != nil {
						t.Fatalf("Resolve: %v", err)
					}
					if diff := cmp.Diff(want(srv.URL, b), got); diff != "" {
						t.Errorf("Resolve (-want +got):\n%s", diff)
					}
					if err := got.Validate(srv.URL, d); err != nil {
						t.Errorf("the answer fails the protocol's rules: %v", err)
					}
				})
			}
		}
	}
	if n != 3*2*3 {
		t.Errorf("Describe offers %d images, want 18 (12, 13, 14 × amd64, arm64 × generic, genericcloud, nocloud)", n)
	}
}

// TestResolveFollowsManifest: the build comes from latest/'s manifest,
// whatever the order of the dated directories' names, and never from the
// newer daily builds of a release.
func TestResolveFollowsManifest(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		rel    string
		builds []string
		want   string
	}{
		"counter gains a digit": {rel: "13", builds: []string{"20261126-9999", "20261126-10000", "20261125-10001"}, want: "20261126-10000"},
		"same-day rebuild":      {rel: "12", builds: []string{"20261109-2634", "20261109-2641", "20261020-2999"}, want: "20261109-2641"},
		"daily counter":         {rel: "14", builds: []string{"20261126-99", "20261126-100"}, want: "20261126-100"},
		"one build":             {rel: "13", builds: []string{"20250810-2190"}, want: "20250810-2190"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			l, srv := serve(t, replica.Options{Releases: []string{tc.rel}, Builds: map[string][]string{tc.rel: tc.builds}})
			if got := l.Newest(tc.rel, "amd64", "generic").Version; got != tc.want {
				t.Fatalf("the replica's newest is %s, want %s", got, tc.want)
			}
			got, err := resolve(t, srv.URL, tc.rel, "amd64", "generic")
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want(srv.URL, l.Newest(tc.rel, "amd64", "generic")), got); diff != "" {
				t.Errorf("Resolve (-want +got):\n%s", diff)
			}
		})
	}
}

// TestResolvePublish: a newer build is found once published, and the URL
// resolved before still serves the bytes it was resolved for.
func TestResolvePublish(t *testing.T) {
	t.Parallel()
	l, srv := serve(t, replica.Options{})
	for _, rel := range []string{"12", "13", "14"} {
		t.Run(rel, func(t *testing.T) {
			before, err := resolve(t, srv.URL, rel, "arm64", "genericcloud")
			if err != nil {
				t.Fatal(err)
			}
			nb, err := l.Publish(rel, "arm64", "genericcloud")
			if err != nil {
				t.Fatal(err)
			}
			after, err := resolve(t, srv.URL, rel, "arm64", "genericcloud")
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want(srv.URL, nb), after); diff != "" {
				t.Errorf("Resolve after Publish (-want +got):\n%s", diff)
			}
			if version.Compare(after.Version, before.Version) <= 0 {
				t.Errorf("after Publish: version %s, not newer than %s", after.Version, before.Version)
			}
			if after.URL == before.URL || after.Digest == before.Digest {
				t.Errorf("after Publish: same URL or digest as before (%s, %s)", after.URL, after.Digest)
			}
			if got := sha512Of(t, before.URL); got != before.Digest.Hex {
				t.Errorf("the URL resolved before Publish now serves sha512:%s, want %s", got, before.Digest)
			}
		})
	}
}

func sha512Of(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	h := sha512.New()
	if _, err := io.Copy(h, resp.Body); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// TestResolveReads pins exactly which files a Resolve reads.
func TestResolveReads(t *testing.T) {
	t.Parallel()
	l, srv := serve(t, replica.Options{})
	b := l.Newest("trixie", "amd64", "nocloud")
	if _, err := resolve(t, srv.URL, "13", "amd64", "nocloud"); err != nil {
		t.Fatal(err)
	}
	for p, n := range map[string]int{
		"/" + b.ManifestPath:        1,
		"/" + b.SumsPath:            1,
		"/trixie/latest/SHA512SUMS": 0,
		"/" + b.Path:                0,
		"/trixie/":                  0,
		"/trixie/latest/":           0,
	} {
		if got := srv.Requests(p); got != n {
			t.Errorf("%s requested %d times, want %d", p, got, n)
		}
	}
}

// TestResolveFailures covers what upstream can get wrong: each case makes
// its own server over one replica answer wrongly and expects an error of
// the right kind whose message names the URLs involved.
func TestResolveFailures(t *testing.T) {
	t.Parallel()
	const rel, arch, variant = "13", "amd64", "generic"
	otherDigest := strings.Repeat("ab", 64)
	tests := map[string]struct {
		// break_ breaks what the server answers; b is the image.
		break_  func(t *testing.T, o *overlay, b replica.Build)
		fetcher func(f sdk.Fetcher, base string, b replica.Build) sdk.Fetcher
		kind    error
		// urls lists the paths the message must name; msg more text.
		urls []func(b replica.Build) string
		msg  []string
	}{
		"checksum file without the image's line": {
			break_: func(t *testing.T, o *overlay, b replica.Build) {
				o.rewrite(b.SumsPath, func(d []byte) []byte { return replaceLine(t, d, b.FileName, func(string) string { return "" }) })
			},
			kind: sdk.ErrBadMetadata, urls: []func(replica.Build) string{sums, manifestPath},
			msg: []string{"no sha512 digest for", "the manifest"},
		},
		"checksum file with two digests for the image": {
			break_: func(t *testing.T, o *overlay, b replica.Build) {
				o.rewrite(b.SumsPath, func(d []byte) []byte { return append(d, otherDigest+"  "+b.FileName+"\n"...) })
			},
			kind: sdk.ErrBadMetadata, urls: []func(replica.Build) string{sums}, msg: []string{"conflicting sha512 digests"},
		},
		"checksum file with a wrong-length digest": {
			break_: func(t *testing.T, o *overlay, b replica.Build) {
				o.rewrite(b.SumsPath, func(d []byte) []byte {
					return replaceLine(t, d, b.FileName, func(l string) string { return l[64:] })
				})
			},
			kind: sdk.ErrBadMetadata, urls: []func(replica.Build) string{sums}, msg: []string{"64 hex digits, want 128"},
		},
		"checksum file naming the image only inside longer names": {
			break_: func(t *testing.T, o *overlay, b replica.Build) {
				o.rewrite(b.SumsPath, func(d []byte) []byte {
					return replaceLine(t, d, b.FileName, func(l string) string {
						digest := l[:128]
						return digest + "  x" + b.FileName + "\n" + digest + "  " + b.FileName + ".sig\n" + digest + "  ./" + b.FileName + "\n"
					})
				})
			},
			kind: sdk.ErrBadMetadata, urls: []func(replica.Build) string{sums}, msg: []string{"similar names"},
		},
		"SHA512SUMS disagrees with the manifest": {
			break_: func(t *testing.T, o *overlay, b replica.Build) {
				o.rewrite(b.SumsPath, func(d []byte) []byte {
					return replaceLine(t, d, b.FileName, func(string) string { return otherDigest + "  " + b.FileName + "\n" })
				})
			},
			kind: sdk.ErrBadMetadata, urls: []func(replica.Build) string{sums, manifestPath},
			msg: []string{"sha512:" + otherDigest, "gives"},
		},
		"manifest disagrees with SHA512SUMS": {
			break_: func(t *testing.T, o *overlay, b replica.Build) {
				o.editManifest(b.ManifestPath, func(doc map[string]any) {
					qcow2Upload(t, doc)["metadata"].(map[string]any)["annotations"].(map[string]any)["cloud.debian.org/digest"] = "sha512:" + strings.Repeat("q", 85) + "w"
				})
			},
			kind: sdk.ErrBadMetadata, urls: []func(replica.Build) string{sums, manifestPath},
			msg: []string{"gives sha512:" + strings.Repeat("aaa", 42)},
		},
		"manifest digest of the wrong length": {
			break_: func(t *testing.T, o *overlay, b replica.Build) {
				o.editManifest(b.ManifestPath, func(doc map[string]any) {
					qcow2Upload(t, doc)["metadata"].(map[string]any)["annotations"].(map[string]any)["cloud.debian.org/digest"] = "sha512:" + strings.Repeat("q", 43)
				})
			},
			kind: sdk.ErrBadMetadata, urls: []func(replica.Build) string{manifestPath}, msg: []string{"43 base64 characters, want 86"},
		},
		"manifest pointing at another release": {
			break_: func(t *testing.T, o *overlay, b replica.Build) {
				o.editManifest(b.ManifestPath, func(doc map[string]any) {
					qcow2Upload(t, doc)["data"].(map[string]any)["ref"] = "bookworm/20261109-2634/debian-12-generic-amd64-20261109-2634.qcow2"
				})
			},
			kind: sdk.ErrBadMetadata, urls: []func(replica.Build) string{manifestPath}, msg: []string{`is not under "trixie/"`},
		},
		"manifest pointing at another variant": {
			break_: func(t *testing.T, o *overlay, b replica.Build) {
				o.editManifest(b.ManifestPath, func(doc map[string]any) {
					qcow2Upload(t, doc)["data"].(map[string]any)["ref"] = strings.Replace(b.Path, "-generic-", "-nocloud-", 1)
				})
			},
			kind: sdk.ErrBadMetadata, urls: []func(replica.Build) string{manifestPath}, msg: []string{"names file"},
		},
		"manifest pointing at a daily build": {
			break_: func(t *testing.T, o *overlay, b replica.Build) {
				o.editManifest(b.ManifestPath, func(doc map[string]any) {
					qcow2Upload(t, doc)["data"].(map[string]any)["ref"] = "trixie/daily/20261125-2665/debian-13-generic-amd64-daily-20261125-2665.qcow2"
				})
			},
			kind: sdk.ErrBadMetadata, urls: []func(replica.Build) string{manifestPath}, msg: []string{"want trixie/<build>/<file>"},
		},
		"manifest whose build version disagrees with its ref": {
			break_: func(t *testing.T, o *overlay, b replica.Build) {
				o.editManifest(b.ManifestPath, func(doc map[string]any) {
					doc["items"].([]any)[0].(map[string]any)["data"].(map[string]any)["info"].(map[string]any)["version"] = "20261109-2635"
				})
			},
			kind: sdk.ErrBadMetadata, urls: []func(replica.Build) string{manifestPath}, msg: []string{`data.info.version is "20261109-2635"`},
		},
		"manifest for another arch": {
			break_: func(t *testing.T, o *overlay, b replica.Build) {
				o.editManifest(b.ManifestPath, func(doc map[string]any) {
					doc["items"].([]any)[0].(map[string]any)["data"].(map[string]any)["info"].(map[string]any)["arch"] = "arm64"
				})
			},
			kind: sdk.ErrBadMetadata, urls: []func(replica.Build) string{manifestPath}, msg: []string{`data.info.arch is "arm64"`},
		},
		"manifest without a qcow2 upload": {
			break_: func(t *testing.T, o *overlay, b replica.Build) {
				o.editManifest(b.ManifestPath, func(doc map[string]any) {
					qcow2Upload(t, doc)["metadata"].(map[string]any)["labels"].(map[string]any)["upload.cloud.debian.org/image-format"] = "vmdk"
				})
			},
			kind: sdk.ErrNotFound, urls: []func(replica.Build) string{manifestPath}, msg: []string{`upload formats: "internal", "raw", "vmdk"`},
		},
		"manifest with two qcow2 uploads": {
			break_: func(t *testing.T, o *overlay, b replica.Build) {
				o.editManifest(b.ManifestPath, func(doc map[string]any) {
					raw := doc["items"].([]any)[2].(map[string]any)
					raw["metadata"].(map[string]any)["labels"].(map[string]any)["upload.cloud.debian.org/image-format"] = "qcow2"
				})
			},
			kind: sdk.ErrBadMetadata, urls: []func(replica.Build) string{manifestPath}, msg: []string{"2 different Upload items of image format qcow2"},
		},
		"manifest with a duplicate key": {
			break_: func(t *testing.T, o *overlay, b replica.Build) {
				o.rewrite(b.ManifestPath, func(d []byte) []byte {
					return []byte(strings.Replace(string(d), `"kind": "List"`, `"kind": "List", "kind": "List"`, 1))
				})
			},
			kind: sdk.ErrBadMetadata, urls: []func(replica.Build) string{manifestPath}, msg: []string{`key "kind" appears twice`},
		},
		"HTML page for the manifest": {
			break_: func(t *testing.T, o *overlay, b replica.Build) {
				o.rewrite(b.ManifestPath, func([]byte) []byte { return []byte("<html><body><h1>Service Unavailable</h1></body></html>\n") })
			},
			kind: sdk.ErrBadMetadata, urls: []func(replica.Build) string{manifestPath}, msg: []string{"looks like an HTML page"},
		},
		"HTML page for SHA512SUMS": {
			break_: func(t *testing.T, o *overlay, b replica.Build) {
				o.rewrite(b.SumsPath, func([]byte) []byte { return []byte("<!DOCTYPE html>\n<html><body>Not here</body></html>\n") })
			},
			kind: sdk.ErrBadMetadata, urls: []func(replica.Build) string{sums}, msg: []string{"looks like an HTML page"},
		},
		"no manifest (404)": {
			break_: func(t *testing.T, o *overlay, b replica.Build) { o.remove(b.ManifestPath) },
			kind:   sdk.ErrNotFound, urls: []func(replica.Build) string{manifestPath},
			msg: []string{"upstream publishes no Debian 13 generic amd64 image", "404"},
		},
		"no SHA512SUMS in the build the manifest names (404)": {
			break_: func(t *testing.T, o *overlay, b replica.Build) { o.remove(b.SumsPath) },
			kind:   sdk.ErrBadMetadata, urls: []func(replica.Build) string{sums, manifestPath}, msg: []string{"404"},
		},
		"server error for the manifest": {
			break_: func(t *testing.T, o *overlay, b replica.Build) {
				o.hook(func(w http.ResponseWriter, r *http.Request) bool {
					if strings.HasSuffix(r.URL.Path, ".json") {
						http.Error(w, "busy", http.StatusServiceUnavailable)
						return true
					}
					return false
				})
			},
			kind: sdk.ErrUnavailable, urls: []func(replica.Build) string{manifestPath}, msg: []string{"503"},
		},
		"server error for SHA512SUMS": {
			break_: func(t *testing.T, o *overlay, b replica.Build) {
				o.hook(func(w http.ResponseWriter, r *http.Request) bool {
					if strings.HasSuffix(r.URL.Path, "/SHA512SUMS") {
						http.Error(w, "busy", http.StatusBadGateway)
						return true
					}
					return false
				})
			},
			kind: sdk.ErrUnavailable, urls: []func(replica.Build) string{sums}, msg: []string{"502"},
		},
		"manifest over the size cap": {
			fetcher: func(f sdk.Fetcher, base string, b replica.Build) sdk.Fetcher {
				return capFetcher{Fetcher: f, url: replica.URL(base, b.ManifestPath)}
			},
			kind: sdk.ErrBadMetadata, urls: []func(replica.Build) string{manifestPath}, msg: []string{"larger than"},
		},
		"SHA512SUMS over the size cap": {
			fetcher: func(f sdk.Fetcher, base string, b replica.Build) sdk.Fetcher {
				return capFetcher{Fetcher: f, url: replica.URL(base, b.SumsPath)}
			},
			kind: sdk.ErrBadMetadata, urls: []func(replica.Build) string{sums}, msg: []string{"larger than"},
		},
	}
	l, err := replica.Write(t.TempDir(), replica.Options{Releases: []string{rel}})
	if err != nil {
		t.Fatal(err)
	}
	b := l.Newest(rel, arch, variant)
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			o, srv := serveOverlay(t, l)
			if tc.break_ != nil {
				tc.break_(t, o, b)
			}
			f := sdktestFetcher()
			if tc.fetcher != nil {
				f = tc.fetcher(f, srv.URL, b)
			}
			got, err := resolveWith(t, f, srv.URL, rel, arch, variant)
			if err == nil {
				t.Fatalf("Resolve succeeded with %+v, want an error", got)
			}
			t.Logf("the message: %v", err)
			if !errors.Is(err, tc.kind) {
				t.Errorf("Resolve: %v\nwant an error of kind %q", err, tc.kind)
			}
			for _, k := range []error{sdk.ErrNotFound, sdk.ErrUnavailable, sdk.ErrBadMetadata} {
				if k != tc.kind && errors.Is(err, k) {
					t.Errorf("Resolve: %v\nis also of kind %q", err, k)
				}
			}
			for _, u := range tc.urls {
				if url := replica.URL(srv.URL, u(b)); !strings.Contains(err.Error(), url) {
					t.Errorf("Resolve: %v\ndoes not name %s", err, url)
				}
			}
			for _, m := range tc.msg {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("Resolve: %v\ndoes not say %q", err, m)
				}
			}
		})
	}
}

func sums(b replica.Build) string         { return b.SumsPath }
func manifestPath(b replica.Build) string { return b.ManifestPath }

// TestResolveMismatchError: the disagreement is a typed error naming both
// files and both digests.
func TestResolveMismatchError(t *testing.T) {
	t.Parallel()
	l, err := replica.Write(t.TempDir(), replica.Options{Releases: []string{"forky"}})
	if err != nil {
		t.Fatal(err)
	}
	o, srv := serveOverlay(t, l)
	b := l.Newest("14", "arm64", "nocloud")
	other := strings.Repeat("0f", 64)
	o.rewrite(b.SumsPath, func(d []byte) []byte {
		return replaceLine(t, d, b.FileName, func(string) string { return other + "  " + b.FileName + "\n" })
	})
	_, err = resolve(t, srv.URL, "14", "arm64", "nocloud")
	var me *debian.MismatchError
	if !errors.As(err, &me) {
		t.Fatalf("Resolve: %v, want a *MismatchError", err)
	}
	wantErr := &debian.MismatchError{
		FileName:       b.FileName,
		ManifestURL:    replica.URL(srv.URL, b.ManifestPath),
		ManifestDigest: b.Digest,
		SumsURL:        replica.URL(srv.URL, b.SumsPath),
		SumsDigest:     sdkDigest(t, other),
	}
	if diff := cmp.Diff(wantErr, me); diff != "" {
		t.Errorf("MismatchError (-want +got):\n%s", diff)
	}
	if !errors.Is(err, sdk.ErrBadMetadata) {
		t.Errorf("%v does not wrap ErrBadMetadata", err)
	}
}

// TestResolvePaddedDigest: the padded base64 spelling is the same digest.
func TestResolvePaddedDigest(t *testing.T) {
	t.Parallel()
	l, err := replica.Write(t.TempDir(), replica.Options{Releases: []string{"12"}})
	if err != nil {
		t.Fatal(err)
	}
	o, srv := serveOverlay(t, l)
	b := l.Newest("12", "amd64", "genericcloud")
	o.editManifest(b.ManifestPath, func(doc map[string]any) {
		ann := qcow2Upload(t, doc)["metadata"].(map[string]any)["annotations"].(map[string]any)
		ann["cloud.debian.org/digest"] = ann["cloud.debian.org/digest"].(string) + "=="
	})
	got, err := resolve(t, srv.URL, "12", "amd64", "genericcloud")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want(srv.URL, b), got); diff != "" {
		t.Errorf("Resolve (-want +got):\n%s", diff)
	}
}

// TestResolveRefusesRequests: what the source cannot answer, without
// touching the network.
func TestResolveRefusesRequests(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		req  sdk.ResolveRequest
		kind error
		msg  string
	}{
		"unknown release":      {req: sdk.ResolveRequest{Release: "11", Arch: "amd64", Variant: "generic"}, kind: sdk.ErrNotFound, msg: `release "11"`},
		"alias, not canonical": {req: sdk.ResolveRequest{Release: "trixie", Arch: "amd64", Variant: "generic"}, kind: sdk.ErrNotFound, msg: `release "trixie"`},
		"unknown arch":         {req: sdk.ResolveRequest{Release: "13", Arch: "ppc64el", Variant: "generic"}, kind: sdk.ErrNotFound, msg: `architecture "ppc64el"`},
		"unknown variant":      {req: sdk.ResolveRequest{Release: "13", Arch: "amd64", Variant: "azure"}, kind: sdk.ErrNotFound, msg: `variant "azure"`},
		"trusted keys":         {req: sdk.ResolveRequest{Release: "13", Arch: "amd64", Variant: "generic", TrustedKeys: [][]byte{[]byte("key")}}, kind: sdk.ErrInvalidArgument, msg: "Debian signs neither"},
		"no fetcher":           {req: sdk.ResolveRequest{Release: "13", Arch: "amd64", Variant: "generic"}, kind: sdk.ErrInvalidArgument, msg: "no Fetcher"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			req := tc.req
			if name != "no fetcher" {
				req.Fetcher = panicFetcher{}
			}
			_, err := debian.New().Resolve(t.Context(), req)
			if !errors.Is(err, tc.kind) || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("Resolve: %v, want %q containing %q", err, tc.kind, tc.msg)
			}
		})
	}
}
