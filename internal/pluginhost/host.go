package pluginhost

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"github.com/hashicorp/go-plugin/runner"
	"google.golang.org/grpc"

	sourcev1 "github.com/sandlabx/fetchd/internal/gen/fetchd/source/v1"
	"github.com/sandlabx/fetchd/internal/proctree"
	"github.com/sandlabx/fetchd/internal/wire"
	"github.com/sandlabx/fetchd/sdk"
)

// Options configure a Host. Zero durations take the wire defaults.
type Options struct {
	// BuiltinArgs are the arguments that make the fetchd binary serve the
	// built-in source name; nil means []string{"__plugin", name}.
	BuiltinArgs func(name string) []string
	// Env is the plugin's whole environment; nil means PluginEnv(os.Getenv).
	Env []string
	// SocketDir is a private (0700) directory for the plugins' sockets and
	// temporary files; "" makes one, removed by Close.
	SocketDir string
	// Launcher is the command that runs a plugin under Limits and stops its
	// whole process tree (fetchd's own `fetchd __launch`, see LaunchMain);
	// the plugin's command line follows LaunchArgs. Without one, plugins
	// are started directly, without limits, and stopping one kills what
	// the host can still find of its tree.
	Launcher []string
	// Limits are the resource limits every plugin process runs under
	// (with a Launcher only).
	Limits proctree.Limits

	StartTimeout    time.Duration
	DescribeTimeout time.Duration
	ResolveTimeout  time.Duration

	// Fetcher serves plugins' metadata requests; nil refuses them all.
	Fetcher MetadataFetcher
	// Logger receives go-plugin's log; nil discards it.
	Logger hclog.Logger
}

// Host starts plugins and keeps track of them so that Close can stop them
// all.
type Host struct {
	opts      Options
	socketDir string
	ownDir    bool

	mu      sync.Mutex
	started []*process
	closed  bool
}

// process is one started plugin: go-plugin's client and the runner that
// owns its process. go-plugin makes the runner in its own goroutine, which
// a kill can race (a start given up on when its context ends), hence mu.
type process struct {
	client *plugin.Client

	mu     sync.Mutex
	runner *procRunner
	killed bool // no runner may be made from now on
}

// newRunner records the runner go-plugin asks for, unless the plugin was
// killed first.
func (p *process) newRunner(make func() *procRunner) (*procRunner, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.killed {
		return nil, errors.New("the plugin was stopped before it started")
	}
	p.runner = make()
	return p.runner, nil
}

func (p *process) getRunner() *procRunner {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.runner
}

// kill stops the plugin's process tree, then lets go-plugin clean up,
// waiting for go-plugin at most stopGrace: no descendant of the plugin can
// make it wait longer (go-plugin#136).
func (p *process) kill() {
	p.mu.Lock()
	p.killed = true
	r := p.runner
	p.mu.Unlock()
	if r != nil {
		r.stop()
	}
	done := make(chan struct{})
	go func() {
		p.client.Kill()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(stopGrace):
	}
}

// New returns a Host.
func New(opts Options) (*Host, error) {
	if opts.BuiltinArgs == nil {
		opts.BuiltinArgs = func(name string) []string { return []string{"__plugin", name} }
	}
	if opts.StartTimeout == 0 {
		opts.StartTimeout = wire.StartTimeout
	}
	if opts.DescribeTimeout == 0 {
		opts.DescribeTimeout = wire.DescribeTimeout
	}
	if opts.ResolveTimeout == 0 {
		opts.ResolveTimeout = wire.ResolveTimeout
	}
	if opts.Logger == nil {
		opts.Logger = hclog.NewNullLogger()
	}
	h := &Host{opts: opts, socketDir: opts.SocketDir}
	if h.socketDir == "" {
		dir, err := os.MkdirTemp("", "fetchd-plugins-")
		if err != nil {
			return nil, fmt.Errorf("creating the plugin socket directory: %w", err)
		}
		h.socketDir, h.ownDir = dir, true
	}
	if err := os.Chmod(h.socketDir, 0o700); err != nil {
		return nil, fmt.Errorf("securing the plugin socket directory: %w", err)
	}
	if opts.Env == nil {
		h.opts.Env = PluginEnv(os.Getenv)
	}
	return h, nil
}

// PluginEnv is the environment a plugin gets: only what it needs to reach
// the network and write temporary files, nothing else of fetchd's.
func PluginEnv(getenv func(string) string) []string {
	var env []string
	for _, k := range []string{
		"PATH", "HOME", "LANG", "TZ",
		"HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy",
		"SSL_CERT_FILE", "SSL_CERT_DIR",
	} {
		if v := getenv(k); v != "" {
			env = append(env, k+"="+v)
		}
	}
	return env
}

// Close stops every plugin this Host started and removes its socket
// directory. It is safe to call more than once and from a signal handler's
// goroutine.
func (h *Host) Close() {
	h.mu.Lock()
	started := h.started
	h.started = nil
	h.closed = true
	h.mu.Unlock()
	var wg sync.WaitGroup
	for _, p := range started {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.kill()
		}()
	}
	wg.Wait()
	if h.ownDir {
		_ = os.RemoveAll(h.socketDir)
	}
}

// Plugin is a started plugin whose Describe answer has been validated.
type Plugin struct {
	Candidate
	Desc     sdk.Description
	Protocol int

	host   *Host
	proc   *process
	client *plugin.Client
	rpc    *rpcClient
	stderr *tail
	// stopped is why the host killed the process after a call failed (a
	// timeout, an oversized answer): the calls cut off by the kill report
	// it rather than a crash.
	stopped atomic.Pointer[Error]
}

// Start launches c, performs the handshake and calls Describe. Any failure
// is an *Error naming the source and its origin; the process is killed.
func (h *Host) Start(ctx context.Context, c Candidate) (*Plugin, error) {
	fail := func(op string, kind Kind, err error, stderr *tail) error {
		e := &Error{Source: c.Name, Origin: c.Origin(), Op: op, Kind: kind, Err: err}
		if stderr != nil {
			e.Stderr = stderr.String()
		}
		return e
	}
	h.mu.Lock()
	closed := h.closed
	h.mu.Unlock()
	if closed {
		return nil, fail("start", Failed, errors.New("host is shutting down"), nil)
	}
	if c.Problem != nil {
		return nil, fail("start", Refused, fmt.Errorf("refusing the plugin pinned by %s: %w", c.PinnedBy, c.Problem), nil)
	}

	stderr := newTail(4 << 10)
	var args []string
	if c.Builtin {
		args = h.opts.BuiltinArgs(c.Name)
	}
	proc := &process{}
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  wire.Handshake,
		VersionedPlugins: map[int]plugin.PluginSet{wire.ProtocolVersion: {wire.PluginName: hostPlugin{}}},
		RunnerFunc: func(_ hclog.Logger, spec *exec.Cmd, _ string) (runner.Runner, error) {
			return proc.newRunner(func() *procRunner { return h.newRunner(c, args, spec.Env) })
		},
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		AutoMTLS:         true,
		Managed:          true,
		SkipHostEnv:      true,
		StartTimeout:     h.opts.StartTimeout,
		Logger:           h.opts.Logger,
		Stderr:           stderr,
		SyncStdout:       stderr,
		SyncStderr:       stderr,
		GRPCDialOptions: []grpc.DialOption{
			grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(wire.MaxAnswerBytes)),
		},
	})
	proc.client = client
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil, fail("start", Failed, errors.New("host is shutting down"), nil)
	}
	h.started = append(h.started, proc)
	h.mu.Unlock()

	rpcAny, err := startClient(ctx, client)
	if err != nil {
		proc.kill()
		kind, err := classifyStart(err, h.opts.StartTimeout)
		return nil, fail("start", kind, err, stderr)
	}
	rpc, ok := rpcAny.(*rpcClient)
	if !ok {
		proc.kill()
		return nil, fail("start", NotAPlugin, fmt.Errorf("unexpected client type %T", rpcAny), stderr)
	}
	p := &Plugin{Candidate: c, Protocol: client.NegotiatedVersion(), host: h, proc: proc, client: client, rpc: rpc, stderr: stderr}

	dctx, cancel := context.WithTimeout(ctx, h.opts.DescribeTimeout)
	defer cancel()
	resp, err := rpc.source.Describe(dctx, &sourcev1.DescribeRequest{})
	if err != nil {
		err := p.callError("Describe", h.opts.DescribeTimeout, err)
		proc.kill()
		return nil, err
	}
	p.Desc = describeFromProto(resp)
	if err := p.Desc.Validate(); err != nil {
		proc.kill()
		return nil, fail("Describe", InvalidAnswer, err, nil)
	}
	if p.Desc.Name != c.Name {
		proc.kill()
		return nil, fail("Describe", InvalidAnswer, fmt.Errorf("plugin calls itself %q but its file name says %q", p.Desc.Name, c.Name), nil)
	}
	return p, nil
}

// newRunner makes the runner for candidate c: its command (under the
// launcher, when there is one) with the plugin's explicit environment plus
// the variables go-plugin put in spec.
func (h *Host) newRunner(c Candidate, args, specEnv []string) *procRunner {
	// argv[0] is the name as found: a plugin may look at it (sdktest's
	// test binaries do); what runs is the resolved file.
	exe, argv := c.executable(), append([]string{c.Path}, args...)
	deathSig := syscall.SIGKILL
	launched := len(h.opts.Launcher) > 0
	if launched {
		exe = h.opts.Launcher[0]
		argv = append(append([]string(nil), h.opts.Launcher...), LaunchArgs(h.opts.Limits, c.executable(), argv)...)
		deathSig = syscall.SIGTERM // the launcher then kills the plugin's tree
	}
	cmd := &exec.Cmd{Path: exe, Args: argv}
	cmd.Env = append(append(append([]string{}, h.opts.Env...), "TMPDIR="+h.socketDir), specEnv...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: deathSig}
	return newProcRunner(cmd, c.executable(), launched)
}

// startClient runs the go-plugin handshake and dispenses the source, giving
// up when ctx is done.
func startClient(ctx context.Context, client *plugin.Client) (any, error) {
	type result struct {
		v   any
		err error
	}
	ch := make(chan result, 1)
	go func() {
		proto, err := client.Client()
		if err != nil {
			ch <- result{err: err}
			return
		}
		v, err := proto.Dispense(wire.PluginName)
		ch <- result{v, err}
	}()
	select {
	case r := <-ch:
		return r.v, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

var incompatibleRE = regexp.MustCompile(`Plugin version: (\d+)`)

// classifyStart turns go-plugin's start errors into user-facing ones.
func classifyStart(err error, timeout time.Duration) (Kind, error) {
	msg := err.Error()
	switch {
	case strings.Contains(strings.ToLower(msg), "incompatible api version"):
		v := "another version"
		if m := incompatibleRE.FindStringSubmatch(msg); m != nil {
			v = "version " + m[1]
		}
		return ProtocolMismatch, fmt.Errorf("plugin speaks protocol %s, this fetchd speaks protocol %d (rebuild the plugin against a matching fetchd sdk)", v, wire.ProtocolVersion)
	case strings.Contains(msg, "timeout while waiting for plugin to start"):
		return Timeout, fmt.Errorf("did not complete the plugin handshake within %s", timeout)
	case strings.Contains(msg, "Unrecognized remote plugin message"):
		first := strings.TrimSpace(strings.TrimPrefix(strings.SplitN(msg, "\n", 2)[0], "Unrecognized remote plugin message:"))
		if first == "" {
			return NotAPlugin, errors.New("it exited without performing the go-plugin handshake")
		}
		return NotAPlugin, fmt.Errorf("its first line on stdout was %q, not a go-plugin handshake (a plugin must not print to stdout before serving)", clipText(first, 120))
	case strings.Contains(msg, "plugin exited before we could connect"):
		return NotAPlugin, errors.New("it exited before completing the plugin handshake")
	case strings.Contains(msg, "Unsupported plugin protocol") || strings.Contains(msg, "protocol"):
		return NotAPlugin, fmt.Errorf("handshake failed: %s", clipText(msg, 200))
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		return Timeout, err
	}
	return NotAPlugin, fmt.Errorf("cannot start: %s", clipText(msg, 200))
}

func clipText(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// Kill stops the plugin's process and everything it started.
func (p *Plugin) Kill() { p.proc.kill() }

// PID is the process fetchd started for the plugin: its launcher, when
// there is one, else the plugin itself.
func (p *Plugin) PID() int {
	r := p.proc.getRunner()
	if r == nil {
		return 0
	}
	return r.processID()
}

// Exited reports whether the plugin's process has exited.
func (p *Plugin) Exited() bool { return p.client.Exited() }
