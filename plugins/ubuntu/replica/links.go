package replica

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// writeLinks makes (or moves) the symbolic links upstream serves:
//
//	releases/<version>            -> <codename>       releases/24.04/ is releases/noble/
//	releases/<codename>/release   -> release-<newest>  the moving "release" build
//	releases/server/releases      -> ..                simplestreams item paths (server/releases/...) under releases/
//	<codename>/current            -> <newest serial>   the moving daily build
//	daily/server/<codename>       -> ../../<codename>  daily item paths (server/<codename>/...) under daily/
//
// How upstream itself makes the item paths resolve (links or redirects) is
// not known; the replica only needs the same URLs to work.
func (l *Layout) writeLinks() error {
	if err := l.link("releases/server/releases", ".."); err != nil {
		return err
	}
	for i := range upstream {
		r := &upstream[i]
		if err := l.link("releases/"+r.version, r.codename); err != nil {
			return err
		}
		if d := l.newest(r, Server); d != nil {
			if err := l.link("releases/"+r.codename+"/release", "release-"+d.serial); err != nil {
				return err
			}
		}
		if d := l.newest(r, Daily); d != nil {
			if err := l.link(r.codename+"/current", d.serial); err != nil {
				return err
			}
			if err := l.link("daily/server/"+r.codename, "../../"+r.codename); err != nil {
				return err
			}
		}
	}
	return nil
}

// link points rel at target, replacing an existing link atomically.
func (l *Layout) link(rel, target string) error {
	name := l.abs(rel)
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return fmt.Errorf("replica: %w", err)
	}
	if cur, err := os.Readlink(name); err == nil && cur == target {
		return nil
	}
	tmp := name + ".tmp-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	if err := os.Symlink(target, tmp); err != nil {
		return fmt.Errorf("replica: %w", err)
	}
	if err := os.Rename(tmp, name); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("replica: %w", err)
	}
	return nil
}
