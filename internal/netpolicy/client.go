package netpolicy

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"
)

// Client returns an http.Client that follows the policy: proxy from the
// environment, TLS 1.2 or later, the dial, handshake and header timeouts,
// HTTP/2 when the server offers it, the User-Agent, and a CheckRedirect that
// refuses any hop CheckURL refuses and stops after MaxRedirects hops. It has
// no total deadline: bodies are bounded by IdleReader instead.
func (p Policy) Client() (*http.Client, error) {
	p = p.WithDefaults()
	tr, err := p.Transport()
	if err != nil {
		return nil, err
	}
	return &http.Client{
		Transport:     &uaTransport{base: tr, ua: p.UserAgent},
		CheckRedirect: p.CheckRedirect,
	}, nil
}

// DownloadClient is Client for image downloads over several connections:
// HTTP/1.1 only, so that several connections are several TCP connections
// (a server's per-connection throttle counts TCP flows; over HTTP/2 they
// would be streams of one), and up to perHost idle connections kept per
// host, so that a connection goes on from one range request to the next
// instead of being closed and dialed again.
func (p Policy) DownloadClient(perHost int) (*http.Client, error) {
	p = p.WithDefaults()
	tr, err := p.Transport()
	if err != nil {
		return nil, err
	}
	tr.ForceAttemptHTTP2 = false
	tr.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{} // non-nil, empty: no HTTP/2
	tr.MaxIdleConnsPerHost = max(perHost, 1)
	tr.MaxIdleConns = max(tr.MaxIdleConns, 4*tr.MaxIdleConnsPerHost)
	return &http.Client{
		Transport:     &uaTransport{base: tr, ua: p.UserAgent},
		CheckRedirect: p.CheckRedirect,
	}, nil
}

// UserAgent is the User-Agent fetchd sends: it names fetchd and its
// version, so a mirror's operator can tell who is fetching and which
// release behaves how.
func UserAgent(version string) string {
	if version == "" {
		version = "dev"
	}
	return DefaultUserAgent + "/" + version + " (+https://github.com/sandlabx/fetchd)"
}

// Transport returns the *http.Transport Client uses, without the
// User-Agent wrapper.
func (p Policy) Transport() (*http.Transport, error) {
	p = p.WithDefaults()
	pool, err := p.rootPool()
	if err != nil {
		return nil, err
	}
	dialer := &net.Dialer{Timeout: p.ConnectTimeout, KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		TLSClientConfig:       &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: pool},
		TLSHandshakeTimeout:   p.TLSHandshakeTimeout,
		ResponseHeaderTimeout: p.ResponseHeaderTimeout,
		ExpectContinueTimeout: time.Second,
		MaxIdleConns:          16,
		IdleConnTimeout:       90 * time.Second,
	}, nil
}

// CheckRedirect is the redirect rule Client uses, for callers that build
// their own http.Client: every hop must pass CheckURL (so https, or http on
// an allowed host:port; never file://, ftp:// or any other scheme), and at
// most MaxRedirects hops are followed.
func (p Policy) CheckRedirect(req *http.Request, via []*http.Request) error {
	p = p.WithDefaults()
	limit := max(p.MaxRedirects, 0)
	if len(via) > limit {
		return &PolicyError{
			URL:    req.URL.Redacted(),
			Reason: fmt.Sprintf("too many redirects: stopped after %d (starting at %s)", limit, via[0].URL.Redacted()),
		}
	}
	if err := p.CheckURL(req.URL); err != nil {
		var pe *PolicyError
		if !errors.As(err, &pe) {
			return err
		}
		return &PolicyError{
			URL:    pe.URL,
			Reason: fmt.Sprintf("redirect from %s: %s", via[len(via)-1].URL.Redacted(), pe.Reason),
		}
	}
	return nil
}

// rootPool returns the pool to verify servers with; nil means the system
// roots.
func (p Policy) rootPool() (*x509.CertPool, error) {
	var pool *x509.CertPool
	switch {
	case p.RootCAs != nil:
		pool = p.RootCAs.Clone()
	case p.CAFile != "":
		sys, err := x509.SystemCertPool()
		if err != nil {
			sys = x509.NewCertPool()
		}
		pool = sys
	}
	if p.CAFile != "" {
		pem, err := os.ReadFile(p.CAFile)
		if err != nil {
			return nil, fmt.Errorf("read CA bundle: %w", err)
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("CA bundle %s: no PEM certificate found", p.CAFile)
		}
	}
	return pool, nil
}

// uaTransport sets the User-Agent on requests that have none.
type uaTransport struct {
	base http.RoundTripper
	ua   string
}

func (t *uaTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Header.Get("User-Agent") == "" {
		req = req.Clone(req.Context())
		req.Header.Set("User-Agent", t.ua)
	}
	return t.base.RoundTrip(req)
}

// CloseIdleConnections lets http.Client.CloseIdleConnections reach the
// underlying transport.
func (t *uaTransport) CloseIdleConnections() {
	if c, ok := t.base.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}
