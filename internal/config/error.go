package config

import (
	"strconv"
	"strings"
)

// Error is a problem with the configuration: a syntax error, an unknown key,
// a value of the wrong type or an invalid value. File is the config file as
// it was named ("" for the built-in default and for environment variables),
// Line is 1-based (0 when unknown) and Key is the key path, such as
// images."alpine-3.qcow2".update.
type Error struct {
	File string
	Line int
	Key  string
	Msg  string
	Err  error // the underlying error, if any
}

// Error returns "file:line: key: msg", leaving out the parts that are empty.
func (e *Error) Error() string {
	var parts []string
	loc := e.File
	if loc == "" && e.Line > 0 {
		loc = "built-in config"
	}
	if e.Line > 0 {
		loc += ":" + strconv.Itoa(e.Line)
	}
	if loc != "" {
		parts = append(parts, loc)
	}
	if e.Key != "" {
		parts = append(parts, e.Key)
	}
	msg := e.Msg
	switch {
	case msg == "" && e.Err != nil:
		msg = e.Err.Error()
	case e.Err != nil:
		msg += ": " + e.Err.Error()
	}
	parts = append(parts, msg)
	return strings.Join(parts, ": ")
}

func (e *Error) Unwrap() error { return e.Err }

// NotFoundError is returned by Load when a config file that was asked for
// explicitly (--config or $FETCHD_CONFIG) does not exist.
type NotFoundError struct {
	Path string
	From string // "--config" or "$FETCHD_CONFIG"
}

func (e *NotFoundError) Error() string {
	if e.From == "" {
		return "config file not found: " + e.Path
	}
	return "config file not found: " + e.Path + " (from " + e.From + ")"
}
