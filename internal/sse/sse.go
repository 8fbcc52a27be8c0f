// Package sse reads and writes Server-Sent Events (the text/event-stream
// format of the HTML standard): the service writes GET /v1/events with it,
// and its tests, benchmarks and clients read the stream with it.
package sse

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strconv"
	"strings"
)

// Event is one dispatched event.
type Event struct {
	// ID is the event's id field; "" when it had none.
	ID string
	// Type is the event field; "message" when it had none.
	Type string
	// Data is the data fields joined by newlines.
	Data string
	// Retry is the reconnection time the stream asked for, in
	// milliseconds, 0 if none.
	Retry int
}

// MaxLine bounds one line of a stream: a longer one is an error, not an
// unbounded buffer.
const MaxLine = 1 << 20

// ErrLineTooLong says a stream sent a line over MaxLine bytes.
var ErrLineTooLong = errors.New("sse: line too long")

// Reader parses a stream.
type Reader struct {
	r *bufio.Reader
	// LastID is the last id the stream set (what a reconnecting client
	// sends as Last-Event-ID).
	LastID string
}

// NewReader reads events from r.
func NewReader(r io.Reader) *Reader { return &Reader{r: bufio.NewReaderSize(r, 16<<10)} }

// Next returns the next event. Comments and empty events are skipped.
func (rd *Reader) Next() (Event, error) {
	var data strings.Builder
	var ev Event
	hasData := false
	for {
		line, err := rd.line()
		if err != nil {
			return Event{}, err
		}
		if line == "" {
			if !hasData {
				ev = Event{Retry: ev.Retry}
				continue
			}
			ev.Data = strings.TrimSuffix(data.String(), "\n")
			if ev.Type == "" {
				ev.Type = "message"
			}
			ev.ID = rd.LastID
			return ev, nil
		}
		if line[0] == ':' {
			continue
		}
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch field {
		case "event":
			ev.Type = value
		case "data":
			data.WriteString(value)
			data.WriteByte('\n')
			hasData = true
		case "id":
			if !strings.ContainsRune(value, 0) {
				rd.LastID = value
			}
		case "retry":
			if n, err := strconv.Atoi(value); err == nil && n >= 0 && strings.Trim(value, "0123456789") == "" {
				ev.Retry = n
			}
		}
	}
}

// line reads one line without its end (LF, CR or CRLF).
func (rd *Reader) line() (string, error) {
	var buf bytes.Buffer
	for {
		b, err := rd.r.ReadByte()
		if err != nil {
			if errors.Is(err, io.EOF) && buf.Len() > 0 {
				return "", io.ErrUnexpectedEOF
			}
			return "", err
		}
		switch b {
		case '\n':
			return buf.String(), nil
		case '\r':
			if next, err := rd.r.Peek(1); err == nil && next[0] == '\n' {
				rd.r.ReadByte()
			}
			return buf.String(), nil
		}
		if buf.Len() >= MaxLine {
			return "", ErrLineTooLong
		}
		buf.WriteByte(b)
	}
}

// Write writes one event: id (if not ""), type and data. Data must not
// contain a newline (one JSON document from encoding/json never does); a
// newline in it would be split into several data fields, which readers
// join again.
func Write(w *bufio.Writer, id, typ string, data []byte) {
	if id != "" {
		w.WriteString("id: ")
		w.WriteString(id)
		w.WriteByte('\n')
	}
	w.WriteString("event: ")
	w.WriteString(typ)
	w.WriteByte('\n')
	for _, line := range bytes.Split(data, []byte("\n")) {
		w.WriteString("data: ")
		w.Write(line)
		w.WriteByte('\n')
	}
	w.WriteByte('\n')
}
