package pluginhost

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	sourcev1 "github.com/sandlabx/fetchd/internal/gen/fetchd/source/v1"
	"github.com/sandlabx/fetchd/internal/wire"
	"github.com/sandlabx/fetchd/sdk"
)

// hostPlugin is the host side of go-plugin's GRPCPlugin.
type hostPlugin struct {
	plugin.NetRPCUnsupportedPlugin
}

func (hostPlugin) GRPCServer(*plugin.GRPCBroker, *grpc.Server) error {
	return errors.New("pluginhost: the host side serves no plugin")
}

func (hostPlugin) GRPCClient(_ context.Context, broker *plugin.GRPCBroker, conn *grpc.ClientConn) (any, error) {
	return &rpcClient{source: sourcev1.NewSourceServiceClient(conn), broker: broker}, nil
}

type rpcClient struct {
	source sourcev1.SourceServiceClient
	broker *plugin.GRPCBroker
}

// Request is what the host asks a source to resolve.
type Request struct {
	Release string // name or alias; "" = the source's default
	Arch    string // name or alias
	Variant string // "" = the source's default
	// BaseURL is the operator's override, or "".
	BaseURL string
	// TrustedKeys are the operator's keys for every release of the source;
	// ReleaseKeys, when not nil, holds them per canonical release name
	// instead, and the plugin is sent only the requested release's (none
	// for a release that is not listed). KeysWhere names the setting in
	// messages ("fetchd.yaml:7: sources.fedora.keys").
	TrustedKeys [][]byte
	ReleaseKeys map[string][][]byte
	KeysWhere   string
	// OnFetch, if set, is told of every metadata document the plugin
	// fetched: its URL, the body served (nil on error) and the error.
	OnFetch func(url string, body []byte, err error)
}

// Resolve asks the plugin for the current artifact and validates the answer
// against the protocol's rules and against the request.
func (p *Plugin) Resolve(ctx context.Context, req Request) (sdk.Artifact, error) {
	release, arch, variant, err := p.Desc.Canonical(req.Release, req.Arch, req.Variant)
	if err != nil {
		return sdk.Artifact{}, &Error{Source: p.Name, Origin: p.Origin(), Op: "Resolve", Kind: Failed, Code: codes.NotFound, Err: err}
	}
	return p.resolve(ctx, req, release, arch, variant)
}

// ResolveAsIs sends the request's names to the plugin as they are, without
// the host turning aliases and defaults into canonical names first. The
// conformance kit uses it to check that a plugin refuses what it does not
// offer; fetchd itself uses Resolve.
func (p *Plugin) ResolveAsIs(ctx context.Context, req Request) (sdk.Artifact, error) {
	return p.resolve(ctx, req, req.Release, req.Arch, req.Variant)
}

func (p *Plugin) resolve(ctx context.Context, req Request, release, arch, variant string) (sdk.Artifact, error) {
	keys, err := p.keysFor(req, release)
	if err != nil {
		return sdk.Artifact{}, &Error{Source: p.Name, Origin: p.Origin(), Op: "Resolve", Kind: Failed, Code: codes.InvalidArgument, Err: err}
	}
	base := strings.TrimRight(req.BaseURL, "/")
	if base == "" {
		base = strings.TrimRight(p.Desc.DefaultBaseURL, "/")
	}

	var fetchErr firstError
	onFetch := func(url string, body []byte, err error) {
		fetchErr.set(err)
		if req.OnFetch != nil {
			req.OnFetch(url, body, err)
		}
	}
	id, stop := serveFetch(p.rpc.broker, &fetchServer{fetcher: p.host.opts.Fetcher, onFetch: onFetch})
	defer stop()

	timeout := p.host.opts.ResolveTimeout
	rctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	resp, err := p.rpc.source.Resolve(rctx, &sourcev1.ResolveRequest{
		Release:        release,
		Arch:           arch,
		Variant:        variant,
		BaseUrl:        req.BaseURL,
		FetchServiceId: id,
		TrustedKeys:    keys,
	})
	if err != nil {
		if ctx.Err() != nil {
			return sdk.Artifact{}, ctx.Err()
		}
		e := p.callError("Resolve", timeout, err)
		if pe, ok := e.(*Error); ok && (pe.Kind == Failed || pe.Kind == Timeout) {
			// The plugin's message restates what it was told; the host's
			// own error for the fetch says which host and why.
			pe.Fetch = fetchErr.get()
		}
		return sdk.Artifact{}, e
	}
	if resp.GetArtifact() == nil {
		return sdk.Artifact{}, &Error{Source: p.Name, Origin: p.Origin(), Op: "Resolve", Kind: InvalidAnswer, Err: errors.New("no artifact in the answer")}
	}
	art := artifactFromProto(resp.GetArtifact())
	if err := art.Validate(base, p.Desc); err != nil {
		return sdk.Artifact{}, &Error{Source: p.Name, Origin: p.Origin(), Op: "Resolve", Kind: InvalidAnswer, Err: err}
	}
	if wr, wa, wv, err := p.Desc.Canonical(release, arch, variant); err == nil {
		release, arch, variant = wr, wa, wv
	}
	if art.Release != release || art.Arch != arch || art.Variant != variant {
		return sdk.Artifact{}, &Error{Source: p.Name, Origin: p.Origin(), Op: "Resolve", Kind: InvalidAnswer,
			Err: fmt.Errorf("asked for %s/%s/%s, answered for %s/%s/%s", release, arch, variant, art.Release, art.Arch, art.Variant)}
	}
	return art, nil
}

// keysFor picks the operator's keys for release (canonical). Every release
// a ReleaseKeys mapping names must be a canonical release name of the
// source: a typo or an alias would otherwise silently leave a release with
// the plugin's own keys.
func (p *Plugin) keysFor(req Request, release string) ([][]byte, error) {
	if req.ReleaseKeys == nil {
		return req.TrustedKeys, nil
	}
	where := req.KeysWhere
	if where == "" {
		where = "keys"
	}
	names := make([]string, 0, len(req.ReleaseKeys))
	for r := range req.ReleaseKeys {
		names = append(names, r)
	}
	sort.Strings(names)
	for _, r := range names {
		canon, err := p.Desc.CanonicalRelease(r)
		switch {
		case err != nil:
			return nil, fmt.Errorf("%s: %w", where, err)
		case canon != r:
			return nil, fmt.Errorf("%s: %q is an alias of release %s: key each release by its canonical name", where, r, canon)
		}
	}
	return req.ReleaseKeys[release], nil
}

// firstError keeps the first non-nil error it is given.
type firstError struct {
	mu  sync.Mutex
	err error
}

func (f *firstError) set(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err == nil {
		f.err = err
	}
}

func (f *firstError) get() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.err
}

// callError turns a failed RPC into an *Error, telling a crash, a timeout
// and the plugin's own error apart.
func (p *Plugin) callError(op string, timeout time.Duration, err error) error {
	e := &Error{Source: p.Name, Origin: p.Origin(), Op: op, Err: err}
	st, _ := status.FromError(err)
	code := st.Code()
	// A crash shows up on the connection a moment before the process is
	// reaped, so give it a moment when the connection broke.
	broken := code == codes.Unavailable || code == codes.Canceled || code == codes.Internal
	switch {
	case code == codes.ResourceExhausted && strings.Contains(st.Message(), "larger than max"):
		e.Kind = InvalidAnswer
		e.Err = fmt.Errorf("answer larger than the %d-byte cap", wire.MaxAnswerBytes)
		p.stop(e)
	case code == codes.DeadlineExceeded && !p.client.Exited():
		e.Kind = Timeout
		e.Err = fmt.Errorf("no answer within %s (the plugin hangs or upstream is very slow)", timeout)
		p.stop(e)
	case p.stopped.Load() != nil:
		// The host killed the plugin because another call failed; this
		// call was cut off by that, not by a crash.
		prev := p.stopped.Load()
		e.Kind = prev.Kind
		e.Err = fmt.Errorf("fetchd stopped the plugin after another %s call failed: %w", prev.Op, prev.Err)
	case p.client.Exited() || (broken && p.waitExited(500*time.Millisecond)):
		e.Kind = Crashed
		e.Err = errors.New("the plugin process died")
		e.Stderr = p.stderr.String()
	case code == codes.Unimplemented:
		e.Kind, e.Code = Failed, code
		e.Err = fmt.Errorf("the plugin does not implement %s", op)
	default:
		e.Kind, e.Code = Failed, code
		e.Err = errors.New(st.Message())
	}
	return e
}

// stop kills the plugin's process because of e, which the calls cut off by
// the kill then report. The first reason is kept.
func (p *Plugin) stop(e *Error) {
	p.stopped.CompareAndSwap(nil, e)
	p.proc.kill()
}

// waitExited waits up to d for the process to exit: a crash shows up on the
// connection a moment before the process is reaped.
func (p *Plugin) waitExited(d time.Duration) bool {
	deadline := time.Now().Add(d)
	for {
		if p.client.Exited() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// tail keeps the last n bytes written to it, and the last line that says
// why a Go program died ("panic: ...", "fatal error: ..."), which a long
// traceback would push out of the tail.
type tail struct {
	mu    sync.Mutex
	n     int
	buf   []byte
	cause []byte
}

func newTail(n int) *tail { return &tail{n: n} }

func (t *tail) Write(b []byte) (int, error) {
	// go-plugin's own chatter at debug and trace level is not worth showing.
	if bytes.HasPrefix(b, []byte(`{"@level":"debug"`)) || bytes.HasPrefix(b, []byte(`{"@level":"trace"`)) {
		return len(b), nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for line := range bytes.Lines(b) {
		if bytes.HasPrefix(line, []byte("panic: ")) || bytes.HasPrefix(line, []byte("fatal error: ")) {
			t.cause = append(t.cause[:0], bytes.TrimSpace(line[:min(len(line), 300)])...)
		}
	}
	t.buf = append(t.buf, b...)
	if len(t.buf) > t.n {
		t.buf = append([]byte(nil), t.buf[len(t.buf)-t.n:]...)
	}
	return len(b), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := strings.TrimSpace(string(t.buf))
	if len(t.cause) > 0 && !strings.Contains(s, string(t.cause)) {
		s = string(t.cause) + "\n…\n" + s
	}
	return s
}
