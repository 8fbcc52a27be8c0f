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

// hashFile computes the digest of a file, stopping if ctx is done.
func hashFile(ctx context.Context, path string, algo checksum.Algorithm) (checksum.Digest, error) {
	var h hash.Hash
	switch algo {
	case checksum.SHA256:
		h = sha256.New()
	case checksum.SHA512:
		h = sha512.New()
	default:
		return checksum.Digest{}, fmt.Errorf("unknown digest algorithm %q", algo)
	}
	f, err := os.Open(path)
	if err != nil {
		return checksum.Digest{}, err
	}
	defer f.Close()
	buf := make([]byte, 1<<20)
	for {
		if err := ctx.Err(); err != nil {
			return checksum.Digest{}, err
		}
		n, err := f.Read(buf)
		h.Write(buf[:n])
		if err == io.EOF {
			break
		}
		if err != nil {
			return checksum.Digest{}, fmt.Errorf("reading %s: %w", path, err)
		}
	}
	return checksum.Digest{Algorithm: algo, Hex: hex.EncodeToString(h.Sum(nil))}, nil
}

func sdkFormat(f string) sdk.Format {
	if f == "" {
		return sdk.FormatQCOW2
	}
	return sdk.Format(f)
}
