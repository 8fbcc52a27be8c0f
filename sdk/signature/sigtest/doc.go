// Package sigtest makes throwaway OpenPGP keys and signatures for tests: the
// tests of package signature, and the upstream replicas that sign a
// replica's SHA256SUMS the way Canonical signs the real one.
//
// Keys are Ed25519 (legacy EdDSA, as GnuPG makes them), so making one takes
// well under a millisecond. With WithSeed and WithTime a key and its
// signatures are the same bytes on every run, which fuzz targets need (each
// fuzz worker process builds its own key).
//
//	key := sigtest.MustNewKey("Replica Signing Key", "replica@example.test")
//	sums := []byte("0123… *ubuntu-24.04-server-cloudimg-amd64.img\n")
//	sig := key.SignDetached(sums, true) // serve as SHA256SUMS.gpg
//	keyring, _ := signature.ParseKeyring(key.PublicArmored())
//
// Never use these keys for anything but tests.
package sigtest
