package state

// CorruptError says the state file exists but cannot be used: unreadable,
// not JSON, truncated, an unknown version, or a record that does not
// validate. Callers treat the directory as "nothing known", re-verify,
// and tell the user.
type CorruptError struct {
	Path string
	Err  error
}

func (e *CorruptError) Error() string {
	return "state file " + e.Path + " is unusable (images will be re-verified): " + e.Err.Error()
}

func (e *CorruptError) Unwrap() error { return e.Err }
