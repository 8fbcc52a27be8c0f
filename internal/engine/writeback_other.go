//go:build !linux

package engine

// writeback is a no-op where sync_file_range does not exist.
type writeback struct{}

func newWriteback(string) *writeback { return &writeback{} }
func (*writeback) kick()             {}
func (*writeback) close()            {}
