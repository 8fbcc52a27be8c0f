package alpine

import "github.com/sandlabx/fetchd/sdk"

// The Signature details Resolve reports; see "Signatures" in the package
// documentation.
const (
	detailNoKey = "upstream's .asc signs the image itself, not its .sha512, and no key is configured: digest from .sha512 over https"
	detailKeys  = "digest from .sha512 over https; fetchd checks the image's .asc against the operator's keys after download"
)

// signature returns the Signature of every answer, and whether the operator
// configured keys. The keys are parsed here so that a key file that is not
// a key is reported at once; fetchd, not the plugin, checks the .asc.
func signature(req sdk.ResolveRequest) (sdk.Signature, bool, error) {
	keys, _, err := req.Keyring()
	if err != nil {
		return sdk.Signature{}, false, err
	}
	if keys != nil {
		return sdk.Unsigned(detailKeys), true, nil
	}
	return sdk.Unsigned(detailNoKey), false, nil
}
