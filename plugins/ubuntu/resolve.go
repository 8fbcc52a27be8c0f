package ubuntu

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/sandlabx/fetchd/sdk"
	"github.com/sandlabx/fetchd/sdk/checksum"
)

// resolver is one Resolve call.
type resolver struct {
	req    sdk.ResolveRequest
	rel    release
	stream stream
	keys   [][]byte
}

func (r resolver) resolve(ctx context.Context) (sdk.Artifact, error) {
	st, rel, arch := r.stream, r.rel, r.req.Arch
	root := r.req.BaseURL + "/" + st.dir + "/"

	// 1. The index names the products document.
	indexURL := root + "streams/v1/index.json"
	body, err := r.fetchStream(ctx, indexURL)
	if err != nil {
		return sdk.Artifact{}, err
	}
	productsPath, err := parseIndex(body, st.contentID)
	if err != nil {
		return sdk.Artifact{}, fmt.Errorf("simplestreams index %s: %v: %w", indexURL, err, sdk.ErrBadMetadata)
	}

	// 2. The products document names the newest build, its serial, path,
	// sha256 and size.
	productsURL := root + productsPath
	id := st.productID(rel.version, arch)
	products, err := r.readProducts(ctx, productsURL, id)
	if err != nil {
		return sdk.Artifact{}, err
	}
	p, ok := products.product, products.found
	if !ok {
		have := archesWith(products.ids, st.productPrefix+":"+rel.version+":")
		if len(have) == 0 {
			return sdk.Artifact{}, fmt.Errorf("%s lists no %s builds of ubuntu %s for any architecture: %w", productsURL, r.req.Variant, rel.version, sdk.ErrNotFound)
		}
		return sdk.Artifact{}, fmt.Errorf("%s has no product %s: upstream publishes no %s %s build of ubuntu %s (it has: %s): %w",
			productsURL, id, arch, r.req.Variant, rel.version, strings.Join(have, ", "), sdk.ErrNotFound)
	}
	if p.Version != rel.version || p.Arch != arch || p.Release != rel.codename {
		return sdk.Artifact{}, fmt.Errorf("%s: product %s says version %q, arch %q, release %q; this plugin expects %q, %q, %q: %w",
			productsURL, id, clip(p.Version), clip(p.Arch), clip(p.Release), rel.version, arch, rel.codename, sdk.ErrBadMetadata)
	}
	b, err := newestBuild(p, st.label)
	switch {
	case errors.Is(err, errNoBuilds):
		return sdk.Artifact{}, fmt.Errorf("%s: product %s has %v: %w", productsURL, id, err, sdk.ErrNotFound)
	case err != nil:
		return sdk.Artifact{}, fmt.Errorf("%s: product %s: %v: %w", productsURL, id, err, sdk.ErrBadMetadata)
	}
	fileName := st.fileName(rel, arch)
	dir := path.Dir(b.path)
	if path.Base(b.path) != fileName || path.Base(dir) != st.buildDir(b.serial) {
		return sdk.Artifact{}, fmt.Errorf("%s: product %s version %s: path %q is not .../%s/%s: %w",
			productsURL, id, b.serial, b.path, st.buildDir(b.serial), fileName, sdk.ErrBadMetadata)
	}

	// 3. SHA256SUMS and its signature, from the same pinned directory.
	sumsURL := root + dir + "/SHA256SUMS"
	sigURL := sumsURL + ".gpg"
	sums, err := r.fetchBuildFile(ctx, sumsURL, "the build directory the stream points to has no SHA256SUMS")
	if err != nil {
		return sdk.Artifact{}, err
	}
	sig, err := r.fetchBuildFile(ctx, sigURL, "the signature is missing, so SHA256SUMS cannot be trusted")
	if err != nil {
		return sdk.Artifact{}, err
	}
	c, err := r.req.CheckDetached(sums, sig, checksum.SHA256, fileName, r.keys...)
	if err != nil {
		return sdk.Artifact{}, err
	}

	// 4. The signed SHA256SUMS and the stream must agree.
	if d := c.Entry.Digest; d != b.digest {
		return sdk.Artifact{}, fmt.Errorf("upstream disagrees with itself about %s: %s says %s, the signed %s says %s: %w",
			fileName, productsURL, b.digest, sumsURL, d, sdk.ErrBadMetadata)
	}
	c.Signature.Detail += "; the simplestreams digest agrees"
	return sdk.Artifact{
		URL:         root + b.path,
		FileName:    fileName,
		Version:     b.serial,
		Format:      sdk.FormatQCOW2,
		Size:        b.size,
		Digest:      c.Entry.Digest,
		ChecksumURL: sumsURL,
		Signature:   c.Signature,
		Release:     rel.version,
		Arch:        arch,
		Variant:     r.req.Variant,
	}, nil
}

// fetchStream reads a simplestreams index. A 404 means the base URL is
// not (or no longer) laid out like cloud-images.ubuntu.com: the metadata
// cannot be had, which is not the same as "no such image".
func (r resolver) fetchStream(ctx context.Context, url string) ([]byte, error) {
	doc, err := r.req.Fetcher.Fetch(ctx, url, sdk.MaxBytes(maxIndexBytes))
	if err != nil {
		return nil, r.streamError(url, err)
	}
	return doc.Body, nil
}

func (r resolver) streamError(url string, err error) error {
	if errors.Is(err, sdk.ErrNotFound) {
		return fmt.Errorf("%s (is %s a mirror of cloud-images.ubuntu.com with its simplestreams?): %w", naming(url, err), r.req.BaseURL, sdk.ErrUnavailable)
	}
	return wrapFetch(url, err)
}

// readProducts streams the products document and keeps product id (see
// decodeProducts).
func (r resolver) readProducts(ctx context.Context, url, id string) (productsResult, error) {
	s, err := r.req.Fetcher.Open(ctx, url, sdk.MaxBytes(maxProductsBytes))
	if err != nil {
		return productsResult{}, r.streamError(url, err)
	}
	defer s.Close()
	res, err := decodeProducts(s, r.stream.contentID, id)
	var fe *sdk.FetchError
	switch {
	case errors.As(err, &fe):
		// The body was cut off or over the cap: the fetch's error.
		return productsResult{}, r.streamError(url, fe)
	case err != nil:
		return productsResult{}, fmt.Errorf("simplestreams products %s: %v: %w", url, err, sdk.ErrBadMetadata)
	}
	return res, nil
}

// fetchBuildFile reads SHA256SUMS or its signature from the directory the
// stream pointed to. Missing, it is a failed check: the stream promised a
// build there.
func (r resolver) fetchBuildFile(ctx context.Context, url, missing string) (*sdk.Document, error) {
	doc, err := r.req.Fetcher.Fetch(ctx, url, sdk.MaxBytes(maxBuildFileBytes))
	switch {
	case err == nil:
		return doc, nil
	case errors.Is(err, sdk.ErrNotFound):
		return nil, fmt.Errorf("%s: %s: %w", naming(url, err), missing, sdk.ErrBadMetadata)
	}
	return nil, wrapFetch(url, err)
}

// wrapFetch adds the URL to a fetch error, unless its message already names
// it, keeping its kind.
func wrapFetch(url string, err error) error {
	if strings.Contains(err.Error(), url) {
		return err
	}
	return fmt.Errorf("read %s: %w", url, err)
}

// naming is a fetch error's message, with the URL in front unless the
// message already names it.
func naming(url string, err error) string {
	if strings.Contains(err.Error(), url) {
		return err.Error()
	}
	return "read " + url + ": " + err.Error()
}
