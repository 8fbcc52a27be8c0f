package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"slices"

	"github.com/sandlabx/fetchd/internal/config"
	"github.com/sandlabx/fetchd/internal/state"
	"github.com/sandlabx/fetchd/sdk"
	"github.com/sandlabx/fetchd/sdk/signature"
)

// maxImageSignatureBytes bounds a detached image signature: one signature
// is well under 2 KiB.
const maxImageSignatureBytes = 64 << 10

// checkedBySignature is what VerifiedBy records for a checked image
// signature.
const checkedBySignature = "openpgp-signature"

// imageSig is a detached OpenPGP signature over an image's bytes (Alpine's
// <image>.asc), fetched and prechecked before the download and checked
// over the downloaded file before anything else looks at it.
type imageSig struct {
	url  string
	body []byte
	keys *signature.Keyring
}

// imageSignature returns the image signature to check for art: when the
// artifact names one and the operator configured keys for the image's
// source. Otherwise it returns nil, and the artifact's Signature stands as
// the source reported it. The signature is fetched now, and everything
// about it that does not need the image (its form, its signer, its
// algorithms, its date) is checked now, so a signature that cannot verify
// fails the image before a byte of it is downloaded.
func (e *Engine) imageSignature(ctx context.Context, im config.Image, art sdk.Artifact) (*imageSig, error) {
	if im.IsURL() || !e.checksImageSignature(im.Source, art) {
		return nil, nil
	}
	keyData := e.Config.Sources[im.Source].KeysFor(art.Release)
	keys, err := signature.ParseKeyring(keyData...)
	if err != nil {
		return nil, fmt.Errorf("keys configured for source %s: %w", im.Source, err)
	}
	if e.Metadata == nil {
		return nil, errors.New("no metadata fetcher to read " + art.ImageSignatureURL)
	}
	doc, err := e.Metadata.FetchMetadata(ctx, art.ImageSignatureURL, maxImageSignatureBytes)
	if err != nil {
		return nil, fmt.Errorf("image signature: %w", err)
	}
	s := &imageSig{url: art.ImageSignatureURL, body: doc.Body, keys: keys}
	if err := signature.PrecheckDetached(keys, s.body); err != nil {
		return nil, s.refused(err)
	}
	return s, nil
}

// checkInstalled checks the image signature of an installed build whose
// record does not show that check: one installed before the operator
// configured keys for its source. checked is false when there is nothing
// to check. On success the record is updated; on failure the build stays
// where it is (it passed every check of its time) and the error says why
// it no longer satisfies the configuration.
func (r *run) checkInstalled(ctx context.Context, im config.Image, b state.Build, art sdk.Artifact) (_ state.Build, checked bool, err error) {
	if slices.Contains(b.VerifiedBy, checkedBySignature) {
		return b, false, nil
	}
	sig, err := r.e.imageSignature(ctx, im, art)
	if err != nil || sig == nil {
		return b, err != nil, err
	}
	f, err := r.st.OpenBuild(b.File)
	if err != nil {
		return b, true, err
	}
	defer f.Close()
	s, err := sig.check(ctx, f)
	if err != nil {
		return b, true, err
	}
	b.Signature = signatureText(s)
	b.VerifiedBy = append(slices.Clone(b.VerifiedBy), checkedBySignature)
	b.VerifiedAt = r.e.now().UTC()
	return b, true, r.update(im.Name, func(st *state.State) { st.SetBuild(b) })
}

// check verifies the signature over the open file (the digest-checked
// partial, or an installed build) and returns the Signature to record.
func (s *imageSig) check(ctx context.Context, f *os.File) (sdk.Signature, error) {
	fi, err := f.Stat()
	if err != nil {
		return sdk.Signature{}, err
	}
	res, err := signature.VerifyDetachedReaderAt(s.keys, ctxReaderAt{ctx, f}, fi.Size(), s.body)
	if err != nil {
		return sdk.Signature{}, s.refused(err)
	}
	return sdk.Signature{
		Status:         sdk.SignatureVerified,
		KeyFingerprint: res.Fingerprint,
		SignatureURL:   s.url,
		KeyOrigin:      sdk.KeyOperator,
		Detail:         "image signature " + path.Base(s.url) + " checked by fetchd over the downloaded image",
	}, nil
}

func (s *imageSig) refused(err error) error {
	var ve *signature.VerifyError
	if errors.As(err, &ve) {
		return fmt.Errorf("image signature %s refused: %w", s.url, err)
	}
	return fmt.Errorf("checking image signature %s: %w", s.url, err)
}

// ctxReaderAt stops reading when ctx is done.
type ctxReaderAt struct {
	ctx context.Context
	r   io.ReaderAt
}

func (c ctxReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.ReadAt(p, off)
}
