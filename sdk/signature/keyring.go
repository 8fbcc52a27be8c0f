package signature

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// maxKeyBytes bounds one item of key data. Real keys with all their
// certifications are a few tens of KiB.
const maxKeyBytes = 1 << 20

// Keyring is an immutable set of OpenPGP public keys to verify against. It is
// safe for concurrent use.
type Keyring struct {
	entities     openpgp.EntityList
	fingerprints []string
}

// ParseKeyring reads public keys. Each item is armored ("-----BEGIN PGP
// PUBLIC KEY BLOCK-----", one or more blocks) or binary, and may hold several
// keys. It fails if there is no key at all, if any item holds secret key
// material (ErrSecretKey), if a key cannot be read, or if two keys share a
// fingerprint or a key id (the keyring would be ambiguous).
func ParseKeyring(keys ...[]byte) (*Keyring, error) {
	var all openpgp.EntityList
	for i, item := range keys {
		el, err := parseKeyItem(item)
		if err != nil {
			return nil, fmt.Errorf("parse keyring: key data %d of %d: %w", i+1, len(keys), err)
		}
		all = append(all, el...)
	}
	if len(all) == 0 {
		return nil, errors.New("parse keyring: no public key given")
	}
	seen := make(map[uint64]string) // key id -> fingerprint of its primary key
	k := &Keyring{entities: all}
	for _, e := range all {
		fp := fingerprint(e.PrimaryKey)
		ids := []uint64{e.PrimaryKey.KeyId}
		for _, s := range e.Subkeys {
			ids = append(ids, s.PublicKey.KeyId)
		}
		for _, id := range ids {
			if other, dup := seen[id]; dup {
				if other == fp {
					return nil, fmt.Errorf("parse keyring: key %s appears more than once", fp)
				}
				return nil, fmt.Errorf("parse keyring: keys %s and %s share key id %s", other, fp, keyID(id))
			}
			seen[id] = fp
		}
		k.fingerprints = append(k.fingerprints, fp)
	}
	slices.Sort(k.fingerprints)
	return k, nil
}

// Fingerprints returns the fingerprints of the keyring's primary keys,
// uppercase hex (40 digits for v4 keys), sorted.
func (k *Keyring) Fingerprints() []string {
	return slices.Clone(k.fingerprints)
}

func parseKeyItem(item []byte) (openpgp.EntityList, error) {
	if len(bytes.TrimSpace(item)) == 0 {
		return nil, errors.New("empty key data")
	}
	if len(item) > maxKeyBytes {
		return nil, fmt.Errorf("key data is %d bytes, more than the %d limit", len(item), maxKeyBytes)
	}
	var streams [][]byte
	if isArmored(item) {
		blocks, err := armorBlocks(item)
		if err != nil {
			return nil, err
		}
		for _, b := range blocks {
			typ, body, err := decodeArmor(b)
			if err != nil {
				return nil, err
			}
			switch typ {
			case pgpPublicKey:
				streams = append(streams, body)
			case pgpPrivateKey:
				return nil, ErrSecretKey
			default:
				return nil, fmt.Errorf("armored block is a %q, not a %q", typ, pgpPublicKey)
			}
		}
	} else {
		if item[0]&0x80 == 0 {
			return nil, errors.New("neither an armored nor a binary OpenPGP key")
		}
		streams = append(streams, item)
	}
	var el openpgp.EntityList
	for _, s := range streams {
		primaries, err := checkKeyPackets(s)
		if err != nil {
			return nil, err
		}
		got, err := openpgp.ReadKeyRing(bytes.NewReader(s))
		if err != nil {
			return nil, fmt.Errorf("read keys: %w", err)
		}
		// go-crypto skips keys it cannot read; a keyring that silently lost
		// a key (or its revocation) is not what the caller asked for.
		if len(got) != primaries {
			return nil, fmt.Errorf("only %d of %d keys could be read", len(got), primaries)
		}
		for _, e := range got {
			if e.PrivateKey != nil {
				return nil, ErrSecretKey
			}
		}
		el = append(el, got...)
	}
	return el, nil
}

// checkKeyPackets walks the raw packets of a transferable public key (RFC
// 9580, section 10.1) without interpreting them: it refuses secret key
// packets and packets that have no place in a key, and counts primary keys.
func checkKeyPackets(stream []byte) (primaries int, err error) {
	r := packet.NewOpaqueReader(bytes.NewReader(stream))
	for {
		p, err := r.Next()
		if err == io.EOF {
			return primaries, nil
		}
		if err != nil {
			return 0, fmt.Errorf("read key packets: %w", err)
		}
		switch p.Tag {
		case 5, 7: // secret key, secret subkey
			return 0, ErrSecretKey
		case 6: // public key
			primaries++
		case 2, 12, 13, 14, 17, 21: // signature, trust, user id, public subkey, user attribute, padding
		default:
			return 0, fmt.Errorf("unexpected packet type %d in key data", p.Tag)
		}
	}
}

func fingerprint(pk *packet.PublicKey) string {
	return strings.ToUpper(hex.EncodeToString(pk.Fingerprint))
}

func keyID(id uint64) string {
	return fmt.Sprintf("%016X", id)
}
