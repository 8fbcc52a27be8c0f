package netpolicy

import (
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/sandlabx/fetchd/internal/urlrule"
)

// Defaults applied by Policy for fields left at their zero value.
const (
	DefaultMaxRedirects          = 5
	DefaultConnectTimeout        = 30 * time.Second
	DefaultTLSHandshakeTimeout   = 15 * time.Second
	DefaultResponseHeaderTimeout = 30 * time.Second
	DefaultIdleTimeout           = 60 * time.Second
	DefaultUserAgent             = "fetchd"
)

// Policy says how fetchd talks to the network. The zero value is usable:
// https only, the defaults above, system roots.
type Policy struct {
	// AllowHTTP lists "host:port" pairs where http:// is allowed, derived
	// from operator-configured http:// base URLs (a local mirror, a test
	// server). A bare "host" means "host:80". Everything else must be https.
	AllowHTTP []string
	// MaxRedirects is the number of redirect hops followed: 0 means
	// DefaultMaxRedirects, a negative value means none.
	MaxRedirects int
	// ConnectTimeout bounds dialing a connection.
	ConnectTimeout time.Duration
	// TLSHandshakeTimeout bounds the TLS handshake.
	TLSHandshakeTimeout time.Duration
	// ResponseHeaderTimeout bounds the wait for response headers once the
	// request is written. Zero means DefaultResponseHeaderTimeout, or
	// IdleTimeout when that is shorter: a server that sends nothing at all
	// is idle too.
	ResponseHeaderTimeout time.Duration
	// IdleTimeout is how long a body may go without a single byte arriving.
	// It is enforced by readers (IdleReader), not as a total deadline: a
	// slow download is fine as long as bytes keep coming.
	IdleTimeout time.Duration
	// CAFile is a PEM bundle whose certificates are trusted in addition to
	// the system roots (which already honour SSL_CERT_FILE and
	// SSL_CERT_DIR). "" means system roots only. A file without any
	// certificate is an error.
	CAFile string
	// RootCAs, when set, replaces the system roots (CAFile is still added
	// to it). Meant for tests that trust an httptest TLS server and for
	// callers that build their own pool; the pool is not modified.
	RootCAs *x509.CertPool
	// UserAgent is sent with every request that has none; "" means
	// DefaultUserAgent.
	UserAgent string
}

// WithDefaults returns p with every zero field set to its default.
func (p Policy) WithDefaults() Policy {
	if p.MaxRedirects == 0 {
		p.MaxRedirects = DefaultMaxRedirects
	}
	if p.MaxRedirects < 0 {
		p.MaxRedirects = -1
	}
	if p.ConnectTimeout <= 0 {
		p.ConnectTimeout = DefaultConnectTimeout
	}
	if p.TLSHandshakeTimeout <= 0 {
		p.TLSHandshakeTimeout = DefaultTLSHandshakeTimeout
	}
	if p.IdleTimeout <= 0 {
		p.IdleTimeout = DefaultIdleTimeout
	}
	if p.ResponseHeaderTimeout <= 0 {
		p.ResponseHeaderTimeout = min(DefaultResponseHeaderTimeout, p.IdleTimeout)
	}
	if p.UserAgent == "" {
		p.UserAgent = DefaultUserAgent
	}
	return p
}

// PolicyError says that a URL, or a redirect to it, breaks the policy.
type PolicyError struct {
	URL    string // the refused URL, with any password redacted
	Reason string // the rule it breaks
}

func (e *PolicyError) Error() string {
	return fmt.Sprintf("url %s refused: %s", e.URL, e.Reason)
}

// CheckURL reports whether u may be contacted: scheme https, or http on a
// host:port listed in AllowHTTP; a host; no user info. The error is a
// *PolicyError naming the URL and the rule.
func (p Policy) CheckURL(u *url.URL) error {
	if u == nil {
		return &PolicyError{URL: "<nil>", Reason: "no URL"}
	}
	fail := func(format string, args ...any) error {
		return &PolicyError{URL: u.Redacted(), Reason: fmt.Sprintf(format, args...)}
	}
	if u.User != nil {
		return fail("user info in the URL is not allowed")
	}
	if u.Opaque != "" || u.Host == "" || u.Hostname() == "" {
		return fail("a host is required")
	}
	if port := u.Port(); port != "" && !validPort(port) {
		return fail("invalid port %q", port)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if p.AllowsHTTP(u) {
			return nil
		}
		return fail("http:// is allowed only on a host:port the operator configured as an http:// base URL (%s is not one); use https", HostPort(u))
	case "":
		return fail("no scheme (https required)")
	default:
		return fail("scheme %q is not allowed (https required)", u.Scheme)
	}
}

// AllowsHTTP reports whether plain http is allowed for u's host and port.
func (p Policy) AllowsHTTP(u *url.URL) bool {
	if u == nil || u.Scheme != "http" {
		return false
	}
	want := HostPort(u)
	for _, a := range p.AllowHTTP {
		if n, err := normalizeHostPort(a); err == nil && n == want {
			return true
		}
	}
	return false
}

// HostPort returns u's "host:port" in the form AllowHTTP uses: host
// lowercased, the scheme's default port filled in (80 for http, 443 for
// https), IPv6 addresses in brackets.
func HostPort(u *url.URL) string { return urlrule.HostPort(u) }

// normalizeHostPort turns an AllowHTTP entry into HostPort's form.
func normalizeHostPort(s string) (string, error) {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		var ae *net.AddrError
		if !errors.As(err, &ae) || !strings.Contains(ae.Err, "missing port") {
			return "", err
		}
		host, port = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]"), "80"
	}
	if host == "" || !validPort(port) {
		return "", fmt.Errorf("allow-http entry %q: want host:port", s)
	}
	return net.JoinHostPort(strings.ToLower(host), port), nil
}

// CheckAllowHTTP validates the AllowHTTP entries, for config loading.
func (p Policy) CheckAllowHTTP() error {
	for _, a := range p.AllowHTTP {
		if _, err := normalizeHostPort(a); err != nil {
			return fmt.Errorf("allow-http entry %q: %w", a, err)
		}
	}
	return nil
}

func validPort(s string) bool {
	if s == "" || len(s) > 5 {
		return false
	}
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
		n = n*10 + int(c-'0')
	}
	return n >= 1 && n <= 65535
}
