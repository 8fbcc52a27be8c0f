package engine

import (
	"path/filepath"
	"strings"

	"github.com/sandlabx/fetchd/internal/download"
	"github.com/sandlabx/fetchd/internal/store"
)

// cleanPartials removes partial downloads nothing needs any more. It runs
// under the directory lock, only after a full, online run in which every
// image ended on disk and verified and every source answered: then no
// partial is worth resuming except one for a newer build the policy did
// not download.
func (r *run) cleanPartials(results []Result) {
	keep := map[string]bool{}
	for _, res := range results {
		if !res.Outcome.OK() || res.Err != nil {
			return
		}
		if res.Upstream != nil {
			keep[filepath.Base(download.PartialPath("", res.Upstream.Digest))] = true
			keep[filepath.Base(download.StatePath("", res.Upstream.Digest))] = true
		}
	}
	for _, name := range r.stalePartials(keep) {
		_ = r.st.Remove(store.Partial, name)
	}
}

// stalePartials lists the partial area's files not in keep.
func (r *run) stalePartials(keep map[string]bool) []string {
	ents, err := r.st.List(store.Partial)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range ents {
		if keep[e.Name] || e.Stat.Mode&0o170000 == 0o040000 {
			continue
		}
		if strings.HasSuffix(e.Name, ".part") || strings.HasSuffix(e.Name, ".adopt") || strings.HasSuffix(e.Name, download.StateSuffix) || strings.HasPrefix(e.Name, ".") {
			out = append(out, e.Name)
		}
	}
	return out
}

func joinList(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}
