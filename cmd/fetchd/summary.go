package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sandlabx/fetchd/internal/engine"
	"github.com/sandlabx/fetchd/internal/state"
	"github.com/sandlabx/fetchd/internal/textsafe"
)

// writeSummary prints one line per image, the way the entrypoint script
// this replaces ended its output, with what fetchd knows besides.
func writeSummary(w io.Writer, dir string, results []engine.Result, x explainer) {
	ok := 0
	for _, r := range results {
		if r.Outcome.OK() {
			ok++
		}
	}
	fmt.Fprintf(w, "fetchd: %d of %d images ready in %s\n", ok, len(results), dir)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, r := range results {
		mark := "ok"
		if !r.Outcome.OK() {
			mark = "!!"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", mark, r.Name, r.Outcome, summaryDetail(r, dir, x))
	}
	tw.Flush()
}

func summaryDetail(r engine.Result, dir string, x explainer) string {
	var parts []string
	if e := r.Local; e != nil && r.Outcome.OK() {
		what := strings.TrimSpace(strings.Join([]string{e.Source, e.Release, e.Arch, e.Variant}, " "))
		if what == "" {
			what = e.URL
		}
		if e.Version == e.Digest.Short() {
			parts = append(parts, fmt.Sprintf("%s, %s", what, e.Digest.Short()))
		} else {
			parts = append(parts, fmt.Sprintf("%s, build %s, %s", what, e.Version, e.Digest.Short()))
		}
	}
	switch r.Outcome {
	case engine.Installed, engine.Updated, engine.Replaced:
		if r.Transferred > 0 || r.Reused > 0 {
			moved := fmt.Sprintf("%s in %s", humanBytes(r.Transferred), roundDuration(r.Duration))
			if r.Connections > 1 {
				moved += fmt.Sprintf(" over %d connections", r.Connections)
			}
			if r.Reused > 0 {
				moved += fmt.Sprintf(", resumed after %s", humanBytes(r.Reused))
			}
			parts = append(parts, moved)
		}
		if s := servedBy(r); s != "" {
			parts = append(parts, textsafe.Escape(s)) // reasons quote what servers sent
		}
	case engine.Failed, engine.Missing, engine.Modified:
		if r.Err != nil {
			parts = append(parts, failureText(r, x))
		}
		if r.Note != "" {
			parts = append(parts, r.Note)
		}
		if e := inPlace(r, dir); e != nil {
			if !strings.Contains(r.Note, "stays") {
				parts = append(parts, "previous build "+e.Version+" stays")
			}
		} else {
			parts = append(parts, "VMs with this OS will fail to start")
		}
		return strings.Join(parts, "; ")
	}
	if r.Note != "" {
		parts = append(parts, r.Note)
	}
	return strings.Join(parts, "; ")
}

// failureText says what failed, cause first: "build X refused: why" when
// fetchd refused the bytes of a build, else the error in brief.
// What a plugin or a server sent is escaped for the terminal.
func failureText(r engine.Result, x explainer) string {
	msg := textsafe.Escape(x.brief(r.Err))
	switch u := r.Upstream; {
	case !refusal(r.Err):
		return msg
	case u != nil && u.Version != "" && u.Version != u.Digest.Short():
		return "build " + u.Version + " refused: " + msg
	}
	return "refused: " + msg // a direct URL's build has no name but its digest
}

// inPlace returns the record of the image still usable at its final path
// (the file is exactly what fetchd verified), or nil.
func inPlace(r engine.Result, dir string) *state.Entry {
	if r.Local == nil {
		return nil
	}
	fi, err := os.Lstat(filepath.Join(dir, r.Name))
	if err != nil || !r.Local.Matches(fi) {
		return nil
	}
	return r.Local
}

// roundDuration keeps a duration readable: milliseconds below a second,
// tenths of a second above.
func roundDuration(d time.Duration) time.Duration {
	if d < time.Second {
		return d.Round(time.Millisecond)
	}
	return d.Round(100 * time.Millisecond)
}

// servedBy says which URLs served what, when a download had mirrors, and
// why it started over on one connection, if it did.
func servedBy(r engine.Result) string {
	var parts []string
	if len(r.Served) > 1 {
		var each []string
		for _, s := range r.Served {
			e := fmt.Sprintf("%s %s", hostOf(s.URL), humanBytes(s.Bytes))
			if s.Dropped != "" {
				e += " (dropped: " + s.Dropped + ")"
			}
			each = append(each, e)
		}
		parts = append(parts, "from "+strings.Join(each, ", "))
	}
	if r.FellBack != "" {
		parts = append(parts, "fell back to one connection: "+r.FellBack)
	}
	return strings.Join(parts, "; ")
}
