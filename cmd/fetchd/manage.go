package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/sandlabx/fetchd/internal/engine"
	"github.com/sandlabx/fetchd/internal/textsafe"
)

func (a *app) holdCmd() *cobra.Command {
	var reason string
	cmd := &cobra.Command{
		Use:   "hold NAME [flags]",
		Short: "keep an image on its current build whatever the update policy",
		Long: `Hold keeps the image NAME on the build it has now: until fetchd unhold, sync
leaves the name where it is and reports the image held when upstream has
another build. The hold is kept in the image directory's state file, beside
any hold: true in the configuration. A changed configuration (source,
release, url, checksum…) still replaces the image: a hold keeps a build, not
a configuration. An image that is not installed yet is installed by the next
sync and held from then on.`,
		Example: `  fetchd hold ubuntu-24-lts.qcow2 --reason "lab exam until Friday"
  fetchd hold debian-13.qcow2 --json`,
		Args:              a.exactlyOneImage,
		ValidArgsFunction: a.completeImages,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.setHold(cmd.Context(), "hold", args[0], reason, true)
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why it is held, shown by status (`TEXT`)")
	return cmd
}

func (a *app) unholdCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "unhold NAME [flags]",
		Short: "remove the hold set by fetchd hold or fetchd rollback",
		Long: `Unhold removes the runtime hold that fetchd hold or fetchd rollback set on the
image NAME: the next sync applies the update policy again. A hold: true in the
configuration stays (status still says so). Unholding an image that is not
held changes nothing.`,
		Example:           `  fetchd unhold ubuntu-24-lts.qcow2`,
		Args:              a.exactlyOneImage,
		ValidArgsFunction: a.completeImages,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.setHold(cmd.Context(), "unhold", args[0], "", false)
		},
	}
}

func (a *app) exactlyOneImage(cmd *cobra.Command, args []string) error {
	if len(args) != 1 {
		return usagef("%s takes one image name (got %d); see fetchd status for the configured ones", cmd.Name(), len(args))
	}
	return nil
}

func (a *app) setHold(ctx context.Context, command, name, reason string, hold bool) error {
	s, err := a.openSession(true, true)
	if err != nil {
		return err
	}
	defer s.Close()
	var res engine.Result
	if hold {
		res, err = s.engine.Hold(ctx, name, reason)
	} else {
		res, err = s.engine.Unhold(ctx, name)
	}
	if err != nil {
		return err
	}
	a.writeOne(s.cfg.Dir, command, res)
	return nil
}

// writeOne prints the result of a command on one image: a line (the image,
// its state, its build, the note), or the JSON document.
func (a *app) writeOne(dir, command string, res engine.Result) {
	switch {
	case a.jsonOut:
		_ = a.writeJSON(map[string]any{"command": command, "dir": dir, "images": resultsToJSON([]engine.Result{res}), "warnings": a.jsonWarnings()})
	case !a.quiet:
		build := "no build"
		if b := res.Local; b != nil {
			build = fmt.Sprintf("%s (%s)", orDash(b.Version), b.Digest.Short())
		}
		fmt.Fprintf(a.stdout, "%s: %s, %s\n", res.Name, res.Outcome, build)
		if res.Note != "" {
			fmt.Fprintf(a.stdout, "  %s\n", textsafe.Escape(res.Note))
		}
		if res.Hold != "" {
			fmt.Fprintf(a.stdout, "  held: %s\n", textsafe.Escape(res.Hold))
		}
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func (a *app) rollbackCmd() *cobra.Command {
	var rebase, force bool
	cmd := &cobra.Command{
		Use:   "rollback NAME [VERSION] [flags]",
		Short: "move an image's name back to a kept previous build, checked again",
		Long: `Rollback moves the image NAME back to one of the builds the store keeps for it
(fetchd status lists them: retain: sets how many previous builds are kept).
VERSION is the build's version, its digest, or at least 8 hex digits of it;
without it, the newest previous build. The build is checked again first (its
digest, the qcow2 header, qemu-img info and check), and one that fails is not
used. The build the name leaves becomes the newest previous one, so a second
rollback goes forward again.

The image is then held, so that the next sync does not move it straight back
to upstream's build: fetchd unhold NAME lets the update policy apply again.

VM disks that use the image by its name (their backing file is NAME, not the
build's path) would see other bytes under their own blocks: rollback refuses,
naming them (exit code 3), unless --rebase-overlays (they are first rebased
onto the build the name points at now, qemu-img rebase -u: the same bytes) or
--force-move. An unknown VERSION is refused, listing the kept builds (exit
code 2).`,
		Example: `  fetchd rollback ubuntu-24-lts.qcow2
  fetchd rollback ubuntu-24-lts.qcow2 20250610
  fetchd rollback debian-13.qcow2 sha256:3f2a9c1b --json`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) < 1 || len(args) > 2 {
				return usagef("rollback takes an image name and, optionally, a version (got %d arguments)", len(args))
			}
			return nil
		},
		ValidArgsFunction: a.completeImages,
		RunE: func(cmd *cobra.Command, args []string) error {
			version := ""
			if len(args) == 2 {
				version = args[1]
			}
			if rebase && force {
				return usagef("--rebase-overlays and --force-move: choose one")
			}
			return a.rollback(cmd.Context(), args[0], version, engine.MoveOptions{Rebase: rebase, Force: force})
		},
	}
	cmd.Flags().BoolVar(&rebase, "rebase-overlays", false, "rebase VM disks that use the name onto its current build's path (qemu-img rebase -u) before moving it")
	cmd.Flags().BoolVar(&force, "force-move", false, "roll back even though VM disks use the name: they then read another build under their own blocks (corrupting them)")
	return cmd
}

func (a *app) rollback(ctx context.Context, name, version string, move engine.MoveOptions) error {
	s, err := a.openSession(true, true)
	if err != nil {
		return err
	}
	defer s.Close()
	res, err := s.engine.Rollback(ctx, name, version, move)
	var re *engine.RollbackError
	var iu *engine.InUseError
	switch {
	case errors.As(err, &re):
		return &usageError{msg: re.Error(), hint: "fetchd status " + name + " lists the kept builds"}
	case errors.As(err, &iu):
		a.reportError("error", "", err)
		return &silentError{code: exitHeld}
	}
	if err != nil {
		return err
	}
	a.writeOne(s.cfg.Dir, "rollback", res)
	return nil
}

func (a *app) pruneCmd() *cobra.Command {
	var dryRun bool
	cmd := &cobra.Command{
		Use:   "prune [flags]",
		Short: "remove builds nothing uses, orphan partial downloads and stale cache entries",
		Long: `Prune removes from the image directory's private store what nothing uses, and
says what it removed and how many bytes that freed:

  builds that are not the current or pending build of a configured image, nor
  one of its retain: previous builds, nor used by a VM disk (a qcow2 overlay in
  the configured overlays: directories whose backing file is the build, by its
  build path or through the image's name), nor linked at another name;
  partial downloads no image's upstream build is;
  resolve answers older than a day, which are never used again, and metadata
  cache files left half-written.

Sync already removes, after an update, the builds beyond retain: that nothing
uses; prune also catches builds of images no longer configured and anything a
cut-short run left. If the overlay directories cannot be read, nothing is
removed (fetchd cannot tell what VM disks use). With --dry-run nothing is
removed: the same list says what would be.`,
		Example: `  fetchd prune --dry-run
  fetchd prune
  fetchd prune --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.prune(cmd.Context(), dryRun)
		},
	}
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "say what would be removed, remove nothing")
	return cmd
}

// pruneJSON is prune's --json document.
type pruneJSON struct {
	Command  string      `json:"command"`
	Dir      string      `json:"dir"`
	DryRun   bool        `json:"dry_run"`
	Removed  []pruneItem `json:"removed"`
	Kept     []pruneItem `json:"kept"`
	Freed    int64       `json:"bytes_freed"`
	Warnings []string    `json:"warnings"`
}

type pruneItem struct {
	Kind    string `json:"kind"`
	Path    string `json:"path"`
	Bytes   int64  `json:"bytes"`
	Image   string `json:"image,omitempty"`
	Version string `json:"version,omitempty"`
	Digest  string `json:"digest,omitempty"`
	Why     string `json:"why"`
	Error   string `json:"error,omitempty"`
}

func pruneItems(items []engine.PruneItem) []pruneItem {
	out := make([]pruneItem, 0, len(items))
	for _, it := range items {
		j := pruneItem{Kind: it.Kind, Path: it.Path, Bytes: it.Bytes, Image: it.Image, Version: it.Version, Digest: it.Digest, Why: textsafe.Escape(it.Why)}
		if it.Err != nil {
			j.Error = textsafe.Escape(it.Err.Error())
		}
		out = append(out, j)
	}
	return out
}

func (a *app) prune(ctx context.Context, dryRun bool) error {
	s, err := a.openSession(true, true)
	if err != nil {
		return err
	}
	defer s.Close()
	rep, err := s.engine.Prune(ctx, dryRun)
	if err != nil {
		return err
	}
	switch {
	case a.jsonOut:
		if err := a.writeJSON(pruneJSON{Command: "prune", Dir: s.cfg.Dir, DryRun: dryRun, Removed: pruneItems(rep.Removed),
			Kept: pruneItems(rep.Kept), Freed: rep.Freed, Warnings: a.jsonWarnings()}); err != nil {
			return err
		}
	case !a.quiet:
		writePrune(a.stdout, s.cfg.Dir, rep)
	}
	for _, it := range rep.Removed {
		if it.Err != nil {
			a.reportError("error", it.Path, it.Err)
		}
	}
	if rep.Failed() {
		return &silentError{code: exitFailed}
	}
	return nil
}

func writePrune(w io.Writer, dir string, rep engine.PruneReport) {
	verb, freed := "removed", "freed"
	if rep.DryRun {
		verb, freed = "would remove", "would free"
	}
	if len(rep.Removed) == 0 {
		fmt.Fprintf(w, "nothing to remove in %s\n", dir)
	} else {
		fmt.Fprintf(w, "%s in %s:\n", verb, dir)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, it := range rep.Removed {
			what := it.Kind
			if it.Version != "" {
				what += " " + it.Version
			}
			line := fmt.Sprintf("  %s\t%s\t%s\t%s", what, humanBytes(it.Bytes), it.Path, textsafe.Escape(it.Why))
			if it.Err != nil {
				line += "\tFAILED: " + textsafe.Escape(it.Err.Error())
			}
			fmt.Fprintln(tw, line)
		}
		tw.Flush()
	}
	if len(rep.Kept) > 0 {
		fmt.Fprintln(w, "kept:")
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, it := range rep.Kept {
			fmt.Fprintf(tw, "  build %s\t%s\t%s\t%s\n", orDash(it.Version), humanBytes(it.Bytes), it.Path, textsafe.Escape(it.Why))
		}
		tw.Flush()
	}
	fmt.Fprintf(w, "%s %s (%d bytes)\n", freed, humanBytes(rep.Freed), rep.Freed)
}

// keptLines says, per image, what its builds take on disk and which ones
// are kept: status's lines under the table.
func keptLines(w io.Writer, r engine.Result) {
	if len(r.Builds) == 0 {
		return
	}
	virtual := ""
	if r.Local != nil && r.Local.VirtualSize > 0 {
		virtual = ", virtual size " + humanBytes(r.Local.VirtualSize)
	}
	fmt.Fprintf(w, "  %s: %s on disk in %d build(s)%s\n", r.Name, humanBytes(r.DiskBytes), len(r.Builds), virtual)
	for _, b := range r.Builds {
		missing := ""
		if b.Missing {
			missing = ", MISSING"
		}
		fmt.Fprintf(w, "    %-8s %s  %s  %s on disk (size %s)%s  %s\n", b.Role, orDash(b.Build.Version), b.Build.Digest.Short(),
			humanBytes(b.DiskBytes), humanBytes(b.Build.Size), missing, b.Path)
	}
}
