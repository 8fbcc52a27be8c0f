package main

import (
	"context"
	"fmt"
	"io"
	"regexp"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/sandlabx/fetchd/internal/activity"
	"github.com/sandlabx/fetchd/internal/engine"
	"github.com/sandlabx/fetchd/internal/state"
	"github.com/sandlabx/fetchd/internal/textsafe"
)

func (a *app) statusCmd() *cobra.Command {
	var check bool
	cmd := &cobra.Command{
		Use:   "status [NAME...] [flags]",
		Short: "what is on disk: present, missing, modified or outdated, per image",
		Long: `Status reports, per configured image (or only the NAMEs given), what is on
disk: present, missing, modified or outdated; the version, digest, when it was
verified, and whether a signature vouched for it (SIGNED: the signing key's id
and whether the plugin embeds it or you configured it, or no). Nothing is
hashed: status reads the records and the files' size and modification time.

With --check it also asks upstream for its current build (UPSTREAM), and an
image whose upstream build differs is outdated. Beside a fetchd that is
syncing, the STATE also says what that fetchd is doing to the image, from
the record it keeps in the private directory: "downloading 43% (pid 812)".`,
		Example: `  fetchd status
  fetchd status --check
  fetchd status ubuntu-24-lts.qcow2 --json`,
		Args:              cobra.ArbitraryArgs,
		ValidArgsFunction: a.completeImages,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.status(cmd.Context(), args, check)
		},
	}
	cmd.Flags().BoolVar(&check, "check", false, "also ask upstream for its current build")
	return cmd
}

func (a *app) status(ctx context.Context, names []string, check bool) error {
	s, err := a.openSession(false, false)
	if err != nil {
		return err
	}
	defer s.Close()
	if check {
		a.announce(s.engine, imageSources(s.cfg))
	}
	results, err := s.engine.Status(ctx, names, check)
	if err != nil {
		return err
	}
	busy := othersActivity(s.cfg.Dir)
	if a.jsonOut {
		images := resultsToJSON(results)
		for i := range images {
			images[i].Activity = busy[images[i].Name]
		}
		if err := a.writeJSON(map[string]any{"command": "status", "dir": s.cfg.Dir, "images": images, "warnings": a.jsonWarnings()}); err != nil {
			return err
		}
	} else if !a.quiet {
		writeStatus(a.stdout, s.cfg.Dir, results, check, busy)
	}
	failed := false
	for _, r := range results {
		if r.Err != nil {
			a.reportError("error", r.Name, r.Err)
		}
		if !r.Outcome.OK() || r.Err != nil {
			failed = true
		}
	}
	if failed {
		return &silentError{code: exitFailed}
	}
	return nil
}

// othersActivity is what another fetchd running on dir is doing, per
// image: "downloading 43% (pid 812)". It is for information: a record that
// cannot be read is no activity.
func othersActivity(dir string) map[string]string {
	out := map[string]string{}
	rec, err := activity.Read(dir)
	if err != nil || rec == nil {
		return out
	}
	for name, step := range rec.Images {
		out[name] = fmt.Sprintf("%s (pid %d)", step, rec.PID)
	}
	return out
}

// writeStatus prints the status table; busy says what another fetchd is
// doing to an image right now.
func writeStatus(w io.Writer, dir string, results []engine.Result, check bool, busy map[string]string) {
	fmt.Fprintf(w, "images in %s:\n", dir)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	header := "IMAGE\tSTATE\tSOURCE\tVERSION\tDIGEST\tVERIFIED\tSIGNED"
	if check {
		header += "\tUPSTREAM"
	}
	fmt.Fprintln(tw, header)
	for _, r := range results {
		source, version, digest, verified, signed := "-", "-", "-", "-", "-"
		if e := r.Local; e != nil {
			source = joinNonEmpty(e.Source, e.Release, e.Arch, e.Variant)
			if p := e.Published; p != nil {
				source = "oci: " + joinNonEmpty(p.Source, p.Release, p.Arch, p.Variant)
			}
			if source == "" {
				source = "url"
			}
			version, digest = e.Version, e.Digest.Short()
			if !e.VerifiedAt.IsZero() {
				verified = e.VerifiedAt.UTC().Format("2006-01-02 15:04 UTC")
			}
			signed = shortSignature(e.Signature)
		}
		state := string(r.Outcome)
		switch b := busy[r.Name]; {
		case b != "" && r.Outcome == engine.Missing:
			state = b
		case b != "":
			state += ", " + b
		}
		line := fmt.Sprintf("%s\t%s\t%s\t%s\t%s\t%s\t%s", r.Name, state, source, version, digest, verified, signed)
		if check {
			up := "?"
			if r.Upstream != nil {
				up = r.Upstream.Version
				if r.Local != nil && r.Local.Digest == r.Upstream.Digest {
					up += " (same)"
				}
			}
			line += "\t" + up
		}
		fmt.Fprintln(tw, line)
	}
	tw.Flush()
	for _, r := range results {
		if r.Note != "" {
			fmt.Fprintf(w, "  %s: %s\n", r.Name, r.Note)
		}
		if r.Local != nil && r.Local.Published != nil {
			fmt.Fprintf(w, "  %s: %s\n", r.Name, publishedNote(r.Local.Published))
		}
		if r.Hold != "" {
			fmt.Fprintf(w, "  %s: held: %s\n", r.Name, textsafe.Escape(r.Hold))
		}
		keptLines(w, r)
	}
}

// publishedNote says where an image installed from a registry came from,
// as its publisher recorded it.
func publishedNote(p *state.Published) string {
	return fmt.Sprintf("from %s, published by fetchd %s at %s; upstream %s (%s), %s, checked there by %s",
		p.Ref, p.FetchdVersion, p.PublishedAt.UTC().Format("2006-01-02 15:04 UTC"),
		p.UpstreamURL, shortDigest(p.UpstreamDigest), p.Signature, strings.Join(p.VerifiedBy, ", "))
}

func joinNonEmpty(parts ...string) string {
	out := ""
	for _, p := range parts {
		if p == "" {
			continue
		}
		if out != "" {
			out += " "
		}
		out += p
	}
	return out
}

// verifiedRE matches the signature text state records for a verified
// signature (engine.signatureText).
var verifiedRE = regexp.MustCompile(`^verified \(key ([0-9A-F]{40}), (embedded|operator)\)$`)

// shortSignature says in a table cell how an image is vouched for: the
// signing key's long key id and where the key came from, or "no".
func shortSignature(s string) string {
	if m := verifiedRE.FindStringSubmatch(s); m != nil {
		return "key " + m[1][24:] + " (" + m[2] + ")"
	}
	if s == "" {
		return "-"
	}
	return "no"
}
