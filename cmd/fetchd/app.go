package main

import (
	"encoding/json"
	"io"

	"github.com/sandlabx/fetchd/internal/report"
)

// app holds what every command shares: the output streams, the
// environment, and the global flags (root.go).
type app struct {
	stdout, stderr io.Writer
	getenv         func(string) string

	configPath  string
	dir         string
	jsonOut     bool
	quiet       bool
	logFormat   string
	showVersion bool

	// warnings are the plugin warnings the command announced (announce),
	// for its JSON document.
	warnings []string
	debug    bool

	// explain renders errors for people; loadConfig sets it up for the
	// config in force.
	explain explainer
	// log is set with --log-format json: every line on stderr is then one
	// JSON event (stderr itself becomes log.Lines()).
	log *report.Writer
}

// writeJSON writes v as the command's one JSON document on stdout (--json).
func (a *app) writeJSON(v any) error {
	enc := json.NewEncoder(a.stdout)
	enc.SetIndent("", "  ")
	// Text that reaches a JSON document is for programs: "<" stays "<".
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
