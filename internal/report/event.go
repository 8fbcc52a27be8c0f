package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/sandlabx/fetchd/internal/engine"
)

// Event is one line of --log-format json (see the package documentation).
type Event struct {
	Time    string `json:"time"`
	Level   string `json:"level"`
	Event   string `json:"event"`
	Image   string `json:"image,omitempty"`
	URL     string `json:"url,omitempty"`
	Done    int64  `json:"done,omitempty"`
	Total   int64  `json:"total,omitempty"`
	Reused  int64  `json:"reused,omitempty"`
	Result  *Image `json:"result,omitempty"`
	Message string `json:"message,omitempty"`
	// Cause names the check that refused an image (see RefusalCause);
	// set by the service on a done event whose image was refused.
	Cause string `json:"cause,omitempty"`
	// Job and State are the service's job an event belongs to and, for a
	// job event, its new state.
	Job   string `json:"job,omitempty"`
	State string `json:"state,omitempty"`
}

// The levels of an Event.
const (
	Info    = "info"
	Warning = "warning"
	Error   = "error"
	Hint    = "hint"
	Debug   = "debug"
)

// stamp is an Event's time.
func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// Stamp formats t as an Event's time.
func Stamp(t time.Time) string { return stamp(t) }

// FromEngine encodes an engine event.
func FromEngine(e engine.Event, t time.Time) Event {
	ev := Event{Time: stamp(t), Level: Info, Image: e.Image}
	switch e.Kind {
	case engine.Resolving:
		ev.Event = "resolving"
	case engine.Downloading:
		ev.Event, ev.URL, ev.Total = "downloading", e.URL, e.Total
	case engine.Progress:
		ev.Event, ev.Done, ev.Total, ev.Reused = "progress", e.Done, e.Total, e.Reused
	case engine.Verifying:
		ev.Event = "verifying"
	case engine.Removed:
		ev.Event = "removed"
		if it := e.Removed; it != nil {
			ev.Message = RemovedText(it.Kind, it.Version, it.Path, it.Why, it.Bytes)
		}
	case engine.Done:
		ev.Event = "done"
		if e.Result != nil {
			r := FromResult(*e.Result)
			ev.Result = &r
			if !e.Result.Outcome.OK() {
				ev.Level = Error
			}
		}
	}
	return ev
}

// RemovedText is a removed event's message: what was removed, where, the
// bytes freed and why.
func RemovedText(kind, version, path, why string, bytes int64) string {
	what := kind
	if version != "" {
		what += " " + version
	}
	return fmt.Sprintf("removed %s (%s, %d bytes): %s", what, path, bytes, why)
}

// Message is text for people as an event: an error, a warning, a hint.
func Message(level, image, msg string, t time.Time) Event {
	return Event{Time: stamp(t), Level: level, Event: "message", Image: image, Message: msg}
}

// Writer writes events as JSON lines, one Write per line; it is safe for
// concurrent use.
type Writer struct {
	mu  sync.Mutex
	w   io.Writer
	now func() time.Time
	buf []byte // an unfinished text line (Lines)
}

// NewWriter returns a Writer on w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w, now: time.Now} }

// Write writes one event.
func (w *Writer) Write(ev Event) error {
	b, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	_, err = w.w.Write(append(b, '\n'))
	return err
}

// Now is the Writer's clock.
func (w *Writer) Now() time.Time { return w.now() }

// Lines returns an io.Writer that turns text written to it, line by line,
// into message events: "fetchd: error: …" becomes level error, "fetchd:
// hint: …" level hint, and so on; any other line is level info. Text
// output that has no event of its own goes through it, so that every line
// is JSON.
func (w *Writer) Lines() io.Writer { return lineWriter{w} }

type lineWriter struct{ w *Writer }

func (l lineWriter) Write(p []byte) (int, error) {
	w := l.w
	w.mu.Lock()
	w.buf = append(w.buf, p...)
	var lines []string
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		lines = append(lines, string(w.buf[:i]))
		w.buf = w.buf[i+1:]
	}
	w.mu.Unlock()
	for _, line := range lines {
		if err := w.Write(textEvent(line, w.now())); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// textEvent reads the level off a line in fetchd's text voice.
func textEvent(line string, t time.Time) Event {
	msg, _ := strings.CutPrefix(line, "fetchd: ")
	for _, level := range []string{Error, Warning, Hint, Debug} {
		if rest, ok := strings.CutPrefix(msg, level+": "); ok {
			return Message(level, "", rest, t)
		}
	}
	return Message(Info, "", msg, t)
}
