package engine

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/sandlabx/fetchd/internal/download"
)

// cleanPartials removes partial downloads nothing needs any more. It runs
// under the directory lock, only after a full, online run in which every
// image ended on disk and verified and every source answered: then no
// partial is worth resuming except one for a newer build the policy did
// not download.
func (e *Engine) cleanPartials(results []Result) {
	keep := map[string]bool{}
	for _, r := range results {
		if !r.Outcome.OK() || r.Err != nil {
			return
		}
		if r.Upstream != nil {
			keep[filepath.Base(download.PartialPath(e.partialDir(), r.Upstream.Digest))] = true
		}
	}
	entries, err := os.ReadDir(e.partialDir())
	if err != nil {
		return
	}
	for _, ent := range entries {
		if keep[ent.Name()] || ent.IsDir() {
			continue
		}
		if strings.HasSuffix(ent.Name(), ".part") || strings.HasPrefix(ent.Name(), ".") {
			_ = os.Remove(filepath.Join(e.partialDir(), ent.Name()))
		}
	}
}

func joinList(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}
