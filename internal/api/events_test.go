package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/sandlabx/fetchd/internal/sse"
)

func stream(t *testing.T, ctx context.Context, url, lastID string) *sse.Reader {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, "GET", url+"/v1/events", nil)
	req.Header.Set("Authorization", "Bearer "+testToken)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("events: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	return sse.NewReader(resp.Body)
}

func next(t *testing.T, rd *sse.Reader) sse.Event {
	t.Helper()
	ev, err := rd.Next()
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

func TestEventStream(t *testing.T) {
	t.Parallel()
	fake := newFake() // a log of 8 events
	s := New(fake, Options{})
	s.Access().Set(testToken, false)
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	publish := func(n int) {
		for i := range n {
			fake.log.Append("progress", []byte(fmt.Sprintf(`{"event":"progress","n":%d}`, i)))
		}
	}
	publish(2) // before anyone listens: a new stream starts after them
	live := stream(t, ctx, srv.URL, "")
	publish(3)
	for want := uint64(3); want <= 5; want++ {
		ev := next(t, live)
		if ev.ID != fmt.Sprint(want) || ev.Type != "progress" || !json.Valid([]byte(ev.Data)) {
			t.Fatalf("live event %+v, want id %d", ev, want)
		}
	}

	// Resuming after 3 gets 4 and 5, nothing missed.
	resumed := stream(t, ctx, srv.URL, "3")
	if a, b := next(t, resumed), next(t, resumed); a.ID != "4" || b.ID != "5" {
		t.Fatalf("resumed after 3: %s %s, want 4 5", a.ID, b.ID)
	}

	// Resuming from before what the log holds says how many were dropped.
	publish(6) // 11 events, the log holds 4..11
	behind := stream(t, ctx, srv.URL, "1")
	ev := next(t, behind)
	var d Dropped
	if ev.Type != "dropped" || json.Unmarshal([]byte(ev.Data), &d) != nil || d.Missed != 2 || d.Reset {
		t.Fatalf("resumed after 1: %+v, want a dropped event saying 2 were missed", ev)
	}
	if ev := next(t, behind); ev.ID != "4" {
		t.Fatalf("after the dropped notice: id %s, want 4", ev.ID)
	}

	// An id from another run: reset, then the log from its oldest event.
	other := stream(t, ctx, srv.URL, "9999")
	ev = next(t, other)
	if ev.Type != "dropped" || json.Unmarshal([]byte(ev.Data), &d) != nil || !d.Reset {
		t.Fatalf("resumed after another run's id: %+v, want a reset notice", ev)
	}

	// Shutdown ends every stream.
	done := make(chan error, 1)
	go func() {
		for {
			if _, err := live.Next(); err != nil {
				done <- err
				return
			}
		}
	}()
	s.Shutdown(ctx)
	select {
	case <-done:
	case <-ctx.Done():
		t.Fatal("a stream stayed open after Shutdown")
	}
}
