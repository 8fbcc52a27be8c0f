// Package sdktest is the conformance kit for fetchd source plugins.
//
// It runs a plugin the way fetchd does, as a child process over go-plugin's
// gRPC with fetchd's own host code, and checks the contract: the handshake
// and protocol version, the behaviour when started by hand, a valid
// Describe, NOT_FOUND for releases, architectures and variants the source
// does not offer, and, for each Case the author gives, a Resolve answer that
// passes fetchd's validation (or the error kind the case expects).
//
// Use it from the plugin's own tests:
//
//	func TestMain(m *testing.M) { sdktest.Main(m, mysource.New()) }
//
//	func TestConformance(t *testing.T) {
//		srv := httptest.NewServer(...) // a replica of upstream's layout
//		defer srv.Close()
//		sdktest.Run(t, mysource.New(), sdktest.Case{Name: "default", BaseURL: srv.URL})
//	}
//
// Main makes the test binary able to serve the source as a plugin process,
// so Run needs no `go build`; RunBinary checks an already built binary.
package sdktest
