package keys

import _ "embed"

// UECImageSigningKeyFingerprint is the fingerprint of UECImageSigningKey
// (rsa4096, made 2009-09-15), as Canonical publishes it:
// D2EB 4462 6FDD C30B 513D 5BB7 1A5D 6C4C 7DB8 7C81.
const UECImageSigningKeyFingerprint = "D2EB44626FDDC30B513D5BB71A5D6C4C7DB87C81"

// UECImageSigningKey is the armored public key "UEC Image Automatic Signing
// Key <cdimage@ubuntu.com>", and nothing else: its primary key, its user id
// and its two self-signatures (2009, SHA-1; 2025-08-28, SHA-512). It has no
// subkeys and no expiry.
//
// Where it comes from: there is no network where this was written, so the
// key material was found in public source code: a keyserver.ubuntu.com
// (Hockeypuck) export embedded in a GitHub project's Swift source, and an
// older export (2009 self-signature only) embedded in dm0-/installer's
// ubuntu.sh. From the keyserver export, the key packet, the user id and the
// self-signatures were kept; third-party certifications were dropped.
//
// Why it can be trusted anyway: a v4 fingerprint is a SHA-1 hash over the key
// material itself, so material whose fingerprint is
// UECImageSigningKeyFingerprint is Canonical's key, wherever it was copied
// from. The fingerprint was checked with go-crypto when the file was made,
// and TestUECImageSigningKey checks it again on every run. Both exports have
// the same key material, and the key verifies a real SHA256SUMS.gpg from
// cloud-images.ubuntu.com (testdata/).
//
// To refresh it (e.g. when Canonical adds a self-signature or an expiry),
// export it again with "gpg --export-options export-minimal --armor --export
// D2EB44626FDDC30B513D5BB71A5D6C4C7DB87C81" and let the tests confirm the
// fingerprint.
//
//go:embed uec-image-signing-key.asc
var UECImageSigningKey []byte
