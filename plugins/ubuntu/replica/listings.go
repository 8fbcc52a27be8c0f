package replica

import (
	"fmt"
	"os"
	"path"
	"slices"
	"strings"

	"github.com/sandlabx/fetchd/internal/replica"
)

// writeListings writes an index.html listing into every real directory of
// the tree (links show their target's listing), as the upstream web server
// answers for a directory URL. Nothing in the plugin reads them; they make
// the tree browsable like upstream's.
func (l *Layout) writeListings() error {
	return l.listDir("")
}

func (l *Layout) listDir(rel string) error {
	ents, err := os.ReadDir(l.abs(rel))
	if err != nil {
		return fmt.Errorf("replica: %w", err)
	}
	var entries []replica.ListingEntry
	for _, e := range ents {
		name := e.Name()
		if name == "index.html" || strings.HasPrefix(name, ".tmp-") || strings.Contains(name, ".tmp-") {
			continue
		}
		child := path.Join(rel, name)
		fi, err := os.Stat(l.abs(child)) // follows links
		if err != nil {
			return fmt.Errorf("replica: %w", err)
		}
		entries = append(entries, replica.ListingEntry{Name: name, Dir: fi.IsDir(), Size: fi.Size(), ModTime: fi.ModTime()})
		if e.Type().IsDir() { // a real directory, not a link to one
			if err := l.listDir(child); err != nil {
				return err
			}
		}
	}
	slices.SortFunc(entries, func(a, b replica.ListingEntry) int { return strings.Compare(a.Name, b.Name) })
	return writeAtomic(l.abs(path.Join(rel, "index.html")), replica.Listing("/"+rel, entries), l.opts.Now)
}
