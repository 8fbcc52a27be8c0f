package sigtest

import (
	"bytes"
	"crypto"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/clearsign"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// Key is a throwaway OpenPGP key pair. Its methods are safe for concurrent
// use.
type Key struct {
	mu     sync.Mutex
	entity *openpgp.Entity
	opts   options
	rand   io.Reader
}

// An Option changes how NewKey makes a key.
type Option func(*options)

type options struct {
	clock    time.Time // zero: time.Now()
	lifetime time.Duration
	subkey   bool
	rsaBits  int
	hash     crypto.Hash
	seed     string
	hasSeed  bool
	comment  string
}

// WithTime makes the key at t and makes every signature, clearsigned
// document and revocation at t too, instead of at the current time. With a
// time in the past and WithLifetime, the key can be already expired.
func WithTime(t time.Time) Option {
	return func(o *options) { o.clock = t }
}

// WithLifetime makes the key (and its subkey) expire d after it was made.
// d is rounded down to whole seconds and must be at least one second.
func WithLifetime(d time.Duration) Option {
	return func(o *options) { o.lifetime = d }
}

// WithSigningSubkey adds a signing subkey; signatures are then made by the
// subkey, as GnuPG does for keys that have one.
func WithSigningSubkey() Option {
	return func(o *options) { o.subkey = true }
}

// WithRSA makes an RSA key of the given size instead of Ed25519. RSA keys
// take longer to make (and ignore WithSeed); use them only where a test
// needs RSA, e.g. to check that RSA-1024 is refused.
func WithRSA(bits int) Option {
	return func(o *options) { o.rsaBits = bits }
}

// WithSignatureHash makes detached signatures with h (default SHA-256), even
// a weak one such as crypto.SHA1, so that tests can check it is refused.
// Self-signatures always use SHA-256; clearsigned documents fall back to
// SHA-256 when go-crypto will not write h.
func WithSignatureHash(h crypto.Hash) Option {
	return func(o *options) { o.hash = h }
}

// WithComment adds a comment to the key's user id, "name (comment)
// <email>", as upstreams name per-release keys: "Fedora (41)
// <fedora-41-primary@fedoraproject.org>".
func WithComment(c string) Option {
	return func(o *options) { o.comment = c }
}

// WithSeed derives all randomness from seed, so that the same seed and the
// same WithTime give the same key and the same signatures, byte for byte,
// when the same calls are made in the same order.
func WithSeed(seed string) Option {
	return func(o *options) { o.seed, o.hasSeed = seed, true }
}

// NewKey makes a key with the identity "name <email>" (see WithComment).
// name, email and the comment may not hold the characters ( ) < > that
// delimit the parts of a user id.
func NewKey(name, email string, opts ...Option) (*Key, error) {
	k := &Key{opts: options{hash: crypto.SHA256}}
	for _, o := range opts {
		o(&k.opts)
	}
	if k.opts.lifetime != 0 && k.opts.lifetime < time.Second {
		return nil, fmt.Errorf("sigtest: key lifetime %v is shorter than a second", k.opts.lifetime)
	}
	if k.opts.hasSeed {
		k.rand = rand.NewChaCha8(sha256.Sum256([]byte("sigtest:" + k.opts.seed)))
	}
	cfg := k.config(k.now())
	cfg.DefaultHash = crypto.SHA256
	cfg.KeyLifetimeSecs = uint32(k.opts.lifetime / time.Second)
	if k.opts.rsaBits != 0 {
		cfg.Algorithm, cfg.RSABits = packet.PubKeyAlgoRSA, k.opts.rsaBits
	} else {
		cfg.Algorithm, cfg.Curve = packet.PubKeyAlgoEdDSA, packet.Curve25519
	}
	for what, v := range map[string]string{"name": name, "email": email, "comment": k.opts.comment} {
		if strings.ContainsAny(v, "()<>\x00") {
			return nil, fmt.Errorf("sigtest: key %s %q holds one of ( ) < >, which delimit a user id; pass a comment with WithComment", what, v)
		}
	}
	e, err := openpgp.NewEntity(name, k.opts.comment, email, cfg)
	if err != nil {
		return nil, fmt.Errorf("sigtest: make key %q: %w", name, err)
	}
	if k.opts.subkey {
		if err := e.AddSigningSubkey(cfg); err != nil {
			return nil, fmt.Errorf("sigtest: add signing subkey to %q: %w", name, err)
		}
	}
	k.entity = e
	return k, nil
}

// MustNewKey is NewKey for tests and TestMain: it panics on error.
func MustNewKey(name, email string, opts ...Option) *Key {
	k, err := NewKey(name, email, opts...)
	if err != nil {
		panic(err)
	}
	return k
}

func (k *Key) now() time.Time {
	if k.opts.clock.IsZero() {
		return time.Now()
	}
	return k.opts.clock
}

func (k *Key) config(now time.Time) *packet.Config {
	noSaltNotation := false // as GnuPG signs; the notation also cannot carry SHA-1
	return &packet.Config{
		Rand:                                  k.rand,
		Time:                                  func() time.Time { return now },
		DefaultHash:                           k.opts.hash,
		NonDeterministicSignaturesViaNotation: &noSaltNotation,
	}
}

// Fingerprint returns the primary key's fingerprint, 40 uppercase hex digits.
func (k *Key) Fingerprint() string {
	return strings.ToUpper(hex.EncodeToString(k.entity.PrimaryKey.Fingerprint))
}

// KeyID returns the id of the key that makes signatures (the subkey, with
// WithSigningSubkey), 16 uppercase hex digits.
func (k *Key) KeyID() string {
	k.mu.Lock()
	defer k.mu.Unlock()
	sk, err := k.signingKey(k.now())
	if err != nil {
		return fmt.Sprintf("%016X", k.entity.PrimaryKey.KeyId)
	}
	return fmt.Sprintf("%016X", sk.PublicKey.KeyId)
}

// PublicBinary returns the public key (with its revocation, if any) as
// binary OpenPGP packets.
func (k *Key) PublicBinary() []byte {
	k.mu.Lock()
	defer k.mu.Unlock()
	var b bytes.Buffer
	must(k.entity.Serialize(&b))
	return b.Bytes()
}

// PublicArmored returns the public key, armored.
func (k *Key) PublicArmored() []byte {
	return armored("PGP PUBLIC KEY BLOCK", k.PublicBinary())
}

// SecretArmored returns the secret key, armored: for tests that check
// secret keys are refused.
func (k *Key) SecretArmored() []byte {
	k.mu.Lock()
	defer k.mu.Unlock()
	var b bytes.Buffer
	must(k.entity.SerializePrivateWithoutSigning(&b, nil))
	return armored("PGP PRIVATE KEY BLOCK", b.Bytes())
}

// SecretArmoredWithPassphrase returns the secret key, armored, its
// secret key material encrypted under passphrase (iterated and salted
// S2K), as GnuPG exports a protected key. The Key itself stays unprotected.
func (k *Key) SecretArmoredWithPassphrase(passphrase []byte) []byte {
	k.mu.Lock()
	defer k.mu.Unlock()
	var b bytes.Buffer
	must(k.entity.SerializePrivateWithoutSigning(&b, nil))
	el, err := openpgp.ReadKeyRing(&b)
	must(err)
	must(el[0].EncryptPrivateKeys(passphrase, &packet.Config{Rand: k.rand}))
	var out bytes.Buffer
	must(el[0].SerializePrivateWithoutSigning(&out, nil))
	return armored("PGP PRIVATE KEY BLOCK", out.Bytes())
}

// Revoke adds a key revocation (reason: none given). Later exports carry it;
// the key cannot sign after it.
func (k *Key) Revoke() {
	k.mu.Lock()
	defer k.mu.Unlock()
	must(k.entity.RevokeKey(packet.NoReason, "sigtest", k.config(k.now())))
}

// SignDetached returns a detached binary-mode signature over data, armored
// or binary.
func (k *Key) SignDetached(data []byte, armor bool) []byte {
	k.mu.Lock()
	defer k.mu.Unlock()
	now := k.now()
	sk, err := k.signingKey(now)
	must(err)
	sig := &packet.Signature{
		SigType:           packet.SigTypeBinary,
		PubKeyAlgo:        sk.PublicKey.PubKeyAlgo,
		Hash:              k.opts.hash,
		CreationTime:      now,
		IssuerKeyId:       &sk.PublicKey.KeyId,
		IssuerFingerprint: sk.PublicKey.Fingerprint,
	}
	cfg := k.config(now)
	h, err := sig.PrepareSign(cfg)
	must(err)
	h.Write(data)
	must(sig.Sign(h, sk.PrivateKey, cfg))
	var b bytes.Buffer
	must(sig.Serialize(&b))
	if armor {
		return armored("PGP SIGNATURE", b.Bytes())
	}
	return b.Bytes()
}

// Clearsign returns data as a clearsigned document.
func (k *Key) Clearsign(data []byte) []byte {
	k.mu.Lock()
	defer k.mu.Unlock()
	now := k.now()
	sk, err := k.signingKey(now)
	must(err)
	var b bytes.Buffer
	w, err := clearsign.Encode(&b, sk.PrivateKey, k.config(now))
	must(err)
	_, err = w.Write(data)
	must(err)
	must(w.Close())
	return b.Bytes()
}

func (k *Key) signingKey(now time.Time) (openpgp.Key, error) {
	sk, ok := k.entity.SigningKey(now)
	if !ok {
		return openpgp.Key{}, fmt.Errorf("sigtest: key %s cannot sign at %s (expired or revoked?)", k.Fingerprint(), now.UTC().Format(time.RFC3339))
	}
	return sk, nil
}

func armored(typ string, data []byte) []byte {
	var b bytes.Buffer
	w, err := armor.Encode(&b, typ, nil)
	must(err)
	_, err = w.Write(data)
	must(err)
	must(w.Close())
	b.WriteByte('\n')
	return b.Bytes()
}

// must panics on err: the helpers that call it cannot fail for a key that
// NewKey made, except through misuse (signing with a revoked key).
func must(err error) {
	if err != nil {
		panic(err)
	}
}
