// Package registry runs a real OCI registry for tests: Debian's
// docker-registry (CNCF distribution 2.8) on 127.0.0.1, with TLS from a CA
// made for the test, and either htpasswd (bcrypt) or token authentication
// (a small token service signing JWTs with a key the registry trusts).
//
// It is for test code only. Require skips the test when docker-registry is
// not installed, unless FETCHD_REQUIRE_REGISTRY=1 (as CI sets), which fails
// it instead. The registry's storage directory is exposed so that tests can
// tamper with blobs behind its back, and its access log so that they can
// count what was uploaded.
package registry
