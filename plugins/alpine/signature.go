package alpine

import "github.com/sandlabx/fetchd/sdk"

// The Signature details Resolve reports; see "Signatures" in the package
// documentation for why the answer is always unsigned.
const (
	detailNoKey = "upstream's .asc signs the image itself, not its .sha512, and no key is configured: digest from .sha512 over https, unsigned"
	detailKeys  = "operator keys not used: upstream's .asc signs the image itself, which this plugin never reads: digest from .sha512 over https, unsigned"
)

// signature returns the Signature of every answer. Operator keys are still
// parsed, so that a key file that is not a key is reported rather than
// ignored; they cannot be used (see the package documentation).
func signature(req sdk.ResolveRequest) (sdk.Signature, error) {
	keys, _, err := req.Keyring()
	if err != nil {
		return sdk.Signature{}, err
	}
	if keys != nil {
		return sdk.Unsigned(detailKeys), nil
	}
	return sdk.Unsigned(detailNoKey), nil
}
