package main

import (
	"context"
	"errors"

	"github.com/sandlabx/fetchd/internal/engine"
)

func (a *app) verify(ctx context.Context, args []string) error {
	fs := a.flags("verify")
	names, _, err := parse(fs, args)
	if err != nil {
		return err
	}
	s, err := a.openSession(true)
	if err != nil {
		return err
	}
	defer s.Close()
	if err := a.lockDir(ctx, s); err != nil {
		return err
	}
	results, err := s.engine.Verify(ctx, names)
	if err != nil {
		var ue *engine.UnknownImageError
		if errors.As(err, &ue) {
			return &usageError{msg: err.Error()}
		}
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
