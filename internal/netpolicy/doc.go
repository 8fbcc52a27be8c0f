// Package netpolicy is the host's one network policy: which URLs fetchd may
// contact (https, or plain http only on host:port pairs the operator
// configured), how redirects are followed (https only, a few hops), the
// connection, TLS and header timeouts, the CA bundle, and the idle timeout
// that readers enforce while a body streams in.
//
// It is for the packages that touch the network: internal/download builds
// its go-getter client on Policy.Client, and the fetch service that plugins
// use for metadata calls Get. Nothing else in fetchd should build an
// http.Client of its own.
//
// Tests that serve https from httptest.NewTLSServer can trust the server's
// certificate either by writing it to a PEM file and setting CAFile, or by
// setting RootCAs to a pool holding it (for example
// srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs).
package netpolicy
