package main

import (
	"context"
	"errors"
)

func (a *app) resolve(ctx context.Context, args []string) error {
	return errors.New("resolve: not implemented yet")
}
