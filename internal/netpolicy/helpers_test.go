package netpolicy

import (
	"encoding/pem"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
)

// countingServer serves h on 127.0.0.1 (TLS when tlsOn) and counts requests.
type countingServer struct {
	*httptest.Server
	hits atomic.Int64
}

func newServer(t *testing.T, tlsOn bool, h http.HandlerFunc) *countingServer {
	t.Helper()
	cs := &countingServer{}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cs.hits.Add(1)
		h(w, r)
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // expected handshake failures
	if tlsOn {
		srv.StartTLS()
	} else {
		srv.Start()
	}
	cs.Server = srv
	t.Cleanup(srv.Close)
	return cs
}

// trusting returns p with RootCAs set to trust the TLS server srv.
func trusting(p Policy, srv *httptest.Server) Policy {
	p.RootCAs = srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
	return p
}

// caFile writes srv's certificate to a PEM file and returns its path.
func caFile(t *testing.T, srv *httptest.Server) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ca.pem")
	data := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// allowHTTP returns p allowing plain http on srv's host:port.
func allowHTTP(p Policy, srv *httptest.Server) Policy {
	u, err := url.Parse(srv.URL)
	if err != nil {
		panic(err)
	}
	p.AllowHTTP = append(p.AllowHTTP, HostPort(u))
	return p
}
