package main

import (
	"context"

	"github.com/spf13/cobra"
)

func (a *app) verifyCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "verify [NAME...] [flags]",
		Short: "re-hash each image and run the header and qemu-img checks again",
		Long: `Verify re-hashes each image (or only the NAMEs given) and runs the qcow2 header
inspection and qemu-img info and check again. A file that no longer matches
its record loses the record, so the next sync replaces it. Nothing is
resolved or downloaded.`,
		Example: `  fetchd verify
  fetchd verify debian-13.qcow2 --json`,
		Args:              cobra.ArbitraryArgs,
		ValidArgsFunction: a.completeImages,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.verify(cmd.Context(), args)
		},
	}
}

func (a *app) verify(ctx context.Context, names []string) error {
	s, err := a.openSession(true, true)
	if err != nil {
		return err
	}
	defer s.Close()
	results, err := s.engine.Verify(ctx, names)
	if err != nil {
		return err
	}
	a.report(s.cfg, results, "verify")
	for _, r := range results {
		if !r.Outcome.OK() {
			return &silentError{code: exitFailed}
		}
	}
	return nil
}
