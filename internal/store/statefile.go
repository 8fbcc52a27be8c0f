package store

import (
	"errors"
	"fmt"
	"os"

	"github.com/sandlabx/fetchd/internal/state"
)

// LoadState reads state.json through the private directory's descriptor,
// capped at state.MaxBytes. A missing file is an empty state; anything
// unusable is an empty state and a *state.CorruptError.
func (s *Store) LoadState() (*state.State, error) {
	data, err := s.ReadFile(Private, StateFile, state.MaxBytes)
	if errors.Is(err, os.ErrNotExist) {
		return state.New(), nil
	}
	if err == nil {
		var st *state.State
		if st, err = state.Decode(data); err == nil {
			return st, nil
		}
	}
	return state.New(), &state.CorruptError{Path: s.Path(Private, StateFile), Err: err}
}

// SaveState writes state.json atomically (see WriteFile).
func (s *Store) SaveState(st *state.State) error {
	data, err := state.Encode(st)
	if err != nil {
		return err
	}
	return s.WriteFile(Private, StateFile, data)
}

// OpenLock opens (creating it 0600) the lock file for package lock.
func (s *Store) OpenLock() (*os.File, error) {
	f, err := s.openIn(Private, LockFile, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening lock file: %w", err)
	}
	if fi, err := f.Stat(); err == nil && fi.Mode().Perm() != 0o600 {
		if err := f.Chmod(0o600); err != nil {
			f.Close()
			return nil, err
		}
	}
	return f, nil
}
