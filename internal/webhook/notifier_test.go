package webhook

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

type received struct {
	body                  []byte
	sig, id, event, ctype string
}

type receiver struct {
	mu   sync.Mutex
	got  []received
	fail int // answer 503 to this many requests first
	seen chan received
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rv := received{body, r.Header.Get(HeaderSignature), r.Header.Get(HeaderDelivery), r.Header.Get(HeaderEvent), r.Header.Get("Content-Type")}
	rc.mu.Lock()
	rc.got = append(rc.got, rv)
	failing := rc.fail > 0
	rc.fail--
	rc.mu.Unlock()
	if failing {
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	rc.seen <- rv
}

type counts struct {
	mu                         sync.Mutex
	delivered, failed, dropped int
}

func (c *counts) Delivered(_ string, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ok {
		c.delivered++
	} else {
		c.failed++
	}
}

func (c *counts) Dropped(string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.dropped++
}

func TestDeliverSignedWithRetries(t *testing.T) {
	t.Parallel()
	rc := &receiver{fail: 2, seen: make(chan received, 10)}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	secret := []byte("a-secret-of-sixteen-bytes")
	var c counts
	n := New([]Hook{{URL: srv.URL + "/hook?k=v", Events: []string{"installed"}, Secret: secret, RetryFor: time.Minute}},
		Options{UserAgent: "fetchd/test", Observer: &c, FirstBackoff: time.Millisecond})
	n.Notify("progress", []byte(`{"event":"progress"}`)) // not asked for
	body := []byte(`{"event":"installed","image":"a.qcow2"}`)
	n.Notify("installed", body)
	got := <-rc.seen
	n.Close(context.Background())
	if string(got.body) != string(body) || got.event != "installed" || got.ctype != "application/json" {
		t.Errorf("delivery %+v", got)
	}
	if !Verify(secret, got.body, got.sig) {
		t.Errorf("signature %q does not verify", got.sig)
	}
	if Verify([]byte("another secret, sixteen"), got.body, got.sig) || Verify(secret, append(got.body, ' '), got.sig) {
		t.Error("signature verifies under another secret or body")
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.got) != 3 {
		t.Fatalf("%d attempts, want 3 (two 503s, then accepted)", len(rc.got))
	}
	for _, a := range rc.got {
		if a.id != got.id || len(a.id) != 32 {
			t.Errorf("attempt with delivery id %q, want the same id %q on every retry", a.id, got.id)
		}
	}
	if c.delivered != 1 || c.failed != 0 {
		t.Errorf("observer: %d delivered, %d failed", c.delivered, c.failed)
	}
}

func TestGiveUp(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest) // permanent: not retried
	}))
	defer srv.Close()
	var c counts
	n := New([]Hook{{URL: srv.URL, Events: []string{"failed"}, Secret: []byte("x"), RetryFor: time.Minute}},
		Options{Observer: &c, FirstBackoff: time.Millisecond})
	n.Notify("failed", []byte(`{}`))
	n.Close(context.Background())
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.failed != 1 {
		t.Errorf("%d failed deliveries, want 1", c.failed)
	}
}

// TestHangingReceiver: a receiver that never answers holds up only its
// own queue: Notify returns at once, another webhook gets its deliveries,
// the queue stays bounded, and Close ends within its deadline.
func TestHangingReceiver(t *testing.T) {
	t.Parallel()
	hang := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-hang:
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	defer close(hang)
	rc := &receiver{seen: make(chan received, QueueSize*4)}
	fast := httptest.NewServer(rc)
	defer fast.Close()
	var c counts
	n := New([]Hook{
		{URL: slow.URL, Events: []string{"installed", "progress"}, Secret: []byte("s"), RetryFor: time.Hour},
		{URL: fast.URL, Events: []string{"installed"}, Secret: []byte("s"), RetryFor: time.Hour},
	}, Options{Observer: &c})
	// Were Notify to wait for the hanging receiver, this would never end.
	for range 2 * QueueSize {
		n.Notify("progress", []byte(`{}`)) // only for the hanging one
	}
	for range QueueSize / 2 {
		n.Notify("installed", []byte(`{}`))
	}
	for range QueueSize / 2 {
		<-rc.seen // the other webhook gets every delivery
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	n.Close(ctx)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dropped < QueueSize-1 {
		t.Errorf("dropped %d, want the hanging webhook's queue to stay bounded at %d", c.dropped, QueueSize)
	}
}
