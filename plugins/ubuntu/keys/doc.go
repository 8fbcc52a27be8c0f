// Package keys holds the OpenPGP key the Ubuntu plugin trusts: Canonical's
// "UEC Image Automatic Signing Key <cdimage@ubuntu.com>", which signs
// SHA256SUMS on cloud-images.ubuntu.com (the detached SHA256SUMS.gpg).
//
// The plugin builds its keyring from it (plus any keys the operator
// configured) and checks every SHA256SUMS with package sdk/signature before
// reading a digest from it:
//
//	keyring, err := signature.ParseKeyring(keys.UECImageSigningKey)
package keys
