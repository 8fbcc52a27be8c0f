package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/sandlabx/fetchd/internal/api"
)

// healthTimeout bounds a health check, connection to answer.
const healthTimeout = 5 * time.Second

func (a *app) healthCmd() *cobra.Command {
	var ready bool
	var url string
	cmd := &cobra.Command{
		Use:   "health [--ready] [flags]",
		Short: "check a running fetchd serve: alive, or with --ready every image present and verified",
		Long: `Health asks a running fetchd serve whether it is alive (GET /healthz) or, with
--ready, whether every image the config names is present and verified (GET
/readyz), and exits 0 if so and 1 if not: a container healthcheck that needs no
curl. It connects to the service's Unix socket in the image directory (the
config's dir, or --dir), or to --url.`,
		Example: `  fetchd health
  fetchd health --ready
  fetchd health --ready --url http://127.0.0.1:8080`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.health(cmd.Context(), ready, url) },
	}
	cmd.Flags().BoolVar(&ready, "ready", false, "check readiness: every configured image present and verified")
	cmd.Flags().StringVar(&url, "url", "", "the service's TCP address, as `URL` (default: its Unix socket)")
	return cmd
}

func (a *app) health(ctx context.Context, ready bool, base string) error {
	client := &http.Client{Timeout: healthTimeout}
	where := base
	if base == "" {
		cfg, err := a.loadConfig()
		if err != nil {
			return err
		}
		sock := cfg.SocketPath()
		where = "unix:" + sock
		base = "http://localhost"
		client.Transport = &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", sock)
		}}
	} else if !strings.HasPrefix(base, "http://") && !strings.HasPrefix(base, "https://") {
		return usagef("health: --url %q: want http://host:port", base)
	}
	path := "/healthz"
	if ready {
		path = "/readyz"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(base, "/")+path, nil)
	if err != nil {
		return usagef("health: --url: %v", err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("no fetchd serve answering on %s: %w", where, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("reading the answer from %s: %w", where, err)
	}
	return a.healthAnswer(where, ready, resp.StatusCode, body)
}

func (a *app) healthAnswer(where string, ready bool, status int, body []byte) error {
	var eb api.ErrorBody
	if status != http.StatusOK && status != http.StatusServiceUnavailable {
		if json.Unmarshal(body, &eb) == nil && eb.Error != "" {
			return fmt.Errorf("%s answered %d: %s", where, status, eb.Error)
		}
		return fmt.Errorf("%s answered %d", where, status)
	}
	if a.jsonOut {
		var v any
		if err := json.Unmarshal(body, &v); err != nil {
			return fmt.Errorf("%s answered something that is not JSON: %w", where, err)
		}
		if err := a.writeJSON(v); err != nil {
			return err
		}
	}
	if !ready {
		if !a.jsonOut && !a.quiet {
			fmt.Fprintln(a.stdout, "ok")
		}
		return nil
	}
	var rd api.Readiness
	if err := json.Unmarshal(body, &rd); err != nil {
		return fmt.Errorf("%s answered something that is not a readiness report: %w", where, err)
	}
	if rd.Ready {
		if !a.jsonOut && !a.quiet {
			fmt.Fprintln(a.stdout, "ready")
		}
		return nil
	}
	if !a.jsonOut && !a.quiet {
		fmt.Fprintf(a.stdout, "not ready: %s\n", strings.Join(rd.Missing, ", "))
	}
	return &silentError{code: exitFailed}
}
