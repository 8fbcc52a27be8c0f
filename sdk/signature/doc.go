// Package signature verifies OpenPGP signatures over upstream metadata, for
// plugin authors.
//
// Upstreams that sign their checksum files do it with OpenPGP: Ubuntu
// publishes SHA256SUMS with a detached signature in SHA256SUMS.gpg, Fedora
// clearsigns its CHECKSUM files. A plugin embeds the upstream's public key
// (or takes keys the operator configured), and before it reads a single
// digest from the file it checks the signature here. Only the bytes this
// package vouches for may be parsed for digests.
//
// The flow for a detached signature:
//
//	keyring, err := signature.ParseKeyring(keys.UECImageSigningKey)
//	if err != nil {
//		return err // a programming or configuration error: fail
//	}
//	res, err := signature.VerifyDetached(keyring, sums, sig) // SHA256SUMS, SHA256SUMS.gpg
//	if err != nil {
//		return fmt.Errorf("verify %s: %w", sumsURL, err)
//	}
//	// res.Fingerprint names the key that vouched for sums; parse sums now.
//
// and for a clearsigned file, read digests only from the returned text:
//
//	text, res, err := signature.VerifyClearsigned(keyring, checksumFile)
//
// Everything fails closed. Every refusal is a *VerifyError (use errors.As)
// whose Reason tells the cases apart: a malformed signature, a signer that is
// not in the keyring (the error names the signer's key id and the keyring's
// fingerprints), a bad signature, an expired or revoked key, an expired
// signature, a signature dated after the verification time, or a weak or
// unsupported algorithm.
//
// The policy, in full:
//
//   - Signatures must use SHA-224, SHA-256, SHA-384, SHA-512, SHA3-256 or
//     SHA3-512. MD5, SHA-1 and RIPEMD-160 are refused. go-crypto's v1 API
//     does not enforce its own Reject*HashAlgorithms settings (they only
//     apply to its v2 API), so this package checks the hash itself and also
//     sets them in the packet.Config it passes, to keep both in step.
//   - Key self-signatures (the ones that bind a key to its identity and
//     subkeys to their primary key) may also use SHA-1 when they were made
//     before 2019-01-19, as GnuPG allows: long-lived upstream keys such as
//     Canonical's 2009 cloud-image key were self-signed that way.
//   - RSA keys need at least 2048 bits; DSA and ElGamal keys are refused.
//   - Expiry and revocation are judged at the verification time: the current
//     time unless At gives another. A key that has expired or been revoked by
//     then fails, even for a signature made while it was valid (go-crypto's v1
//     rule, and the conservative one: an old signature from a key its owner
//     let expire proves little today). A signature dated after the
//     verification time is refused too (a wrong clock on either side).
//   - Signing subkeys are accepted when their binding (and the subkey's
//     cross-signature) is valid; Result reports the primary key's fingerprint.
//   - A signature file may hold several signatures (as during an upstream key
//     rotation). Verification succeeds when at least one signature is by a key
//     in the keyring and every signature by a key in the keyring is good;
//     signatures by other keys are ignored. When no signature is by a key in
//     the keyring, the error names all the signers' key ids.
//   - Armored input must be exactly one armored block (only whitespace around
//     it); binary input must be OpenPGP packets and nothing else.
//
// Tests make throwaway keys and signatures with package sigtest.
package signature
