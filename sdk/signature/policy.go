package signature

import (
	"crypto"
	"fmt"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// messageHashes are the hashes a document signature may use.
var messageHashes = map[crypto.Hash]bool{
	crypto.SHA224:   true,
	crypto.SHA256:   true,
	crypto.SHA384:   true,
	crypto.SHA512:   true,
	crypto.SHA3_256: true,
	crypto.SHA3_512: true,
}

// sha1SelfSignatureCutoff: key self-signatures made with SHA-1 before this
// date are still accepted (GnuPG draws the same line), later ones are not.
var sha1SelfSignatureCutoff = time.Date(2019, time.January, 19, 0, 0, 0, 0, time.UTC)

// minRSABits is the smallest RSA key accepted.
const minRSABits = 2048

// config returns the go-crypto configuration for verifying at now. The
// Reject* maps only take effect in go-crypto's v2 API; this package enforces
// the same policy itself (see checkMessageHash and checkBindingHashes) and
// sets them so that both say the same thing.
func config(now time.Time) *packet.Config {
	weak := map[crypto.Hash]bool{crypto.MD5: true, crypto.SHA1: true, crypto.RIPEMD160: true}
	return &packet.Config{
		Time:                        func() time.Time { return now },
		MinRSABits:                  minRSABits,
		RejectMessageHashAlgorithms: weak,
		RejectHashAlgorithms:        map[crypto.Hash]bool{crypto.MD5: true, crypto.RIPEMD160: true},
		RejectPublicKeyAlgorithms:   map[packet.PublicKeyAlgorithm]bool{packet.PubKeyAlgoDSA: true, packet.PubKeyAlgoElGamal: true},
	}
}

// checkMessageHash refuses a document signature made with a hash outside
// messageHashes.
func checkMessageHash(sig *packet.Signature) error {
	if !messageHashes[sig.Hash] {
		return fmt.Errorf("signature uses hash %s, which is not accepted", hashName(sig.Hash))
	}
	return nil
}

// checkKeyAlgorithm refuses keys too weak to trust.
func checkKeyAlgorithm(pk *packet.PublicKey) error {
	switch pk.PubKeyAlgo {
	case packet.PubKeyAlgoDSA, packet.PubKeyAlgoElGamal:
		return fmt.Errorf("key %s uses DSA or ElGamal, which is not accepted", keyID(pk.KeyId))
	case packet.PubKeyAlgoRSA, packet.PubKeyAlgoRSASignOnly:
		bits, err := pk.BitLength()
		if err != nil {
			return fmt.Errorf("key %s: %w", keyID(pk.KeyId), err)
		}
		if bits < minRSABits {
			return fmt.Errorf("key %s is RSA-%d; at least RSA-%d is required", keyID(pk.KeyId), bits, minRSABits)
		}
	}
	return nil
}

// checkBindingHashes checks the self-signatures a signature by key relies
// on: the primary key's self-signature and, for a subkey, its binding
// signature and cross-signature.
func checkBindingHashes(key openpgp.Key) error {
	primary, _ := key.Entity.PrimarySelfSignature()
	sigs := []*packet.Signature{primary}
	if key.PublicKey != key.Entity.PrimaryKey && key.SelfSignature != nil {
		sigs = append(sigs, key.SelfSignature, key.SelfSignature.EmbeddedSignature)
	}
	for _, s := range sigs {
		if s == nil || messageHashes[s.Hash] {
			continue
		}
		if s.Hash == crypto.SHA1 && s.CreationTime.Before(sha1SelfSignatureCutoff) {
			continue
		}
		return fmt.Errorf("a self-signature of key %s uses hash %s (made %s), which is not accepted",
			keyID(key.PublicKey.KeyId), hashName(s.Hash), s.CreationTime.UTC().Format(time.DateOnly))
	}
	return nil
}

func hashName(h crypto.Hash) string {
	if h == 0 {
		return "unknown"
	}
	return h.String()
}

// openpgpHashName is the name a clearsigned document's Hash header uses for h
// (RFC 9580, section 9.5), as go-crypto's clearsign package normalizes it.
func openpgpHashName(h crypto.Hash) string {
	switch h {
	case crypto.MD5:
		return "MD5"
	case crypto.SHA1:
		return "SHA1"
	case crypto.RIPEMD160:
		return "RIPEMD160"
	case crypto.SHA224:
		return "SHA224"
	case crypto.SHA256:
		return "SHA256"
	case crypto.SHA384:
		return "SHA384"
	case crypto.SHA512:
		return "SHA512"
	case crypto.SHA3_256:
		return "SHA3-256"
	case crypto.SHA3_512:
		return "SHA3-512"
	}
	return ""
}
