package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// Timeouts and bounds of every listener. They are documented in README.md
// and SECURITY.md.
const (
	ReadHeaderTimeout = 5 * time.Second
	ReadTimeout       = 15 * time.Second
	WriteTimeout      = 30 * time.Second
	IdleTimeout       = 60 * time.Second
	MaxHeaderBytes    = 16 << 10
	// MaxStreams bounds concurrent GET /v1/events streams.
	MaxStreams = 1024
	// MutateRate and MutateBurst bound calls that change something, per
	// service; RefusedRate and RefusedBurst bound refused attempts at them
	// (a wrong or missing token), separately, so that an attacker guessing
	// tokens cannot use up the budget of the token's holders.
	MutateRate   = 10
	MutateBurst  = 20
	RefusedRate  = 2
	RefusedBurst = 10
)

// Options configure a Server.
type Options struct {
	// Version is reported by /healthz and in the User-Agent of nothing:
	// only for the health body.
	Version string
	// Metrics serves GET /metrics; nil answers 404.
	Metrics http.Handler
	// UI, if set, is mounted at GET / (a web UI on the same listener).
	UI http.Handler
	// ErrorLog receives the HTTP servers' own errors; nil discards them.
	ErrorLog *log.Logger
	// Observe, if set, is told how long each call took, by route (the
	// event stream, which lasts as long as the client stays, is left out).
	Observe func(route string, status int, took time.Duration)
	// NoStreams, if set, is called when the last event stream closes.
	NoStreams func()
}

// Server is the API over one or more listeners.
type Server struct {
	backend Backend
	opts    Options
	access  Access
	mux     *http.ServeMux

	mutate  *rate.Limiter
	refused *rate.Limiter
	streams atomic.Int64

	// done is closed by Shutdown: event streams end.
	done     chan struct{}
	doneOnce sync.Once
	mu       sync.Mutex
	servers  []*http.Server
}

// New builds the API. Set the token (Access().Set) before serving.
func New(b Backend, opts Options) *Server {
	s := &Server{
		backend: b,
		opts:    opts,
		mux:     http.NewServeMux(),
		mutate:  rate.NewLimiter(MutateRate, MutateBurst),
		refused: rate.NewLimiter(RefusedRate, RefusedBurst),
		done:    make(chan struct{}),
	}
	s.register()
	return s
}

// Access is who may call what; the service sets the token on start and
// on every reload.
func (s *Server) Access() *Access { return &s.access }

// Handler is the API as one http.Handler, for tests. Requests reach it as
// if from a TCP listener that is not loopback.
func (s *Server) Handler() http.Handler { return s.mux }

// ListenerKind says what a listener is, for who may call through it.
type ListenerKind int

const (
	// UnixSocket: the peer's uid is checked; read-only calls need no token.
	UnixSocket ListenerKind = iota
	// LoopbackTCP: only this machine can connect; Host must name loopback.
	LoopbackTCP
	// PublicTCP: anyone who can route to it; the token is required.
	PublicTCP
)

// Serve answers on ln until Shutdown. It returns nil after Shutdown.
func (s *Server) Serve(ln net.Listener, kind ListenerKind) error {
	errLog := s.opts.ErrorLog
	if errLog == nil {
		errLog = log.New(io.Discard, "", 0)
	}
	self := uint32(os.Getuid())
	srv := &http.Server{
		Handler:           s.mux,
		ReadHeaderTimeout: ReadHeaderTimeout,
		ReadTimeout:       ReadTimeout,
		WriteTimeout:      WriteTimeout,
		IdleTimeout:       IdleTimeout,
		MaxHeaderBytes:    MaxHeaderBytes,
		ErrorLog:          errLog,
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			info := conn{loopback: kind == LoopbackTCP}
			if uc, ok := c.(*net.UnixConn); ok {
				info.unix = true
				uid, err := peerUID(uc)
				info.peerUID = uid
				info.peerOK = err == nil && (uint32(uid) == self || uid == 0)
			}
			return context.WithValue(ctx, connKey{}, info)
		},
	}
	s.mu.Lock()
	select {
	case <-s.done:
		s.mu.Unlock()
		return nil
	default:
	}
	s.servers = append(s.servers, srv)
	s.mu.Unlock()
	err := srv.Serve(ln)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown ends event streams, stops accepting, and waits for calls in
// progress until ctx is done; then it closes what is left.
func (s *Server) Shutdown(ctx context.Context) error {
	s.doneOnce.Do(func() { close(s.done) })
	s.mu.Lock()
	servers := append([]*http.Server(nil), s.servers...)
	s.mu.Unlock()
	var first error
	for _, srv := range servers {
		if err := srv.Shutdown(ctx); err != nil {
			srv.Close()
			if first == nil {
				first = err
			}
		}
	}
	return first
}

// writeJSON answers v with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		data, _ = json.Marshal(ErrorBody{Error: "encoding the answer: " + err.Error(), Status: status})
	}
	data = append(data, '\n')
	h := w.Header()
	h.Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(data)
}

// writeError answers err: a *StatusError with its status, anything else
// as a 500.
func writeError(w http.ResponseWriter, err error) {
	var se *StatusError
	if !errors.As(err, &se) {
		se = &StatusError{Status: http.StatusInternalServerError, Msg: err.Error()}
	}
	switch se.Status {
	case http.StatusUnauthorized:
		w.Header().Set("WWW-Authenticate", `Bearer realm="fetchd"`)
	case http.StatusTooManyRequests:
		w.Header().Set("Retry-After", "1")
	}
	writeJSON(w, se.Status, ErrorBody{Error: se.Msg, Status: se.Status})
}

// secure sets the headers every answer carries: nothing is cached, sniffed,
// framed or sent a referrer, and a browser runs nothing from an API answer.
func secure(h http.Header) {
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
}
