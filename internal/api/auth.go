package api

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
)

// Access says who may call what. The token may change while the service
// runs (a reload), so it is held behind an atomic pointer.
type Access struct {
	token      atomic.Pointer[[sha256.Size]byte]
	publicRead atomic.Bool
}

// Set installs the token every mutating call must carry and whether
// read-only calls are open to anyone who can reach a listener.
func (a *Access) Set(token string, publicRead bool) {
	sum := sha256.Sum256([]byte(token))
	a.token.Store(&sum)
	a.publicRead.Store(publicRead)
}

// tokenOK compares in constant time (over the hashes, so the length of the
// token leaks nothing either).
func (a *Access) tokenOK(tok string) bool {
	want := a.token.Load()
	if want == nil {
		return false
	}
	got := sha256.Sum256([]byte(tok))
	return subtle.ConstantTimeCompare(got[:], want[:]) == 1
}

// conn is what the API knows about the connection a request came in on.
type conn struct {
	// unix: the request came in on the Unix socket; peerUID is the
	// connecting process's uid (from SO_PEERCRED), peerOK whether it may
	// use the socket.
	unix    bool
	peerUID int
	peerOK  bool
	// loopback: a TCP listener bound to loopback addresses only.
	loopback bool
}

type connKey struct{}

func connOf(ctx context.Context) conn {
	c, _ := ctx.Value(connKey{}).(conn)
	return c
}

// class is how much a route needs.
type class int

const (
	// open: no credentials (health and readiness).
	open class = iota
	// read: the token, or the socket's peer check, or public_read.
	read
	// mutate: always the token, and the rate limit.
	mutate
)

// authorize decides a request. It returns nil to let it through, or the
// refusal.
func (s *Server) authorize(r *http.Request, cl class) *StatusError {
	c := connOf(r.Context())
	if c.unix && !c.peerOK {
		return &StatusError{Status: http.StatusForbidden, Msg: "this socket is for fetchd's own user: the connecting process runs as another uid"}
	}
	if !c.unix && c.loopback && !loopbackHost(r.Host) {
		return &StatusError{Status: http.StatusForbidden, Msg: "requests to a loopback listener must name it as localhost or a loopback address in Host (refused: DNS rebinding protection)"}
	}
	if o := r.Header.Get("Origin"); o != "" && !sameOrigin(o, r.Host) {
		return &StatusError{Status: http.StatusForbidden, Msg: "cross-origin requests are refused (no CORS)"}
	}
	if cl == open {
		return nil
	}
	if cl == read && (c.unix || s.access.publicRead.Load()) {
		return nil
	}
	h := r.Header.Get("Authorization")
	if h == "" {
		return &StatusError{Status: http.StatusUnauthorized, Msg: "this call needs the API token: Authorization: Bearer <token>"}
	}
	tok, ok := ParseBearer(h)
	if !ok {
		return &StatusError{Status: http.StatusUnauthorized, Msg: "the Authorization header must be Bearer <token>"}
	}
	if !s.access.tokenOK(tok) {
		return &StatusError{Status: http.StatusForbidden, Msg: "wrong API token"}
	}
	return nil
}

// loopbackHost reports whether a Host header names this machine's
// loopback: localhost or a loopback IP, with any port.
func loopbackHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// sameOrigin reports whether an Origin header is the origin the request
// was sent to (a page the service itself served).
func sameOrigin(origin, host string) bool {
	u, err := url.Parse(origin)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && strings.EqualFold(u.Host, host)
}
