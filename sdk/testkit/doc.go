// Package testkit is what a source plugin's tests need besides the
// conformance kit (sdk/sdktest): a local stand-in for the upstream mirror,
// small real disk images, and checksum files to sign with a test key
// (sdk/signature/sigtest). It uses only the standard library and the
// public sdk packages, so a third-party plugin's tests need nothing else:
//
//	root := t.TempDir()
//	img := testkit.Qcow2(64 << 20)                  // a real, empty qcow2
//	testkit.WriteFile(t, root, "41/Fedora-41.qcow2", img)
//	sums := testkit.BSDChecksums(map[string][]byte{"Fedora-41.qcow2": img}, true)
//	testkit.WriteFile(t, root, "41/CHECKSUM", key.Clearsign(sums))
//	m := testkit.Serve(t, root, testkit.Apache)     // http://127.0.0.1:port/
//
// The Mirror serves the tree the way mirrors do where a plugin or fetchd
// can tell: a directory without index.html gets an autoindex listing in
// Apache, nginx or lighttpd style (with sizes and dates, which sdk/listing
// reads); every file has Last-Modified and an ETag and answers conditional
// requests (304) and Range requests (206); a directory asked for without
// its trailing slash redirects. Redirect and Hook make it misbehave for
// fault tests.
package testkit
