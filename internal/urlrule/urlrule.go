// Package urlrule is the one place that says which URLs fetchd will hand to
// go-getter. Both the sdk (checking a plugin's own answer before it is sent)
// and the host (checking it again on arrival, and checking direct-URL images
// from the config) use it.
package urlrule

import (
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strings"
)

// forcedGetter matches go-getter's "getter::url" forcing syntax.
var forcedGetter = regexp.MustCompile(`^[A-Za-z0-9]+::`)

// reservedQuery are the query parameters go-getter interprets itself.
var reservedQuery = []string{"archive", "checksum", "filename"}

// Error says why a URL is refused.
type Error struct {
	URL    string
	Reason string
}

func (e *Error) Error() string { return fmt.Sprintf("url %q refused: %s", e.URL, e.Reason) }

// Check reports whether raw may be downloaded. It must be https://, or
// http:// on exactly the host and port of httpBase when httpBase (an
// operator-configured base URL) is itself http://. It must have a host, no
// user info, no fragment, no "//" in its path, no go-getter forcing prefix,
// no query parameter go-getter reserves, and a query that survives
// re-encoding unchanged (go-getter re-encodes it).
func Check(raw, httpBase string) (*url.URL, error) {
	fail := func(format string, args ...any) (*url.URL, error) {
		return nil, &Error{URL: raw, Reason: fmt.Sprintf(format, args...)}
	}
	if raw == "" {
		return fail("empty")
	}
	if len(raw) > 4096 {
		return fail("longer than 4096 bytes")
	}
	for _, r := range raw {
		if r < 0x21 || r == 0x7f {
			return fail("contains a space or control character")
		}
	}
	if forcedGetter.MatchString(raw) {
		return fail("go-getter forcing prefix (\"x::\") not allowed")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fail("does not parse: %v", err)
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !sameHTTPOrigin(u, httpBase) {
			return fail("http:// is allowed only on the host of an http:// base_url the operator configured")
		}
	default:
		return fail("scheme %q not allowed (https only)", u.Scheme)
	}
	if u.Opaque != "" || u.Host == "" || u.Hostname() == "" {
		return fail("no host")
	}
	if u.User != nil {
		return fail("user info not allowed")
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		return fail("fragment not allowed")
	}
	if strings.Contains(u.EscapedPath(), "//") {
		return fail(`"//" in the path not allowed (go-getter reads it as a subdirectory)`)
	}
	if u.RawQuery != "" {
		q, err := url.ParseQuery(u.RawQuery)
		if err != nil {
			return fail("query does not parse: %v", err)
		}
		for _, k := range reservedQuery {
			if q.Has(k) {
				return fail("query parameter %q is reserved by go-getter", k)
			}
		}
		if q.Encode() != u.RawQuery {
			return fail("query is not in canonical form (go-getter would re-encode it)")
		}
	}
	return u, nil
}

// sameHTTPOrigin reports whether u is on the host and port of base, and base
// is an http:// URL.
func sameHTTPOrigin(u *url.URL, base string) bool {
	if base == "" {
		return false
	}
	b, err := url.Parse(base)
	if err != nil || b.Scheme != "http" {
		return false
	}
	return HostPort(b) == HostPort(u)
}

// HostPort returns u's "host:port": the host lowercased, the scheme's
// default port filled in (80 for http, 443 for https), an IPv6 address in
// brackets. It is the form network policies compare.
func HostPort(u *url.URL) string {
	port := u.Port()
	if port == "" {
		switch u.Scheme {
		case "http":
			port = "80"
		case "https":
			port = "443"
		}
	}
	return net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}

// HTTPHostPort returns "host:port" of an http:// base URL, for the network
// policy's list of hosts where plain http is allowed, or "" if base is not
// an http:// URL.
func HTTPHostPort(base string) string {
	b, err := url.Parse(base)
	if err != nil || b.Scheme != "http" || b.Host == "" {
		return ""
	}
	return HostPort(b)
}
