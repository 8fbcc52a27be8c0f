package store

import (
	"regexp"
	"strconv"
)

var procFD = regexp.MustCompile(`/proc/self/fd/([0-9]+)`)

// DisplayText replaces the /proc/self/fd paths of the store's descriptors
// in msg with the real paths they stand for.
func (s *Store) DisplayText(msg string) string {
	return procFD.ReplaceAllStringFunc(msg, func(m string) string {
		n, err := strconv.Atoi(m[len("/proc/self/fd/"):])
		if err != nil {
			return m
		}
		for a, f := range s.fds {
			if int(f.Fd()) == n {
				return s.Path(a)
			}
		}
		return m
	})
}

// Display returns err with the store's /proc/self/fd paths in its message
// replaced by real paths (errors.Is and errors.As still see err).
func (s *Store) Display(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if text := s.DisplayText(msg); text != msg {
		return &displayError{err: err, msg: text}
	}
	return err
}

type displayError struct {
	err error
	msg string
}

func (e *displayError) Error() string { return e.msg }
func (e *displayError) Unwrap() error { return e.err }
