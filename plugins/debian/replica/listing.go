package replica

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	ireplica "github.com/sandlabx/fetchd/internal/replica"
)

// writeListings writes an index.html in every directory of the tree, in
// the nginx autoindex style of internal/replica (cloud.debian.org itself
// serves Apache fancy indexes; the plugin reads no listing).
func (l *Layout) writeListings() error {
	return filepath.WalkDir(l.root, func(p string, d os.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(l.root, p)
		if err != nil {
			return err
		}
		des, err := os.ReadDir(p)
		if err != nil {
			return err
		}
		var entries []ireplica.ListingEntry
		var newest time.Time
		for _, de := range des {
			if de.Name() == "index.html" || strings.HasPrefix(de.Name(), ".") {
				continue
			}
			info, err := de.Info()
			if err != nil {
				return err
			}
			e := ireplica.ListingEntry{Name: de.Name(), Dir: de.IsDir(), Size: info.Size(), ModTime: info.ModTime()}
			if e.Dir {
				e.ModTime = dirTime(filepath.Join(p, de.Name()))
			}
			if e.ModTime.After(newest) {
				newest = e.ModTime
			}
			entries = append(entries, e)
		}
		slices.SortFunc(entries, func(a, b ireplica.ListingEntry) int { return strings.Compare(a.Name, b.Name) })
		title := "/images/cloud/"
		if rel != "." {
			title += filepath.ToSlash(rel) + "/"
		}
		return ireplica.WriteFile(l.root, filepath.ToSlash(filepath.Join(rel, "index.html")), ireplica.Listing(title, entries), newest)
	})
}

// dirTime is the newest modification time of the files under dir (its
// own mtime changes whenever an index.html is written).
func dirTime(dir string) time.Time {
	var t time.Time
	_ = filepath.WalkDir(dir, func(_ string, de os.DirEntry, err error) error {
		if err != nil || de.IsDir() || de.Name() == "index.html" {
			return nil
		}
		if info, err := de.Info(); err == nil && info.ModTime().After(t) {
			t = info.ModTime()
		}
		return nil
	})
	return t
}
