package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/sandlabx/fetchd/internal/config"
	"github.com/sandlabx/fetchd/internal/engine"
	"github.com/sandlabx/fetchd/sdk"
)

// sourceJSON is one source in `list-sources --json`. The schema is
// documented in docs/list-sources.md and pinned by TestListSourcesJSONSchema:
// keys are snake_case, and a key is added, never renamed.
type sourceJSON struct {
	Name    string `json:"name"`
	Version string `json:"version,omitempty"`
	Summary string `json:"summary,omitempty"`
	Origin  string `json:"origin"`
	Builtin bool   `json:"builtin"`
	Path    string `json:"path"`
	// ResolvedPath is the file that runs, symlinks resolved (plugins).
	ResolvedPath string `json:"resolved_path,omitempty"`
	// PinnedBy names the config line that pinned the binary.
	PinnedBy string   `json:"pinned_by,omitempty"`
	Shadows  []string `json:"shadows,omitempty"`
	Protocol int      `json:"protocol,omitempty"`
	// BaseURL is the base URL fetchd uses for the source; BaseURLFrom says
	// why: "config" (then BaseURLWhere names the line) or "default".
	BaseURL        string        `json:"base_url,omitempty"`
	BaseURLFrom    string        `json:"base_url_from,omitempty"`
	BaseURLWhere   string        `json:"base_url_where,omitempty"`
	DefaultBaseURL string        `json:"default_base_url,omitempty"`
	DefaultRelease string        `json:"default_release,omitempty"`
	DefaultVariant string        `json:"default_variant,omitempty"`
	Releases       []sdk.Release `json:"releases,omitempty"`
	Arches         []sdk.Arch    `json:"arches,omitempty"`
	Variants       []sdk.Variant `json:"variants,omitempty"`
	Error          string        `json:"error,omitempty"`
}

type listJSON struct {
	Sources  []sourceJSON `json:"sources"`
	Warnings []string     `json:"warnings"`
}

func (a *app) listSourcesCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "list-sources [flags]",
		Short: "every source plugin: version, origin, protocol, releases, arches, variants, base URL",
		Long: `List-sources starts every source plugin fetchd finds (the built-in ones and
those in the plugin directories) and shows what each offers: its version,
where it was loaded from (built-in or its path, and what it replaces), the
protocol version, its releases with their aliases and end of life, its
architectures and variants, and the base URL in use (the config's, marked
with its file and line, else the plugin's default). A plugin that fails to
start is listed with its error; plugin files that are skipped (not a plugin
name, not executable, or someone other than root or fetchd's user could
change them) are reported as warnings. The --json schema is in
docs/list-sources.md.`,
		Example: "  fetchd list-sources\n  fetchd list-sources --json\n  FETCHD_PLUGIN_PATH=./plugins fetchd list-sources",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.listSources(cmd.Context())
		},
	}
}

func (a *app) listSources(ctx context.Context) error {
	cfg, err := a.loadConfig()
	if err != nil {
		return err
	}
	out, errs, err := a.describeSources(ctx, cfg)
	if err != nil {
		return err
	}
	if a.jsonOut {
		if err := a.writeJSON(out); err != nil {
			return err
		}
	} else if !a.quiet {
		writeSourceTable(a.stdout, out.Sources)
	}
	for _, w := range out.Warnings {
		a.printError("warning", "", w)
	}
	for _, err := range errs {
		a.reportError("error", "", err)
	}
	if len(errs) > 0 {
		return &silentError{code: exitFailed}
	}
	return nil
}

// describeSources starts every source plugin, asks it to describe itself
// and stops it: what `list-sources --json` (and the API's GET
// /v1/sources) says, and the errors of the plugins that failed.
func (a *app) describeSources(ctx context.Context, cfg *config.Config) (listJSON, []error, error) {
	e, err := a.openEngine(cfg, engine.OpenOptions{NoMetadataCache: true})
	if err != nil {
		return listJSON{}, nil, err
	}
	defer e.Close()
	results := e.Plugins().StartAll(ctx)
	warnings := e.Plugins().Warnings(nil)
	e.Close() // Describe is all list-sources needs

	out := listJSON{Sources: []sourceJSON{}, Warnings: []string{}}
	var errs []error
	for _, r := range results {
		c := r.Candidate
		s := sourceJSON{Name: c.Name, Origin: c.Origin(), Builtin: c.Builtin, Path: c.Path, Shadows: c.Shadows, PinnedBy: c.PinnedBy}
		if !c.Builtin {
			s.ResolvedPath = c.Real
		}
		if r.Err != nil {
			s.Error = r.Err.Error()
			errs = append(errs, r.Err)
		} else {
			d := r.Plugin.Desc
			s.Version, s.Summary, s.Protocol = d.Version, d.Summary, r.Plugin.Protocol
			s.DefaultBaseURL, s.DefaultRelease, s.DefaultVariant = d.DefaultBaseURL, d.DefaultRelease, d.DefaultVariant
			s.Releases, s.Arches, s.Variants = d.Releases, d.Arches, d.Variants
			s.BaseURL, s.BaseURLFrom = d.DefaultBaseURL, "default"
			if src, ok := cfg.Sources[c.Name]; ok && src.BaseURL != "" {
				s.BaseURL, s.BaseURLFrom, s.BaseURLWhere = src.BaseURL, "config", cfg.Where(src.BaseURLLine)+": sources."+c.Name+".base_url"
			}
		}
		out.Sources = append(out.Sources, s)
	}
	out.Sources = append(out.Sources, ociSourceJSON(cfg))
	sort.Slice(out.Sources, func(i, j int) bool { return out.Sources[i].Name < out.Sources[j].Name })
	out.Warnings = warnings
	return out, errs, nil
}

// ociSourceJSON describes the oci source: part of fetchd itself, not a
// plugin (registry credentials stay in the host process), with no
// releases of its own: an image names a registry reference.
func ociSourceJSON(cfg *config.Config) sourceJSON {
	s := sourceJSON{
		Name:    config.OCISourceName,
		Version: version,
		Summary: "images another fetchd published to an OCI registry (fetchd publish); an image names ref: REGISTRY/REPOSITORY:TAG, or takes sources.oci.repository",
		Origin:  "host",
		Builtin: true,
	}
	s.Path, _ = os.Executable()
	if src, ok := cfg.Sources[config.OCISourceName]; ok && src.OCI.Repository != "" {
		s.BaseURL, s.BaseURLFrom, s.BaseURLWhere = src.OCI.Repository, "config", cfg.Where(src.Line)+": sources.oci"
	}
	return s
}

// writeSourceTable prints the overview table, then each source's releases,
// architectures and variants.
func writeSourceTable(w io.Writer, sources []sourceJSON) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SOURCE\tVERSION\tPROTOCOL\tORIGIN\tBASE URL")
	for _, s := range sources {
		origin := s.Origin
		if len(s.Shadows) > 0 {
			origin += " (replaces " + strings.Join(s.Shadows, ", ") + ")"
		}
		if s.Error != "" {
			fmt.Fprintf(tw, "%s\t-\t-\t%s\tfailed to start (see below)\n", s.Name, origin)
			continue
		}
		base := s.BaseURL
		if s.BaseURLFrom == "config" {
			base += " (" + s.BaseURLWhere + ")"
		}
		protocol := "-"
		if s.Protocol > 0 {
			protocol = fmt.Sprint(s.Protocol)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", s.Name, s.Version, protocol, origin, dash(base))
	}
	tw.Flush()
	for _, s := range sources {
		if s.Error != "" {
			continue
		}
		fmt.Fprintf(w, "\n%s: %s\n", s.Name, s.Summary)
		if len(s.Releases) == 0 {
			continue
		}
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  RELEASE\tALIASES\tEOL\tNOTE")
		for _, r := range s.Releases {
			name := r.Name
			if r.Name == s.DefaultRelease || contains(r.Aliases, s.DefaultRelease) {
				name += " (default)"
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", name, dash(strings.Join(r.Aliases, ", ")), dash(r.EOL), r.Summary)
		}
		tw.Flush()
		var arches []string
		for _, a := range s.Arches {
			if len(a.Aliases) > 0 {
				arches = append(arches, a.Name+" ("+strings.Join(a.Aliases, ", ")+")")
			} else {
				arches = append(arches, a.Name)
			}
		}
		fmt.Fprintf(w, "  arches:   %s\n", strings.Join(arches, ", "))
		if len(s.Variants) > 0 {
			var vs []string
			for _, v := range s.Variants {
				if v.Name == s.DefaultVariant {
					vs = append(vs, v.Name+" (default)")
				} else {
					vs = append(vs, v.Name)
				}
			}
			fmt.Fprintf(w, "  variants: %s\n", strings.Join(vs, ", "))
		}
	}
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
