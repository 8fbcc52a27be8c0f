package state

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/sandlabx/fetchd/internal/atomicfile"
)

// fileState is State as stored.
type fileState struct {
	Version int                  `json:"version"`
	Images  map[string]fileEntry `json:"images"`
}

// Save writes s to <dir>/.fetchd/state.json atomically: a temporary file
// in .fetchd is written, fsynced, made 0644 and renamed over state.json,
// then .fetchd is fsynced. If anything fails, the old state file is left
// as it was and the temporary file is removed. Save refuses to write an
// entry Load would reject. The version written is always Version.
func (s *State) Save(dir string) error { return s.save(dir, nil) }

// failAt lets tests make one step of save fail.
type failAt func(step string) error

func (s *State) save(dir string, fail failAt) error {
	if fail == nil {
		fail = func(string) error { return nil }
	}
	out := fileState{Version: Version, Images: make(map[string]fileEntry, len(s.Images))}
	for name, e := range s.Images {
		if err := e.validate(name); err != nil {
			return fmt.Errorf("saving state: %w", err)
		}
		out.Images[name] = toFile(e)
	}
	data, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return fmt.Errorf("saving state: %w", err)
	}
	data = append(data, '\n')

	private := filepath.Join(dir, PrivateDir)
	if err := os.MkdirAll(private, 0o755); err != nil {
		return fmt.Errorf("saving state: %w", err)
	}
	tmp, err := os.CreateTemp(private, FileName+".tmp-*")
	if err != nil {
		return fmt.Errorf("saving state: %w", err)
	}
	committed := false
	defer func() {
		if !committed {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	steps := []struct {
		name string
		do   func() error
	}{
		{"write", func() error { _, err := tmp.Write(data); return err }},
		{"chmod", func() error { return tmp.Chmod(0o644) }},
		{"fsync", tmp.Sync},
		{"close", tmp.Close},
		{"rename", func() error { return os.Rename(tmp.Name(), Path(dir)) }},
	}
	for _, st := range steps {
		if err := fail(st.name); err != nil {
			return fmt.Errorf("saving state to %s: %s: %w", Path(dir), st.name, err)
		}
		if err := st.do(); err != nil {
			return fmt.Errorf("saving state to %s: %s: %w", Path(dir), st.name, err)
		}
	}
	committed = true
	if err := atomicfile.SyncDir(private); err != nil {
		return fmt.Errorf("saving state to %s: fsync directory: %w", Path(dir), err)
	}
	return nil
}
