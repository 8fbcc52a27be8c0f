package main

import (
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

// manCommand is the hidden command that writes the man pages from the
// command definitions:
//
//	go run ./cmd/fetchd __man docs/man
//
// scripts/test.sh runs it into a temporary directory and fails if
// docs/man differs.
const manCommand = "__man"

// manDate is the date in the pages' header. It is fixed so that the pages
// change only when the commands do.
var manDate = time.Date(2026, time.December, 1, 0, 0, 0, 0, time.UTC)

func (a *app) manCmd() *cobra.Command {
	return &cobra.Command{
		Use:    manCommand + " DIR",
		Short:  "write the man pages into DIR",
		Hidden: true,
		Args:   cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := args[0]
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return err
			}
			header := &doc.GenManHeader{Title: "FETCHD", Section: "1", Source: "fetchd", Manual: "fetchd manual", Date: &manDate}
			if err := doc.GenManTree(cmd.Root(), header, dir); err != nil {
				return fmt.Errorf("writing man pages: %w", err)
			}
			return nil
		},
	}
}
