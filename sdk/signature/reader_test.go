package signature_test

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/sandlabx/fetchd/sdk/signature"
)

// image stands in for a disk image large enough to be read in many chunks.
func image() []byte {
	b := make([]byte, 3<<20+17)
	for i := range b {
		b[i] = byte(i * 7)
	}
	return b
}

// countingReaderAt counts the bytes read, and fails every read after
// failAfter bytes when failAfter > 0.
type countingReaderAt struct {
	r         io.ReaderAt
	read      int64
	failAfter int64
}

var errDisk = errors.New("disk on fire")

func (c *countingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if c.failAfter > 0 && c.read >= c.failAfter {
		return 0, errDisk
	}
	n, err := c.r.ReadAt(p, off)
	c.read += int64(n)
	return n, err
}

func TestVerifyDetachedReaderAt(t *testing.T) {
	t.Parallel()
	a := newKey(t, "a")
	data := image()
	r := &countingReaderAt{r: bytes.NewReader(data)}
	got, err := signature.VerifyDetachedReaderAt(keyring(t, a), r, int64(len(data)), a.SignDetached(data, true), signedAt)
	if err != nil {
		t.Fatal(err)
	}
	if got.Fingerprint != a.Fingerprint() {
		t.Errorf("Fingerprint = %s, want %s", got.Fingerprint, a.Fingerprint())
	}
	if r.read != int64(len(data)) {
		t.Errorf("read %d bytes of %d, want each byte once", r.read, len(data))
	}
}

func TestVerifyDetachedReaderAtRefuses(t *testing.T) {
	t.Parallel()
	a := newKey(t, "a")
	other := newKey(t, "other")
	data := image()
	size := int64(len(data))
	changed := bytes.Clone(data)
	changed[len(changed)/2] ^= 1

	t.Run("one changed byte", func(t *testing.T) {
		_, err := signature.VerifyDetachedReaderAt(keyring(t, a), bytes.NewReader(changed), size, a.SignDetached(data, true), signedAt)
		if got := reasonOf(t, err); got != signature.ReasonBadSignature {
			t.Errorf("reason = %v, want %v (%v)", got, signature.ReasonBadSignature, err)
		}
	})
	t.Run("shorter than signed", func(t *testing.T) {
		_, err := signature.VerifyDetachedReaderAt(keyring(t, a), bytes.NewReader(data), size-1, a.SignDetached(data, true), signedAt)
		if got := reasonOf(t, err); got != signature.ReasonBadSignature {
			t.Errorf("reason = %v, want %v (%v)", got, signature.ReasonBadSignature, err)
		}
	})
	t.Run("unknown signer is refused before reading", func(t *testing.T) {
		r := &countingReaderAt{r: bytes.NewReader(data)}
		_, err := signature.VerifyDetachedReaderAt(keyring(t, a), r, size, other.SignDetached(data, true), signedAt)
		if got := reasonOf(t, err); got != signature.ReasonUnknownSigner {
			t.Errorf("reason = %v, want %v (%v)", got, signature.ReasonUnknownSigner, err)
		}
		if r.read != 0 {
			t.Errorf("read %d bytes of the data for a signature no key in the keyring made", r.read)
		}
	})
	t.Run("malformed signature is refused before reading", func(t *testing.T) {
		r := &countingReaderAt{r: bytes.NewReader(data)}
		_, err := signature.VerifyDetachedReaderAt(keyring(t, a), r, size, []byte("-----BEGIN PGP SIGNATURE-----\n\nnot base64\n-----END PGP SIGNATURE-----\n"), signedAt)
		if got := reasonOf(t, err); got != signature.ReasonMalformed {
			t.Errorf("reason = %v, want %v (%v)", got, signature.ReasonMalformed, err)
		}
		if r.read != 0 {
			t.Errorf("read %d bytes of the data for a malformed signature", r.read)
		}
	})
	t.Run("a read error is reported as itself", func(t *testing.T) {
		r := &countingReaderAt{r: bytes.NewReader(data), failAfter: 1 << 20}
		_, err := signature.VerifyDetachedReaderAt(keyring(t, a), r, size, a.SignDetached(data, true), signedAt)
		if !errors.Is(err, errDisk) {
			t.Errorf("error = %v, want the read error", err)
		}
		var ve *signature.VerifyError
		if errors.As(err, &ve) {
			t.Errorf("a read error came back as a *VerifyError: %v", err)
		}
	})
	t.Run("nil keyring", func(t *testing.T) {
		if _, err := signature.VerifyDetachedReaderAt(nil, bytes.NewReader(data), size, a.SignDetached(data, true)); err == nil {
			t.Error("nil keyring accepted")
		}
	})
}

func TestPrecheckDetached(t *testing.T) {
	t.Parallel()
	a := newKey(t, "a")
	other := newKey(t, "other")
	data := []byte(sums)
	if err := signature.PrecheckDetached(keyring(t, a), a.SignDetached(data, true), signedAt); err != nil {
		t.Errorf("a good signature by a key in the keyring: %v", err)
	}
	// Without the data a signature over other bytes cannot be told apart:
	// that is VerifyDetachedReaderAt's job.
	if err := signature.PrecheckDetached(keyring(t, a), a.SignDetached([]byte("other bytes"), false), signedAt); err != nil {
		t.Errorf("a signature over other bytes, checked without them: %v", err)
	}
	if got := reasonOf(t, signature.PrecheckDetached(keyring(t, a), other.SignDetached(data, true), signedAt)); got != signature.ReasonUnknownSigner {
		t.Errorf("unknown signer: reason %v, want %v", got, signature.ReasonUnknownSigner)
	}
	if got := reasonOf(t, signature.PrecheckDetached(keyring(t, a), []byte("<html>not found</html>"), signedAt)); got != signature.ReasonMalformed {
		t.Errorf("an HTML page: reason %v, want %v", got, signature.ReasonMalformed)
	}
	if err := signature.PrecheckDetached(nil, a.SignDetached(data, true)); err == nil {
		t.Error("nil keyring accepted")
	}
}
