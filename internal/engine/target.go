package engine

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"path"

	"github.com/sandlabx/fetchd/internal/config"
	"github.com/sandlabx/fetchd/internal/urlrule"
	"github.com/sandlabx/fetchd/internal/wire"
	"github.com/sandlabx/fetchd/sdk"
	"github.com/sandlabx/fetchd/sdk/checksum"
)

// urlTarget is the artifact of a direct-URL image: the URL from the config
// and the digest from the config or from a checksum file next to it.
func (e *Engine) urlTarget(ctx context.Context, im config.Image) (sdk.Artifact, error) {
	u, err := urlrule.Check(im.URL, im.URL)
	if err != nil {
		return sdk.Artifact{}, err
	}
	fileName, err := url.PathUnescape(path.Base(u.EscapedPath()))
	if err != nil || sdk.ValidFileName(fileName) != nil {
		return sdk.Artifact{}, fmt.Errorf("url %s does not end in a file name", im.URL)
	}
	format := sdk.Format(im.Format)
	if format == "" {
		format = sdk.FormatQCOW2
	}
	art := sdk.Artifact{
		URL:      im.URL,
		FileName: fileName,
		Format:   format,
		Release:  im.Release,
		Arch:     im.Arch,
		Variant:  im.Variant,
	}
	if !im.Checksum.IsZero() {
		art.Digest = im.Checksum
		art.ChecksumURL = "config"
		art.Signature = sdk.Unsigned("digest given in the config file")
	} else {
		d, err := e.digestFromFile(ctx, im.ChecksumFileURL, fileName)
		if err != nil {
			return sdk.Artifact{}, err
		}
		art.Digest = d
		art.ChecksumURL = im.ChecksumFileURL
		art.Signature = sdk.Unsigned("checksum file over " + schemeOf(im.ChecksumFileURL))
	}
	// A direct URL has no build name; its digest identifies the build.
	art.Version = art.Digest.Short()
	return art, nil
}

// digestFromFile reads a checksum file and finds fileName in it. The file's
// algorithm is what its lines hold: SHA-256 or SHA-512.
func (e *Engine) digestFromFile(ctx context.Context, fileURL, fileName string) (checksum.Digest, error) {
	if e.Metadata == nil {
		return checksum.Digest{}, errors.New("no metadata fetcher to read " + fileURL)
	}
	doc, err := e.Metadata.FetchMetadata(ctx, fileURL, wire.DefaultFetchBytes)
	if err != nil {
		return checksum.Digest{}, err
	}
	var firstErr error
	for _, algo := range []checksum.Algorithm{checksum.SHA256, checksum.SHA512} {
		f, err := checksum.Parse(doc.Body, algo)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		d, err := f.Lookup(fileName, algo)
		if err != nil {
			var nf *checksum.NotFoundError
			if errors.As(err, &nf) && len(nf.Has) > 0 {
				continue // the file holds another algorithm's line for it
			}
			return checksum.Digest{}, fmt.Errorf("%s: %w", fileURL, err)
		}
		return d, nil
	}
	return checksum.Digest{}, fmt.Errorf("%s: %w", fileURL, firstErr)
}

func schemeOf(raw string) string {
	if u, err := url.Parse(raw); err == nil && u.Scheme != "" {
		return u.Scheme
	}
	return "the network"
}
