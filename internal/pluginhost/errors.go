package pluginhost

import (
	"fmt"
	"strings"

	"google.golang.org/grpc/codes"

	"github.com/sandlabx/fetchd/internal/textsafe"
)

// Kind says what went wrong with a plugin.
type Kind int

// The kinds of plugin failure.
const (
	// Failed: the plugin answered with an error (Code says which kind).
	Failed Kind = iota
	// NotAPlugin: the executable did not perform the go-plugin handshake.
	NotAPlugin
	// ProtocolMismatch: the plugin speaks another protocol version.
	ProtocolMismatch
	// Crashed: the plugin process exited.
	Crashed
	// Timeout: the plugin did not start or answer in time.
	Timeout
	// InvalidAnswer: the plugin's answer broke the protocol's rules.
	InvalidAnswer
	// Refused: the plugin binary may not be used (see trust.go).
	Refused
)

// Error is a failure of one plugin. Its message names the source and where
// it was loaded from.
type Error struct {
	Source string
	Origin string // "built-in" or the plugin's path
	Op     string // "start", "Describe", "Resolve"
	Kind   Kind
	Code   codes.Code // the plugin's status code, for Failed
	Err    error
	// Stderr is the end of what the plugin wrote to stderr, if anything.
	Stderr string
	// Fetch is the first metadata fetch that failed during the call, as
	// the host saw it (the network error with its host), if any: the
	// likely cause of a failed Resolve.
	Fetch error
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "source %s (%s): ", e.Source, e.Origin)
	switch e.Kind {
	case NotAPlugin:
		b.WriteString("not a fetchd plugin: ")
	case ProtocolMismatch:
		b.WriteString("")
	case Crashed:
		fmt.Fprintf(&b, "plugin exited during %s: ", e.Op)
	case Timeout:
		fmt.Fprintf(&b, "%s: ", e.Op)
	case InvalidAnswer:
		fmt.Fprintf(&b, "invalid %s answer: ", e.Op)
	case Refused:
	default:
		if e.Op == "Resolve" || e.Op == "Describe" {
			// The plugin's own message says what failed.
		} else {
			fmt.Fprintf(&b, "%s: ", e.Op)
		}
	}
	b.WriteString(e.Err.Error())
	if e.Stderr != "" {
		fmt.Fprintf(&b, " (plugin stderr: %s)", stderrSummary(e.Stderr))
	}
	// The plugin wrote most of this: no escape sequence or bidi control
	// of its reaches a terminal or a log.
	return textsafe.Escape(b.String())
}

// Unwrap returns the plugin's error and the failed fetch, if any, so that
// errors.As finds the network error behind a failed Resolve.
func (e *Error) Unwrap() []error {
	if e.Fetch != nil {
		return []error{e.Err, e.Fetch}
	}
	return []error{e.Err}
}

// oneLine squeezes s into one line of at most n bytes, keeping its end,
// where a crash report's cause usually is.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		s = "…" + s[len(s)-n:]
	}
	return s
}

// stderrSummary picks what is worth showing of a plugin's stderr: a Go
// panic or fatal error line when there is one, else the end.
func stderrSummary(s string) string {
	lines := strings.Split(s, "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		l := strings.TrimSpace(lines[i])
		if strings.HasPrefix(l, "panic: ") || strings.HasPrefix(l, "fatal error: ") {
			return oneLine(l, 300)
		}
	}
	return oneLine(s, 300)
}
