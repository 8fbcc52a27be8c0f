package main

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"syscall"

	"github.com/hashicorp/go-plugin"
)

// signalError is why a command's context was cancelled: SIGINT or SIGTERM.
// fetchd then stops what it is doing, keeps partial downloads for the next
// run, never execs sync's CMD, and exits 128+signal (130, 143), as a shell
// reports a process killed by that signal.
type signalError struct{ sig syscall.Signal }

func (e *signalError) Error() string { return "interrupted by " + signalName(e.sig) }

func (e *signalError) code() int { return 128 + int(e.sig) }

func signalName(s syscall.Signal) string {
	switch s {
	case syscall.SIGINT:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	}
	return s.String()
}

// interruption returns the signal that cancelled ctx, or nil.
func interruption(ctx context.Context) *signalError {
	var se *signalError
	if errors.As(context.Cause(ctx), &se) {
		return se
	}
	return nil
}

// signalContext returns a context cancelled, with a *signalError as its
// cause, by the first SIGINT or SIGTERM. A second one ends fetchd at once
// (its lock and plugins go with the process). stop undoes it.
func signalContext() (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancelCause(context.Background())
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	go func() {
		first := <-ch
		cancel(&signalError{sig: first.(syscall.Signal)})
		second := <-ch
		plugin.CleanupClients()
		os.Exit(128 + int(second.(syscall.Signal)))
	}()
	return ctx, func() {
		signal.Stop(ch)
		cancel(nil)
	}
}

// handOver prepares the exec of sync's CMD: from here on SIGINT and
// SIGTERM have their default effect, and a signal that arrived before
// (cancelling ctx) means CMD must not start.
func handOver(ctx context.Context) error {
	signal.Reset(os.Interrupt, syscall.SIGTERM)
	if se := interruption(ctx); se != nil {
		return se
	}
	return nil
}
