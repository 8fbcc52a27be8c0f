package sdk_test

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"github.com/sandlabx/fetchd/sdk"
	"github.com/sandlabx/fetchd/sdk/checksum"
)

// tinySource is the smallest useful source: one release, one architecture,
// its digest read from a SHA256SUMS file next to the image.
type tinySource struct{}

func (tinySource) Describe() sdk.Description {
	return sdk.Description{
		Name:           "tiny",
		Summary:        "a one-image example source",
		Version:        "1.0.0",
		Releases:       []sdk.Release{{Name: "1", Aliases: []string{"stable"}}},
		Arches:         []sdk.Arch{{Name: "x86_64", Aliases: []string{"amd64"}}},
		DefaultBaseURL: "https://images.example.org",
		DefaultRelease: "stable",
	}
}

func (tinySource) Resolve(ctx context.Context, req sdk.ResolveRequest) (sdk.Artifact, error) {
	name := "tiny-" + req.Release + "-" + req.Arch + ".qcow2"
	sumsURL := req.BaseURL + "/" + req.Release + "/SHA256SUMS"
	sums, err := req.Fetcher.Fetch(ctx, sumsURL)
	if err != nil {
		return sdk.Artifact{}, err
	}
	digest, err := checksum.Find(sums.Body, checksum.SHA256, name)
	if err != nil {
		return sdk.Artifact{}, fmt.Errorf("%s: %v: %w", sumsURL, err, sdk.ErrBadMetadata)
	}
	return sdk.Artifact{
		URL:         req.BaseURL + "/" + req.Release + "/" + name,
		FileName:    name,
		Version:     req.Release,
		Format:      sdk.FormatQCOW2,
		Digest:      digest,
		ChecksumURL: sumsURL,
		Signature:   sdk.Unsigned("upstream signs nothing: checksum over https"),
		Release:     req.Release,
		Arch:        req.Arch,
	}, nil
}

// fakeUpstream stands in for the host's fetch service.
type fakeUpstream map[string]string

func (f fakeUpstream) Fetch(_ context.Context, url string, _ ...sdk.FetchOption) (*sdk.Document, error) {
	body, ok := f[url]
	if !ok {
		return nil, sdk.NewFetchError(url, "GET "+url+": 404 Not Found", sdk.ErrNotFound)
	}
	return &sdk.Document{Body: []byte(body), URL: url}, nil
}

func (f fakeUpstream) Open(ctx context.Context, url string, opts ...sdk.FetchOption) (*sdk.Stream, error) {
	doc, err := f.Fetch(ctx, url, opts...)
	if err != nil {
		return nil, err
	}
	return &sdk.Stream{ReadCloser: io.NopCloser(bytes.NewReader(doc.Body)), URL: url}, nil
}

// A plugin's main is one line, sdk.Serve(tinySource{}); its logic can be
// called directly in tests, as here.
func Example() {
	src := tinySource{}
	d := src.Describe()
	// Serve turns what the operator wrote into canonical names before
	// calling Resolve; Canonical does the same here.
	release, arch, variant, _ := d.Canonical("stable", "amd64", "")
	art, err := src.Resolve(context.Background(), sdk.ResolveRequest{
		Release: release, Arch: arch, Variant: variant,
		BaseURL: d.DefaultBaseURL,
		Fetcher: fakeUpstream{
			"https://images.example.org/1/SHA256SUMS": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08  tiny-1-x86_64.qcow2\n",
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(art.URL)
	fmt.Println(art.Digest.Short())
	fmt.Println(art.Validate(d.DefaultBaseURL, d))
	// Output:
	// https://images.example.org/1/tiny-1-x86_64.qcow2
	// sha256:9f86d081884c…
	// <nil>
}
