package api

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/sandlabx/fetchd/internal/report"
	"github.com/sandlabx/fetchd/internal/sse"
)

// Event stream bounds.
const (
	// keepAlive is how often an idle stream gets a comment line, so that
	// proxies keep it open and a gone client is noticed.
	keepAlive = 30 * time.Second
	// streamWriteTimeout bounds one write to a stream: a client that stops
	// reading is dropped, never waited for.
	streamWriteTimeout = 10 * time.Second
	// readBatch is how many events a stream takes from the log at once.
	readBatch = 256
	// retryMillis is what EventSource clients wait before reconnecting.
	retryMillis = 2000
)

// Dropped is the "dropped" event a stream sends when the client resumed
// from an event the log no longer holds, or from another run's id.
type Dropped struct {
	Time    string `json:"time"`
	Event   string `json:"event"`
	Missed  uint64 `json:"missed"`
	Reset   bool   `json:"reset"`
	Message string `json:"message"`
}

// events is GET /v1/events: Server-Sent Events. Without Last-Event-ID the
// stream starts with the next event; with it, right after that event.
func (s *Server) events(w http.ResponseWriter, r *http.Request) error {
	after, resume, err := ParseLastEventID(r.Header.Get("Last-Event-ID"))
	if err != nil {
		return err
	}
	if n := s.streams.Add(1); n > MaxStreams {
		s.streams.Add(-1)
		return Errorf(http.StatusServiceUnavailable, "too many event streams open (%d); try again later", MaxStreams)
	}
	defer func() {
		if s.streams.Add(-1) == 0 && s.opts.NoStreams != nil {
			s.opts.NoStreams()
		}
	}()
	log := s.backend.Events()
	if !resume {
		after = log.LastID()
	}
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Time{})
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	bw := bufio.NewWriterSize(w, 8<<10)
	fmt.Fprintf(bw, "retry: %d\n: fetchd events after %d\n\n", retryMillis, after)
	if err := s.flush(rc, bw); err != nil {
		return nil
	}
	ticker := time.NewTimer(keepAlive)
	defer ticker.Stop()
	for {
		rd := log.Since(after, readBatch)
		if rd.Missed > 0 || rd.Reset {
			writeDropped(bw, rd.Missed, rd.Reset)
		}
		for _, e := range rd.Entries {
			sse.Write(bw, strconv.FormatUint(e.ID, 10), e.Type, e.Data)
			after = e.ID
		}
		if len(rd.Entries) > 0 || rd.Missed > 0 || rd.Reset {
			if err := s.flush(rc, bw); err != nil {
				return nil // the client is gone or stuck
			}
			if len(rd.Entries) == readBatch {
				continue
			}
		}
		if rd.Closed {
			return nil
		}
		select {
		case <-rd.Wake:
		case <-ticker.C:
			bw.WriteString(": keep-alive\n\n")
			if err := s.flush(rc, bw); err != nil {
				return nil
			}
			ticker.Reset(keepAlive)
		case <-r.Context().Done():
			return nil
		case <-s.done:
			return nil
		}
	}
}

func (s *Server) flush(rc *http.ResponseController, bw *bufio.Writer) error {
	_ = rc.SetWriteDeadline(time.Now().Add(streamWriteTimeout))
	if err := bw.Flush(); err != nil {
		return err
	}
	return rc.Flush()
}

func writeDropped(bw *bufio.Writer, missed uint64, reset bool) {
	d := Dropped{Time: report.Stamp(time.Now()), Event: "dropped", Missed: missed, Reset: reset}
	switch {
	case reset:
		d.Message = "the service restarted since that event id; these are the events it still holds"
	default:
		d.Message = fmt.Sprintf("%d events were dropped: the service keeps only the most recent ones; GET /v1/images for the current state", missed)
	}
	data, _ := json.Marshal(d)
	sse.Write(bw, "", "dropped", data)
}
