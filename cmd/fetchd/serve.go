package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/sandlabx/fetchd/internal/api"
	"github.com/sandlabx/fetchd/internal/config"
	"github.com/sandlabx/fetchd/internal/engine"
	"github.com/sandlabx/fetchd/internal/report"
	"github.com/sandlabx/fetchd/internal/service"
	"github.com/sandlabx/fetchd/internal/webui"
)

func (a *app) serveCmd() *cobra.Command {
	var listen string
	cmd := &cobra.Command{
		Use:   "serve [flags]",
		Short: "the long-running service: scheduled syncs, HTTP API, live events, metrics, webhooks",
		Long: `Serve runs the engine sync uses for as long as it runs: a sync of every image
at start, then one every refresh (config refresh:, default 6h, with 10% jitter),
and on demand through the HTTP API. It takes the directory lock only while a
job works, so status and a one-shot sync keep working beside it.

The API (see /v1/openapi.json) answers on a Unix socket,
<dir>/.fetchd/run/api.sock (mode 0600; the caller's uid is checked), and with --listen (or api.listen) on
TCP as well. Calls that change something need the token: api.token_file, or the
one fetchd generates at first start in <dir>/.fetchd/api-token (mode 0600). A
TCP address other machines can reach refuses to start without api.token_file.

SIGHUP (or POST /v1/reload) loads the config again; a config that does not load
is refused with its error and the running one stays. SIGTERM or SIGINT stops
starting work, cancels downloads (their partial files are kept for the next
run), closes the listeners and exits 0 within 15 seconds.`,
		Example: `  fetchd serve
  fetchd serve --listen 127.0.0.1:8080
  curl --unix-socket images/.fetchd/run/api.sock http://localhost/v1/images`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.serve(cmd.Context(), listen) },
	}
	cmd.Flags().StringVar(&listen, "listen", "", "also serve the API over TCP on `ADDR` (host:port; overrides api.listen)")
	return cmd
}

func (a *app) serve(ctx context.Context, listen string) error {
	cfg, err := a.serveConfig()
	if err != nil {
		return err
	}
	ui, err := webui.New()
	if err != nil {
		return err
	}
	svc, err := service.New(service.Deps{
		Load:    a.serveConfig,
		Open:    a.serviceEngine,
		Sources: a.serviceSources,
		Output:  a.serveOutput(),
		Logf:    a.serveLog,
		Version: version,
		UI:      ui,
		Resolve: a.serviceResolve,
	}, cfg)
	if err != nil {
		return err
	}
	listeners, err := service.Listen(cfg, listen)
	if err != nil {
		var nt *service.NoTokenError
		if errors.As(err, &nt) {
			return &usageError{msg: err.Error(), hint: "write a long random token to a file (mode 0600), set api.token_file to it, and give it to the API's callers; or listen on 127.0.0.1"}
		}
		return err
	}
	var names []string
	for _, l := range listeners {
		names = append(names, l.Name)
	}
	a.serveLog("serving the API on %s; calls that change something need the token in %s", strings.Join(names, " and "), svc.Token().Path)
	a.announceUI(listeners, svc.Token())
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go func() {
		for {
			select {
			case <-hup:
				_, _ = svc.Reload(ctx)
			case <-ctx.Done():
				return
			}
		}
	}()
	err = svc.Run(ctx, listeners)
	if err == nil {
		a.serveLog("stopped")
	}
	return err
}

// serveConfig loads the config (with --dir) and checks that every image's
// source exists: what serve starts with and what a reload must pass.
func (a *app) serveConfig() (*config.Config, error) {
	cfg, err := a.loadConfig()
	if err != nil {
		return nil, err
	}
	e, err := a.openEngine(cfg, engine.OpenOptions{NoMetadataCache: true})
	if err != nil {
		return nil, err
	}
	e.Close()
	return cfg, nil
}

// serviceEngine opens an engine for the service: one for each job that
// writes (closed after it, which stops its plugins), and one that only
// reads, for the status the API reports.
func (a *app) serviceEngine(cfg *config.Config, write bool) (*engine.Engine, error) {
	return a.openEngine(cfg, engine.OpenOptions{Write: write, NoMetadataCache: !write})
}

// serviceResolve is POST /v1/resolve for a source image.
func (a *app) serviceResolve(ctx context.Context, cfg *config.Config, q api.ResolveBody) (json.RawMessage, error) {
	out, _, err := a.lookup(ctx, cfg, engine.Query{Source: q.Source, Release: q.Release, Arch: q.Arch, Variant: q.Variant})
	if err != nil {
		var us *engine.UnknownSourceError
		if errors.As(err, &us) {
			return nil, api.Errorf(http.StatusUnprocessableEntity, "%v", err)
		}
		return nil, api.Errorf(http.StatusUnprocessableEntity, "%s", a.explain.brief(err))
	}
	return json.Marshal(out)
}

func (a *app) serviceSources(ctx context.Context, cfg *config.Config) (json.RawMessage, error) {
	out, _, err := a.describeSources(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return json.Marshal(out)
}

// serveOutput is how serve shows the engine's progress on stderr: lines
// every few seconds, or JSON events with --log-format json.
func (a *app) serveOutput() engine.Reporter {
	switch {
	case a.log != nil:
		return newJSONReporter(a.log, 2*time.Second)
	case a.quiet:
		return nil
	}
	return newLineReporter(a.stderr, 5*time.Second)
}

// announceUI prints where the web UI is. On a loopback listener the link
// carries the token (only this machine can reach it, and only the user
// who can read serve's output learns it); on one others can reach it
// does not: the operator signs in with the token they chose.
func (a *app) announceUI(listeners []service.Listener, tok service.Token) {
	for _, l := range listeners {
		switch l.Kind {
		case api.LoopbackTCP:
			a.serveLog("web UI: open %s to sign in", webui.SignInURL(l.Net.Addr(), tok.Value))
		case api.PublicTCP:
			a.serveLog("web UI: %s (sign in with the token in %s)", webui.SignInURL(l.Net.Addr(), ""), tok.Path)
		}
	}
}

var serveLogMu sync.Mutex

// serveLog prints one line about the service on stderr.
func (a *app) serveLog(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if a.log != nil {
		_ = a.log.Write(report.Message(report.Info, "", "serve: "+msg, a.log.Now()))
		return
	}
	serveLogMu.Lock()
	defer serveLogMu.Unlock()
	fmt.Fprintf(a.stderr, "fetchd: serve: %s\n", msg)
}
