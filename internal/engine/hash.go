package engine

import (
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"os"

	"github.com/sandlabx/fetchd/sdk"
	"github.com/sandlabx/fetchd/sdk/checksum"
)

// newHash returns the hash of a digest algorithm.
func newHash(algo checksum.Algorithm) (hash.Hash, error) {
	switch algo {
	case checksum.SHA256:
		return sha256.New(), nil
	case checksum.SHA512:
		return sha512.New(), nil
	}
	return nil, fmt.Errorf("unknown digest algorithm %q", algo)
}

// hashOpen computes the digest of an open file from its start (whatever
// its offset), stopping if ctx is done.
func hashOpen(ctx context.Context, f *os.File, algo checksum.Algorithm) (checksum.Digest, error) {
	h, err := newHash(algo)
	if err != nil {
		return checksum.Digest{}, err
	}
	if err := copyCtx(ctx, h, io.NewSectionReader(f, 0, 1<<62)); err != nil {
		return checksum.Digest{}, fmt.Errorf("reading %s: %w", f.Name(), err)
	}
	return checksum.Digest{Algorithm: algo, Hex: hex.EncodeToString(h.Sum(nil))}, nil
}

// copyCtx copies src to dst in 1 MiB steps, stopping if ctx is done.
func copyCtx(ctx context.Context, dst io.Writer, src io.Reader) error {
	buf := make([]byte, 1<<20)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, err := src.Read(buf)
		if _, werr := dst.Write(buf[:n]); werr != nil {
			return werr
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func sdkFormat(f string) sdk.Format {
	if f == "" {
		return sdk.FormatQCOW2
	}
	return sdk.Format(f)
}
