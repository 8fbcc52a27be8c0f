// Command gen writes the web UI's bundled script, assets/app.js, from the
// modules in src/ (see package bundle). It runs from `go generate
// ./internal/webui`, in that package's directory.
package main

import (
	"fmt"
	"os"

	"github.com/sandlabx/fetchd/internal/webui/bundle"
)

func main() {
	out, err := bundle.Build(".")
	if err == nil {
		err = os.WriteFile(bundle.Out, out, 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}
