package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/sandlabx/fetchd/internal/engine"
	"github.com/sandlabx/fetchd/internal/pluginhost"
	"github.com/sandlabx/fetchd/internal/report"
	"github.com/sandlabx/fetchd/internal/textsafe"
)

// Exit codes.
const (
	exitOK     = 0
	exitFailed = 1 // some image or source failed
	exitUsage  = 2 // bad usage or bad config
	// exitHeld: every image is ready, but a newer build of some image is
	// held back because VM disks use its name (sync without -- CMD).
	exitHeld = 3
)

// usageError is bad usage or bad configuration: exit code 2.
type usageError struct {
	msg  string
	hint string
}

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// silentError carries an exit code for failures already reported.
type silentError struct{ code int }

func (e *silentError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// finish prints what a command returned, the one way fetchd prints errors,
// and picks the exit code.
func (a *app) finish(err error) int {
	if err == nil {
		return exitOK
	}
	var (
		se *silentError
		ue *usageError
		ui *engine.UnknownImageError
		us *engine.UnknownSourceError
		ps *pluginhost.UnknownSourceError
		sg *signalError
	)
	switch {
	case errors.As(err, &se):
		return se.code
	case errors.As(err, &sg):
		a.printError("error", "", sg.Error())
		return sg.code()
	case errors.As(err, &ue):
		a.printError("error", "", ue.msg, ue.hint)
		return exitUsage
	case errors.As(err, &ui), errors.As(err, &us), errors.As(err, &ps):
		// An image the config does not have, a source no plugin
		// provides: bad usage or bad config.
		a.reportError("error", "", err)
		return exitUsage
	case errors.Is(err, context.Canceled):
		a.printError("error", "", "interrupted")
		return exitFailed
	}
	a.reportError("error", "", err)
	return exitFailed
}

// reportError prints err, cause first, with the hints its type calls
// for: "fetchd: LABEL: [SUBJECT: ]ERR", then "fetchd: hint: …" lines;
// with --debug, the whole error too. Every error and warning fetchd
// prints goes through here.
func (a *app) reportError(label, subject string, err error) {
	a.printError(label, subject, a.explain.brief(err), a.explain.hints(err)...)
	a.debugError(subject, err)
}

// debugError prints the whole error, paths and commands included, with
// --debug.
func (a *app) debugError(subject string, err error) {
	if !a.debug {
		return
	}
	msg := err.Error()
	if subject != "" {
		msg = subject + ": " + msg
	}
	fmt.Fprintf(a.stderr, "fetchd: debug: %s\n", textsafe.Escape(msg))
	for _, d := range report.ErrorDetail(err) {
		fmt.Fprintf(a.stderr, "fetchd: debug: %s\n", textsafe.Escape(d))
	}
}

// printError prints one error or warning line and its hints. The text may
// carry what a plugin or a server sent, so it is escaped: no escape
// sequence or bidi control of theirs reaches a terminal or a log.
func (a *app) printError(label, subject, msg string, hints ...string) {
	if a.log != nil {
		_ = a.log.Write(report.Message(label, subject, textsafe.Escape(msg), a.log.Now()))
		for _, h := range hints {
			if h != "" {
				_ = a.log.Write(report.Message(report.Hint, subject, textsafe.Escape(h), a.log.Now()))
			}
		}
		return
	}
	if subject != "" {
		msg = subject + ": " + msg
	}
	fmt.Fprintf(a.stderr, "fetchd: %s: %s\n", label, textsafe.Escape(msg))
	for _, h := range hints {
		if h != "" {
			fmt.Fprintf(a.stderr, "fetchd: hint: %s\n", textsafe.Escape(h))
		}
	}
}
