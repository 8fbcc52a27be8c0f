package signature

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	pgperrors "github.com/ProtonMail/go-crypto/openpgp/errors"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

const (
	// maxSignatureBytes bounds a detached signature file; one signature is
	// well under 2 KiB.
	maxSignatureBytes = 64 << 10
	// maxSignatures bounds the signatures in one file.
	maxSignatures = 16
)

// Result describes the signature that was accepted.
type Result struct {
	// Fingerprint is the signer's primary key fingerprint, uppercase hex (40
	// digits for v4 keys), also when a subkey made the signature.
	Fingerprint string
	// KeyID is the id of the key that made the signature (the subkey, if a
	// subkey signed), 16 uppercase hex digits.
	KeyID string
	// UserID is the signer's primary identity, e.g. "UEC Image Automatic
	// Signing Key <cdimage@ubuntu.com>", or "" if the key has none.
	UserID string
	// Created is when the signature says it was made, in UTC.
	Created time.Time
}

// An Option changes how signatures are verified.
type Option func(*settings)

type settings struct {
	now time.Time
}

// At judges expiry and revocation at t instead of the current time. Tests
// and replays of recorded upstream data use it.
func At(t time.Time) Option {
	return func(s *settings) { s.now = t }
}

func newSettings(opts []Option) settings {
	s := settings{now: time.Now()}
	for _, o := range opts {
		o(&s)
	}
	return s
}

// VerifyDetached checks that sig is a good signature over signed by a key in
// k, e.g. SHA256SUMS and SHA256SUMS.gpg. sig is armored or binary (detected).
// Binary-mode signatures (what gpg --detach-sign makes) cover signed byte for
// byte; text-mode ones (gpg --textmode) ignore the difference between "\n"
// and "\r\n", as OpenPGP defines. Any refusal is a *VerifyError.
func VerifyDetached(k *Keyring, signed, sig []byte, opts ...Option) (Result, error) {
	return VerifyDetachedReaderAt(k, bytes.NewReader(signed), int64(len(signed)), sig, opts...)
}

// VerifyDetachedReaderAt is VerifyDetached for data too large to hold in
// memory, such as a disk image whose publisher signs the image itself: the
// size bytes of signed are read once per signature made by a key in k
// (usually once), through io.SectionReader. Everything that can be checked
// without the data (the signature file, the signer, the algorithms, the
// dates) is checked before the first read. A read error is returned as is,
// not as a *VerifyError.
func VerifyDetachedReaderAt(k *Keyring, signed io.ReaderAt, size int64, sig []byte, opts ...Option) (Result, error) {
	if k == nil {
		return Result{}, errors.New("verify detached signature: nil keyring")
	}
	body, err := decodeDetached(sig)
	if err != nil {
		return Result{}, err
	}
	sigs, err := parseSignatures(body)
	if err != nil {
		return Result{}, err
	}
	return k.verify(signed, size, sigs, false, newSettings(opts))
}

// PrecheckDetached checks everything about a detached signature that does
// not need the signed data: its form, that a key in k made it, the
// algorithms, the dates. A caller about to download gigabytes to verify
// calls it first, so a signature that cannot verify fails before the
// download; the verification proper still needs VerifyDetachedReaderAt.
// Any refusal is a *VerifyError.
func PrecheckDetached(k *Keyring, sig []byte, opts ...Option) error {
	if k == nil {
		return errors.New("precheck detached signature: nil keyring")
	}
	body, err := decodeDetached(sig)
	if err != nil {
		return err
	}
	sigs, err := parseSignatures(body)
	if err != nil {
		return err
	}
	_, err = k.candidates(sigs, false, newSettings(opts))
	return err
}

// decodeDetached returns the packets of a detached signature file.
func decodeDetached(sig []byte) ([]byte, error) {
	if len(bytes.TrimLeft(sig, whitespace)) == 0 {
		return nil, malformed("empty signature", nil)
	}
	if len(sig) > maxSignatureBytes {
		return nil, malformed(fmt.Sprintf("signature is %d bytes, more than the %d limit", len(sig), maxSignatureBytes), nil)
	}
	if !isArmored(sig) {
		if sig[0]&0x80 == 0 {
			return nil, malformed("neither an armored nor a binary OpenPGP signature", nil)
		}
		return sig, nil
	}
	blocks, err := armorBlocks(sig)
	if err != nil {
		return nil, malformed("armor", err)
	}
	if len(blocks) != 1 {
		return nil, malformed(fmt.Sprintf("want one armored block, found %d", len(blocks)), nil)
	}
	return decodeSignatureArmor(blocks[0])
}

func decodeSignatureArmor(block []byte) ([]byte, error) {
	typ, body, err := decodeArmor(block)
	if err != nil {
		return nil, malformed("armor", err)
	}
	if typ != pgpSignature {
		return nil, malformed(fmt.Sprintf("armored block is a %q, not a %q", typ, pgpSignature), nil)
	}
	return body, nil
}

// rawSignature is one signature packet and its encoding.
type rawSignature struct {
	sig *packet.Signature
	raw []byte
}

// parseSignatures reads body as a sequence of signature packets and nothing
// else.
func parseSignatures(body []byte) ([]rawSignature, error) {
	var out []rawSignature
	r := bytes.NewReader(body)
	for r.Len() > 0 {
		if len(out) == maxSignatures {
			return nil, malformed(fmt.Sprintf("more than %d signatures", maxSignatures), nil)
		}
		start := len(body) - r.Len()
		p, err := packet.Read(r)
		if err != nil {
			var unsupported pgperrors.UnsupportedError
			if errors.As(err, &unsupported) {
				return nil, &VerifyError{Reason: ReasonWeakAlgorithm, Detail: fmt.Sprintf("signature packet %d", len(out)+1), Err: err}
			}
			return nil, malformed(fmt.Sprintf("signature packet %d", len(out)+1), err)
		}
		s, ok := p.(*packet.Signature)
		if !ok {
			return nil, malformed(fmt.Sprintf("packet %d is a %T, not a signature", len(out)+1, p), nil)
		}
		out = append(out, rawSignature{sig: s, raw: body[start : len(body)-r.Len()]})
	}
	if len(out) == 0 {
		return nil, malformed("no signature packet", nil)
	}
	return out, nil
}

// verify applies the policy described in the package documentation to the
// signatures over signed. text requires canonical-text signatures (as in a
// clearsigned document).
func (k *Keyring) verify(signed io.ReaderAt, size int64, sigs []rawSignature, text bool, st settings) (Result, error) {
	cs, err := k.candidates(sigs, text, st)
	if err != nil {
		return Result{}, err
	}
	var (
		firstErr error
		good     *Result
	)
	for _, c := range cs {
		res, err := checkData(c.key, c.sig, signed, size, st.now)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		if good == nil {
			good = &res
		}
	}
	if firstErr != nil {
		return Result{}, firstErr
	}
	return *good, nil
}

// candidate is a signature made by a key in the keyring.
type candidate struct {
	key openpgp.Key
	sig rawSignature
}

// candidates returns the signatures made by keys in k, each checked as far
// as it can be without the signed data. Any refused signature refuses the
// whole (no need to read the data, which may be gigabytes); none by a key
// in k is an unknown-signer error.
func (k *Keyring) candidates(sigs []rawSignature, text bool, st settings) ([]candidate, error) {
	var (
		unknown []string
		out     []candidate
	)
	for _, s := range sigs {
		id, err := issuer(s.sig)
		if err != nil {
			return nil, err
		}
		keys := k.entities.KeysById(id)
		if len(keys) == 0 {
			unknown = append(unknown, keyID(id))
			continue
		}
		// ParseKeyring refuses duplicate key ids: keys has one element.
		if err := precheck(keys[0], s, text, st.now); err != nil {
			return nil, err
		}
		out = append(out, candidate{keys[0], s})
	}
	if len(out) == 0 {
		return nil, &VerifyError{
			Reason:  ReasonUnknownSigner,
			KeyIDs:  unknown,
			Keyring: k.Fingerprints(),
			Detail:  fmt.Sprintf("signed by key id %s, which is not in the keyring %v", joinIDs(unknown), k.fingerprints),
		}
	}
	return out, nil
}

func issuer(sig *packet.Signature) (uint64, error) {
	if sig.IssuerKeyId != nil {
		return *sig.IssuerKeyId, nil
	}
	return 0, malformed("signature does not name its issuer", nil)
}

// precheck checks what it can of one signature by key, a key in the
// keyring whose id the signature names, without the signed data.
func precheck(key openpgp.Key, s rawSignature, text bool, now time.Time) error {
	sig, id := s.sig, keyID(key.PublicKey.KeyId)
	fail := func(r Reason, detail string, err error) error {
		return &VerifyError{Reason: r, KeyIDs: []string{id}, Detail: detail, Err: err}
	}
	switch {
	case text && sig.SigType != packet.SigTypeText:
		return fail(ReasonMalformed, fmt.Sprintf("signature by key id %s has type 0x%02x; a clearsigned document needs a text signature (0x01)", id, uint8(sig.SigType)), nil)
	case sig.SigType != packet.SigTypeBinary && sig.SigType != packet.SigTypeText:
		return fail(ReasonMalformed, fmt.Sprintf("signature by key id %s has type 0x%02x, not a document signature", id, uint8(sig.SigType)), nil)
	}
	if sig.IssuerFingerprint != nil && !bytes.Equal(sig.IssuerFingerprint, key.PublicKey.Fingerprint) {
		return fail(ReasonBadSignature, fmt.Sprintf("signature names issuer fingerprint %X, but key id %s in the keyring is %X", sig.IssuerFingerprint, id, key.PublicKey.Fingerprint), nil)
	}
	if k := key.SelfSignature; k == nil || !k.FlagsValid || !k.FlagSign {
		return fail(ReasonBadSignature, fmt.Sprintf("key id %s may not make signatures", id), nil)
	}
	for _, check := range []func() error{
		func() error { return checkKeyAlgorithm(key.Entity.PrimaryKey) },
		func() error { return checkKeyAlgorithm(key.PublicKey) },
		func() error { return checkMessageHash(sig) },
		func() error { return checkBindingHashes(key) },
	} {
		if err := check(); err != nil {
			return fail(ReasonWeakAlgorithm, "", err)
		}
	}
	if sig.CreationTime.Unix() > now.Unix() {
		return fail(ReasonFutureSignature, fmt.Sprintf("signature by key id %s is dated %s, after the verification time %s",
			id, sig.CreationTime.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339)), nil)
	}
	if sig.CreationTime.Unix() < key.PublicKey.CreationTime.Unix() {
		return fail(ReasonBadSignature, fmt.Sprintf("signature by key id %s is dated before the key was made", id), nil)
	}
	return nil
}

// checkData checks one prechecked signature over the size bytes of signed.
func checkData(key openpgp.Key, s rawSignature, signed io.ReaderAt, size int64, now time.Time) (Result, error) {
	sig, id := s.sig, keyID(key.PublicKey.KeyId)
	fail := func(r Reason, detail string, err error) (Result, error) {
		return Result{}, &VerifyError{Reason: r, KeyIDs: []string{id}, Detail: detail, Err: err}
	}
	data := &readErr{r: io.NewSectionReader(signed, 0, size)}
	_, _, err := openpgp.VerifyDetachedSignature(openpgp.EntityList{key.Entity}, data, bytes.NewReader(s.raw), config(now))
	if data.err != nil {
		return Result{}, data.err
	}
	switch {
	case err == nil:
	case errors.Is(err, pgperrors.ErrKeyExpired):
		return fail(ReasonKeyExpired, fmt.Sprintf("key id %s had expired by %s", id, now.UTC().Format(time.RFC3339)), nil)
	case errors.Is(err, pgperrors.ErrKeyRevoked):
		return fail(ReasonKeyRevoked, fmt.Sprintf("key id %s has been revoked", id), nil)
	case errors.Is(err, pgperrors.ErrSignatureExpired):
		return fail(ReasonSignatureExpired, fmt.Sprintf("a signature by or for key id %s had expired by %s", id, now.UTC().Format(time.RFC3339)), nil)
	default:
		var unsupported pgperrors.UnsupportedError
		if errors.As(err, &unsupported) {
			return fail(ReasonWeakAlgorithm, "signature by key id "+id, err)
		}
		return fail(ReasonBadSignature, fmt.Sprintf("signature by key id %s does not match the data", id), err)
	}

	res := Result{
		Fingerprint: fingerprint(key.Entity.PrimaryKey),
		KeyID:       id,
		Created:     sig.CreationTime.UTC(),
	}
	if ident := key.Entity.PrimaryIdentity(); ident != nil {
		res.UserID = ident.Name
	}
	return res, nil
}

func joinIDs(ids []string) string {
	switch len(ids) {
	case 0:
		return "(none)"
	case 1:
		return ids[0]
	}
	return fmt.Sprint(ids)
}

// readErr remembers a read error of the signed data, which go-crypto would
// report as a bad signature.
type readErr struct {
	r   io.Reader
	err error
}

func (r *readErr) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil && err != io.EOF && r.err == nil {
		r.err = err
	}
	return n, err
}
