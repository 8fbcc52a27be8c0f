package signature

import "errors"

// ErrSecretKey is returned (wrapped) by ParseKeyring when the key data holds
// secret key material: a keyring for verification never needs it, and
// carrying it around is a leak waiting to happen.
var ErrSecretKey = errors.New("refusing a secret key")

// Reason tells why a signature was not accepted.
type Reason string

// The reasons a VerifyError can carry.
const (
	// ReasonMalformed: the signature (or the clearsigned document) cannot be
	// decoded, or has text outside the signed or armored block.
	ReasonMalformed Reason = "malformed signature"
	// ReasonUnknownSigner: no signature was made by a key in the keyring.
	ReasonUnknownSigner Reason = "unknown signer"
	// ReasonBadSignature: the signature does not match the data, or the key
	// that made it may not make signatures.
	ReasonBadSignature Reason = "bad signature"
	// ReasonKeyExpired: the signing key (or its primary key) has expired.
	ReasonKeyExpired Reason = "key expired"
	// ReasonKeyRevoked: the signing key (or its primary key or identity) has
	// been revoked.
	ReasonKeyRevoked Reason = "key revoked"
	// ReasonSignatureExpired: the signature (or a binding signature it relies
	// on) has expired.
	ReasonSignatureExpired Reason = "signature expired"
	// ReasonFutureSignature: the signature is dated after the verification
	// time.
	ReasonFutureSignature Reason = "signature from the future"
	// ReasonWeakAlgorithm: the signature or the key uses a weak or
	// unsupported algorithm (MD5, SHA-1, a short RSA key, DSA, …).
	ReasonWeakAlgorithm Reason = "weak or unsupported algorithm"
)

// VerifyError is the error VerifyDetached and VerifyClearsigned return when
// they refuse a signature.
type VerifyError struct {
	// Reason is the kind of refusal.
	Reason Reason
	// KeyIDs are the key ids (16 uppercase hex digits) of the signers the
	// refusal is about: for ReasonUnknownSigner, every signer named in the
	// signature file. Empty when the signature could not be read.
	KeyIDs []string
	// Keyring lists the keyring's primary key fingerprints; set for
	// ReasonUnknownSigner so that the message says which keys were tried.
	Keyring []string
	// Detail says what exactly is wrong, for people.
	Detail string
	// Err is the underlying error, if any.
	Err error
}

func (e *VerifyError) Error() string {
	msg := string(e.Reason)
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *VerifyError) Unwrap() error { return e.Err }

func malformed(detail string, err error) *VerifyError {
	return &VerifyError{Reason: ReasonMalformed, Detail: detail, Err: err}
}
