package ubuntu_test

import (
	"context"
	"strings"
	"testing"

	"github.com/sandlabx/fetchd/plugins/ubuntu/replica"
	"github.com/sandlabx/fetchd/sdk"
	"github.com/sandlabx/fetchd/sdk/signature/sigtest"
)

const htmlPage = "<!DOCTYPE html>\n<html><head><title>Page not found</title></head><body>The page you asked for is gone.</body></html>\n"

// TestResolveRefuses breaks one thing in a replica per case and expects
// the error kind the protocol asks for and a message naming where.
func TestResolveRefuses(t *testing.T) {
	t.Parallel()
	type bad struct {
		omit    func(release, arch, variant string) bool // nil: only 24.04 amd64
		release string                                   // "" = 24.04
		arch    string                                   // "" = amd64
		variant string                                   // "" = server
		// breakIt changes the replica and returns the strings the error must
		// mention (besides the kind).
		breakIt func(t *testing.T, f *fixture, b replica.Build) []string
		kind    error
	}
	cases := map[string]bad{
		"release missing from the stream": {
			omit:    func(release, _, variant string) bool { return release != "24.04" || variant == "daily" },
			release: "24.04", variant: "daily",
			breakIt: func(t *testing.T, f *fixture, b replica.Build) []string {
				return []string{f.url(dailyProducts), "lists no daily builds of ubuntu 24.04"}
			},
			kind: sdk.ErrNotFound,
		},
		"architecture not published for the release": {
			omit:    func(release, arch, _ string) bool { return release != "26.04" || arch == "armhf" },
			release: "26.04", arch: "armhf",
			breakIt: func(t *testing.T, f *fixture, b replica.Build) []string {
				return []string{f.url(releasedProducts), "com.ubuntu.cloud:server:26.04:armhf", "it has: amd64, arm64, ppc64el, riscv64, s390x"}
			},
			kind: sdk.ErrNotFound,
		},
		"SHA256SUMS without the image's line": {
			breakIt: func(t *testing.T, f *fixture, b replica.Build) []string {
				f.editSums(t, b, func(lines []string) []string {
					return dropLines(lines, func(l string) bool { return strings.HasSuffix(l, " *"+b.FileName) })
				})
				return []string{f.url(b.SumsPath), `no sha256 digest for "` + b.FileName + `"`}
			},
			kind: sdk.ErrBadMetadata,
		},
		"SHA256SUMS with two different digests for the image": {
			breakIt: func(t *testing.T, f *fixture, b replica.Build) []string {
				f.editSums(t, b, func(lines []string) []string {
					return append(lines, strings.Repeat("ab", 32)+" *"+b.FileName)
				})
				return []string{f.url(b.SumsPath), "conflicting sha256 digests", b.FileName}
			},
			kind: sdk.ErrBadMetadata,
		},
		"SHA256SUMS with a wrong-length digest": {
			breakIt: func(t *testing.T, f *fixture, b replica.Build) []string {
				f.editSums(t, b, func(lines []string) []string {
					for i, l := range lines {
						if strings.HasSuffix(l, " *"+b.FileName) {
							lines[i] = l[1:] // 63 hex digits
						}
					}
					return lines
				})
				return []string{f.url(b.SumsPath), "63"}
			},
			kind: sdk.ErrBadMetadata,
		},
		"SHA256SUMS naming the image only as a substring": {
			breakIt: func(t *testing.T, f *fixture, b replica.Build) []string {
				f.editSums(t, b, func(lines []string) []string {
					for i, l := range lines {
						if hex, ok := strings.CutSuffix(l, " *"+b.FileName); ok {
							lines[i] = hex + " *" + b.FileName + ".orig"
							lines = append(lines, hex+" *my-"+b.FileName)
						}
					}
					return lines
				})
				return []string{f.url(b.SumsPath), `no sha256 digest for "` + b.FileName + `"`, "similar names"}
			},
			kind: sdk.ErrBadMetadata,
		},
		"SHA256SUMS changed after signing": {
			breakIt: func(t *testing.T, f *fixture, b replica.Build) []string {
				sums := f.read(t, b.SumsPath)
				f.write(t, b.SumsPath, append(sums, strings.Repeat("cd", 32)+" *extra.img\n"...))
				return []string{f.url(b.SumsPath), f.url(b.SumsPath) + ".gpg", "bad signature"}
			},
			kind: sdk.ErrBadMetadata,
		},
		"SHA256SUMS signed by an unknown key": {
			breakIt: func(t *testing.T, f *fixture, b replica.Build) []string {
				other := sigtest.MustNewKey("Mallory", "mallory@example.invalid")
				f.write(t, b.SumsPath+".gpg", other.SignDetached(f.read(t, b.SumsPath), false))
				return []string{f.url(b.SumsPath) + ".gpg", "unknown signer", other.KeyID(), testKey.Fingerprint()}
			},
			kind: sdk.ErrBadMetadata,
		},
		"SHA256SUMS.gpg missing": {
			breakIt: func(t *testing.T, f *fixture, b replica.Build) []string {
				f.remove(t, b.Dir+"/SHA256SUMS.gpg")
				return []string{f.url(b.SumsPath) + ".gpg", "404", "signature is missing"}
			},
			kind: sdk.ErrBadMetadata,
		},
		"SHA256SUMS.gpg is an HTML page": {
			breakIt: func(t *testing.T, f *fixture, b replica.Build) []string {
				f.write(t, b.Dir+"/SHA256SUMS.gpg", []byte(htmlPage))
				return []string{f.url(b.SumsPath) + ".gpg", "malformed signature", "SHA256SUMS.gpg looks like an HTML page"}
			},
			kind: sdk.ErrBadMetadata,
		},
		"SHA256SUMS is an HTML page": {
			breakIt: func(t *testing.T, f *fixture, b replica.Build) []string {
				f.write(t, b.Dir+"/SHA256SUMS", []byte(htmlPage))
				// The signature is checked first: nothing unsigned is parsed.
				return []string{f.url(b.SumsPath), "bad signature", "SHA256SUMS looks like an HTML page"}
			},
			kind: sdk.ErrBadMetadata,
		},
		"SHA256SUMS is a signed HTML page": {
			breakIt: func(t *testing.T, f *fixture, b replica.Build) []string {
				f.write(t, b.Dir+"/SHA256SUMS", []byte(htmlPage))
				if err := f.l.Resign(b.Dir + "/SHA256SUMS"); err != nil {
					t.Fatal(err)
				}
				return []string{f.url(b.SumsPath), "signature verified", "HTML page"}
			},
			kind: sdk.ErrBadMetadata,
		},
		"SHA256SUMS missing": {
			breakIt: func(t *testing.T, f *fixture, b replica.Build) []string {
				f.remove(t, b.Dir+"/SHA256SUMS")
				return []string{f.url(b.SumsPath), "404", "has no SHA256SUMS"}
			},
			kind: sdk.ErrBadMetadata,
		},
		"simplestreams disagrees with SHA256SUMS": {
			breakIt: func(t *testing.T, f *fixture, b replica.Build) []string {
				forged := strings.Repeat("0f", 32)
				f.editJSON(t, releasedProducts, func(doc map[string]any) {
					diskItem(doc, "com.ubuntu.cloud:server:24.04:amd64", b.Version)["sha256"] = forged
				})
				return []string{f.url(releasedProducts), f.url(b.SumsPath), "sha256:" + forged, b.Digest.String(), "disagrees"}
			},
			kind: sdk.ErrBadMetadata,
		},
		"simplestreams disagrees with the daily SHA256SUMS": {
			variant: "daily",
			breakIt: func(t *testing.T, f *fixture, b replica.Build) []string {
				forged := strings.Repeat("1e", 32)
				f.editJSON(t, dailyProducts, func(doc map[string]any) {
					diskItem(doc, "com.ubuntu.cloud.daily:server:24.04:amd64", b.Version)["sha256"] = forged
				})
				return []string{f.url(dailyProducts), f.url(b.SumsPath), "sha256:" + forged, b.Digest.String()}
			},
			kind: sdk.ErrBadMetadata,
		},
		"index.json is an HTML page": {
			breakIt: func(t *testing.T, f *fixture, b replica.Build) []string {
				f.write(t, releasedIndex, []byte(htmlPage))
				return []string{f.url(releasedIndex), "looks like an HTML page"}
			},
			kind: sdk.ErrBadMetadata,
		},
		"products document is an HTML page": {
			breakIt: func(t *testing.T, f *fixture, b replica.Build) []string {
				f.write(t, releasedProducts, []byte(htmlPage))
				return []string{f.url(releasedProducts), "looks like an HTML page"}
			},
			kind: sdk.ErrBadMetadata,
		},
		"index.json missing": {
			breakIt: func(t *testing.T, f *fixture, b replica.Build) []string {
				f.remove(t, releasedIndex)
				return []string{f.url(releasedIndex), "404", "mirror of cloud-images.ubuntu.com"}
			},
			kind: sdk.ErrUnavailable,
		},
		"products document missing": {
			variant: "daily",
			breakIt: func(t *testing.T, f *fixture, b replica.Build) []string {
				f.remove(t, dailyProducts)
				return []string{f.url(dailyProducts), "404"}
			},
			kind: sdk.ErrUnavailable,
		},
		"index without the products document": {
			breakIt: func(t *testing.T, f *fixture, b replica.Build) []string {
				f.editJSON(t, releasedIndex, func(doc map[string]any) {
					delete(doc["index"].(map[string]any), "com.ubuntu.cloud:released:download")
				})
				return []string{f.url(releasedIndex), `no entry "com.ubuntu.cloud:released:download"`, "com.ubuntu.cloud:released:aws"}
			},
			kind: sdk.ErrBadMetadata,
		},
		"index path leaving the mirror": {
			breakIt: func(t *testing.T, f *fixture, b replica.Build) []string {
				f.editJSON(t, releasedIndex, func(doc map[string]any) {
					doc["index"].(map[string]any)["com.ubuntu.cloud:released:download"].(map[string]any)["path"] = "../daily/streams/v1/com.ubuntu.cloud:daily:download.json"
				})
				return []string{f.url(releasedIndex), "path"}
			},
			kind: sdk.ErrBadMetadata,
		},
		"item path leaving the mirror": {
			breakIt: func(t *testing.T, f *fixture, b replica.Build) []string {
				f.editJSON(t, releasedProducts, func(doc map[string]any) {
					diskItem(doc, "com.ubuntu.cloud:server:24.04:amd64", b.Version)["path"] = "https://elsewhere.example/" + b.FileName
				})
				return []string{f.url(releasedProducts), "path"}
			},
			kind: sdk.ErrBadMetadata,
		},
		"item path on the moving release/ directory": {
			breakIt: func(t *testing.T, f *fixture, b replica.Build) []string {
				f.editJSON(t, releasedProducts, func(doc map[string]any) {
					diskItem(doc, "com.ubuntu.cloud:server:24.04:amd64", b.Version)["path"] = "server/releases/noble/release/" + b.FileName
				})
				return []string{f.url(releasedProducts), "server/releases/noble/release/", "release-" + b.Version}
			},
			kind: sdk.ErrBadMetadata,
		},
		"item path naming another file": {
			breakIt: func(t *testing.T, f *fixture, b replica.Build) []string {
				f.editJSON(t, releasedProducts, func(doc map[string]any) {
					item := diskItem(doc, "com.ubuntu.cloud:server:24.04:amd64", b.Version)
					item["path"] = strings.Replace(item["path"].(string), "-amd64.img", "-amd64-disk-kvm.img", 1)
				})
				return []string{f.url(releasedProducts), "-amd64-disk-kvm.img", b.FileName}
			},
			kind: sdk.ErrBadMetadata,
		},
		"newest build without a qcow2 item": {
			breakIt: func(t *testing.T, f *fixture, b replica.Build) []string {
				f.editJSON(t, releasedProducts, func(doc map[string]any) {
					delete(productVersion(doc, "com.ubuntu.cloud:server:24.04:amd64", b.Version)["items"].(map[string]any), "disk1.img")
				})
				return []string{f.url(releasedProducts), b.Version, `no "disk1.img" item`}
			},
			kind: sdk.ErrBadMetadata,
		},
		"stream naming the release by another codename": {
			breakIt: func(t *testing.T, f *fixture, b replica.Build) []string {
				f.editJSON(t, releasedProducts, func(doc map[string]any) {
					doc["products"].(map[string]any)["com.ubuntu.cloud:server:24.04:amd64"].(map[string]any)["release"] = "nimble"
				})
				return []string{f.url(releasedProducts), `"nimble"`, `"noble"`}
			},
			kind: sdk.ErrBadMetadata,
		},
		"version key that is not a serial": {
			breakIt: func(t *testing.T, f *fixture, b replica.Build) []string {
				f.editJSON(t, releasedProducts, func(doc map[string]any) {
					vs := doc["products"].(map[string]any)["com.ubuntu.cloud:server:24.04:amd64"].(map[string]any)["versions"].(map[string]any)
					vs["latest"] = vs[b.Version]
				})
				return []string{f.url(releasedProducts), `"latest"`}
			},
			kind: sdk.ErrBadMetadata,
		},
		"only pre-release builds": {
			breakIt: func(t *testing.T, f *fixture, b replica.Build) []string {
				f.editJSON(t, releasedProducts, func(doc map[string]any) {
					vs := doc["products"].(map[string]any)["com.ubuntu.cloud:server:24.04:amd64"].(map[string]any)["versions"].(map[string]any)
					for _, v := range vs {
						v.(map[string]any)["label"] = "beta"
					}
				})
				return []string{f.url(releasedProducts), `no builds labelled "release"`, `"beta"`}
			},
			kind: sdk.ErrNotFound,
		},
		"duplicate key in the products document": {
			breakIt: func(t *testing.T, f *fixture, b replica.Build) []string {
				doc := string(f.read(t, releasedProducts))
				i := strings.Index(doc, `"sha256": `)
				f.write(t, releasedProducts, []byte(doc[:i]+`"sha256": "`+strings.Repeat("00", 32)+`",`+"\n"+doc[i:]))
				return []string{f.url(releasedProducts), `"sha256" appears twice`}
			},
			kind: sdk.ErrBadMetadata,
		},
		"products document for another stream": {
			breakIt: func(t *testing.T, f *fixture, b replica.Build) []string {
				f.editJSON(t, releasedProducts, func(doc map[string]any) { doc["content_id"] = "com.ubuntu.cloud:daily:download" })
				return []string{f.url(releasedProducts), "content_id"}
			},
			kind: sdk.ErrBadMetadata,
		},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			omit := c.omit
			if omit == nil {
				omit = func(release, arch, _ string) bool { return release != "24.04" || arch != "amd64" }
			}
			release, arch, variant := or(c.release, "24.04"), or(c.arch, "amd64"), or(c.variant, "server")
			f := newFixture(t, replica.Options{Omit: omit})
			want := c.breakIt(t, f, f.l.Newest(release, arch, variant))
			_, err := f.resolve(t, release, arch, variant)
			checkErr(t, err, c.kind, want...)
		})
	}
}

// TestResolveFetchFailures: what the fetcher reports reaches the user with
// its kind and the URL, for every metadata file.
func TestResolveFetchFailures(t *testing.T) {
	t.Parallel()
	f := newFixture(t, replica.Options{Omit: only("24.04")})
	b := f.l.Newest("24.04", "amd64", "server")
	for _, rel := range []string{releasedIndex, releasedProducts, b.SumsPath, b.SumsPath + ".gpg"} {
		for kindName, kind := range map[string]error{"over the size cap": sdk.ErrBadMetadata, "network failure": sdk.ErrUnavailable} {
			t.Run(rel+"/"+kindName, func(t *testing.T) {
				t.Parallel()
				target := f.url(rel)
				req := f.request("24.04", "amd64", "server")
				req.Fetcher = failing{Fetcher: req.Fetcher, url: target, err: sdk.NewFetchError(target, "GET "+target+": "+kindName, kind)}
				_, err := f.src.Resolve(t.Context(), req)
				checkErr(t, err, kind, target, kindName)
			})
		}
	}
}

// failing is a Fetcher that fails for one URL.
type failing struct {
	sdk.Fetcher
	url string
	err error
}

func (f failing) Fetch(ctx context.Context, url string, opts ...sdk.FetchOption) (*sdk.Document, error) {
	if url == f.url {
		return nil, f.err
	}
	return f.Fetcher.Fetch(ctx, url, opts...)
}

func (f failing) Open(ctx context.Context, url string, opts ...sdk.FetchOption) (*sdk.Stream, error) {
	if url == f.url {
		return nil, f.err
	}
	return f.Fetcher.Open(ctx, url, opts...)
}

func dropLines(lines []string, drop func(string) bool) []string {
	var out []string
	for _, l := range lines {
		if !drop(l) {
			out = append(out, l)
		}
	}
	return out
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
