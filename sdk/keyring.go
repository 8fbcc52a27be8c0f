package sdk

import (
	"fmt"

	"github.com/sandlabx/fetchd/sdk/signature"
)

// Keyring returns the keys a Resolve must verify signatures with: the
// operator's TrustedKeys when there are any (they replace the plugin's own,
// origin KeyOperator), else the keys the plugin embeds (origin
// KeyEmbedded). It returns a nil keyring when there are neither, so a
// source whose upstream key is not known can report "unsigned". Operator
// keys that do not parse are an error wrapping ErrInvalidArgument; embedded
// keys that do not parse are a plugin bug, a plain error.
func (r ResolveRequest) Keyring(embedded ...[]byte) (*signature.Keyring, KeyOrigin, error) {
	if len(r.TrustedKeys) > 0 {
		k, err := signature.ParseKeyring(r.TrustedKeys...)
		if err != nil {
			return nil, "", fmt.Errorf("operator-configured keys: %v: %w", err, ErrInvalidArgument)
		}
		return k, KeyOperator, nil
	}
	if len(embedded) == 0 {
		return nil, "", nil
	}
	k, err := signature.ParseKeyring(embedded...)
	if err != nil {
		return nil, "", fmt.Errorf("the plugin's embedded keys: %w", err)
	}
	return k, KeyEmbedded, nil
}
