package signature

import (
	"crypto"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

func TestCheckBindingHashes(t *testing.T) {
	t.Parallel()
	before := time.Date(2009, time.September, 15, 0, 0, 0, 0, time.UTC)
	after := time.Date(2020, time.January, 1, 0, 0, 0, 0, time.UTC)
	sig := func(h crypto.Hash, at time.Time) *packet.Signature {
		return &packet.Signature{Hash: h, CreationTime: at, FlagsValid: true, FlagSign: true}
	}
	tests := map[string]struct {
		primary, binding, cross *packet.Signature // binding == nil: the primary key signs
		ok                      bool
	}{
		"SHA-256 self-signature":             {sig(crypto.SHA256, after), nil, nil, true},
		"SHA-1 self-signature from 2009":     {sig(crypto.SHA1, before), nil, nil, true},
		"SHA-1 self-signature from 2020":     {sig(crypto.SHA1, after), nil, nil, false},
		"MD5 self-signature":                 {sig(crypto.MD5, before), nil, nil, false},
		"RIPEMD-160 self-signature":          {sig(crypto.RIPEMD160, before), nil, nil, false},
		"subkey, all SHA-512":                {sig(crypto.SHA512, after), sig(crypto.SHA512, after), sig(crypto.SHA512, after), true},
		"subkey binding SHA-1 from 2020":     {sig(crypto.SHA512, after), sig(crypto.SHA1, after), sig(crypto.SHA512, after), false},
		"subkey cross-signature SHA-1, 2020": {sig(crypto.SHA512, after), sig(crypto.SHA512, after), sig(crypto.SHA1, after), false},
		"subkey binding SHA-1 from 2009":     {sig(crypto.SHA512, after), sig(crypto.SHA1, before), sig(crypto.SHA1, before), true},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			primary := &packet.PublicKey{KeyId: 1}
			e := &openpgp.Entity{
				PrimaryKey: primary,
				Identities: map[string]*openpgp.Identity{"x": {Name: "x", SelfSignature: tt.primary}},
			}
			key := openpgp.Key{Entity: e, PublicKey: primary, SelfSignature: tt.primary}
			if tt.binding != nil {
				tt.binding.EmbeddedSignature = tt.cross
				key.PublicKey, key.SelfSignature = &packet.PublicKey{KeyId: 2}, tt.binding
			}
			err := checkBindingHashes(key)
			if (err == nil) != tt.ok {
				t.Errorf("checkBindingHashes = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}
