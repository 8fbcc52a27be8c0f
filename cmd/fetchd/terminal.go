package main

import (
	"io"
	"os"

	"golang.org/x/term"
)

// canDrawBars reports whether w is a terminal that says how wide it is:
// progress bars need the width. A pseudo-terminal that reports no size
// (script -c, some CI runners) gets progress lines instead of nothing.
func canDrawBars(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return false
	}
	width, _, err := term.GetSize(int(f.Fd()))
	return err == nil && width > 0
}
