package webhook

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"
)

// Bounds of every webhook.
const (
	// QueueSize bounds the deliveries waiting per webhook; when it is
	// full the oldest is dropped (and counted).
	QueueSize = 256
	// AttemptTimeout bounds one delivery attempt, connection to answer.
	AttemptTimeout = 10 * time.Second
	// FirstBackoff and MaxBackoff bound the wait between attempts, which
	// doubles from the first to the cap, with jitter.
	FirstBackoff = time.Second
	MaxBackoff   = time.Minute
)

// Hook is one webhook.
type Hook struct {
	URL      string
	Events   []string
	Secret   []byte
	RetryFor time.Duration
}

// Observer is told how deliveries end; the metrics implement it.
type Observer interface {
	Delivered(webhook string, ok bool)
	Dropped(webhook string)
}

// Options configure a Notifier.
type Options struct {
	// Client sends the deliveries; nil means one that follows no
	// redirects and times each attempt out after AttemptTimeout.
	Client *http.Client
	// UserAgent is sent with each delivery.
	UserAgent string
	Observer  Observer
	// Logf, if set, is told about deliveries that failed for good.
	Logf func(format string, args ...any)
	// FirstBackoff overrides the first wait between attempts (tests).
	FirstBackoff time.Duration
}

// Notifier delivers events to its webhooks until Close.
type Notifier struct {
	hooks  []*worker
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// delivery is one event for one webhook.
type delivery struct {
	id, event string
	body      []byte
}

type worker struct {
	hook  Hook
	name  string // the URL without query or user info, for metrics and logs
	opts  Options
	mu    sync.Mutex
	queue []delivery
	wake  chan struct{}
}

// New starts one worker per hook.
func New(hooks []Hook, opts Options) *Notifier {
	if opts.Client == nil {
		opts.Client = &http.Client{
			Timeout:       AttemptTimeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	if opts.FirstBackoff <= 0 {
		opts.FirstBackoff = FirstBackoff
	}
	ctx, cancel := context.WithCancel(context.Background())
	n := &Notifier{cancel: cancel}
	for _, h := range hooks {
		w := &worker{hook: h, name: Name(h.URL), opts: opts, wake: make(chan struct{}, 1)}
		n.hooks = append(n.hooks, w)
		n.wg.Add(1)
		go func() {
			defer n.wg.Done()
			w.run(ctx)
		}()
	}
	return n
}

// Name is how a webhook is named in metrics and logs: its URL without
// user info, query or fragment, which may carry secrets.
func Name(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "invalid-url"
	}
	return u.Scheme + "://" + u.Host + u.Path
}

// Notify queues an event for every webhook that wants its type. It never
// blocks: a full queue drops its oldest delivery.
func (n *Notifier) Notify(event string, body []byte) {
	for _, w := range n.hooks {
		if slices.Contains(w.hook.Events, event) {
			w.enqueue(delivery{id: newID(), event: event, body: body})
		}
	}
}

// Close stops the workers: deliveries still queued or being retried are
// given until ctx is done, then abandoned.
func (n *Notifier) Close(ctx context.Context) {
	for _, w := range n.hooks {
		w.mu.Lock()
		w.queue = append(w.queue, delivery{}) // the end marker
		w.mu.Unlock()
		w.signal()
	}
	done := make(chan struct{})
	go func() {
		n.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		n.cancel()
		<-done
	}
	n.cancel()
}

func (w *worker) enqueue(d delivery) {
	w.mu.Lock()
	dropped := false
	if len(w.queue) >= QueueSize {
		w.queue = w.queue[1:]
		dropped = true
	}
	w.queue = append(w.queue, d)
	w.mu.Unlock()
	if dropped && w.opts.Observer != nil {
		w.opts.Observer.Dropped(w.name)
	}
	w.signal()
}

func (w *worker) signal() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

func (w *worker) run(ctx context.Context) {
	for {
		w.mu.Lock()
		if len(w.queue) == 0 {
			w.mu.Unlock()
			select {
			case <-w.wake:
				continue
			case <-ctx.Done():
				return
			}
		}
		d := w.queue[0]
		w.queue = w.queue[1:]
		w.mu.Unlock()
		if d.id == "" {
			return // Close's end marker
		}
		err := w.deliver(ctx, d)
		if w.opts.Observer != nil {
			w.opts.Observer.Delivered(w.name, err == nil)
		}
		if err != nil && w.opts.Logf != nil {
			w.opts.Logf("webhook %s: delivery %s (%s) failed: %v", w.name, d.id, d.event, err)
		}
	}
}

// permanentError is an answer that retrying will not change.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }

// deliver sends d until it is accepted, refused for good, RetryFor has
// passed, or ctx is done.
func (w *worker) deliver(ctx context.Context, d delivery) error {
	start := time.Now()
	backoff := w.opts.FirstBackoff
	for attempt := 1; ; attempt++ {
		err := w.attempt(ctx, d)
		var pe *permanentError
		switch {
		case err == nil:
			return nil
		case errors.As(err, &pe):
			return err
		}
		wait := backoff/2 + rand.N(backoff/2+1)
		if time.Since(start)+wait > w.hook.RetryFor {
			return fmt.Errorf("giving up after %d attempts in %s: %w", attempt, time.Since(start).Round(time.Millisecond), err)
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("stopped after %d attempts: %w", attempt, err)
		}
		backoff = min(2*backoff, MaxBackoff)
	}
}

func (w *worker) attempt(ctx context.Context, d delivery) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.hook.URL, bytes.NewReader(d.body))
	if err != nil {
		return &permanentError{err}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", w.opts.UserAgent)
	req.Header.Set(HeaderEvent, d.event)
	req.Header.Set(HeaderDelivery, d.id)
	req.Header.Set(HeaderSignature, Sign(w.hook.Secret, d.body))
	resp, err := w.opts.Client.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return nil
	case resp.StatusCode == http.StatusRequestTimeout || resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return fmt.Errorf("the receiver answered %s", resp.Status)
	}
	return &permanentError{fmt.Errorf("the receiver answered %s (not retried)", resp.Status)}
}

// newID is a random delivery id.
func newID() string {
	var b [16]byte
	_, _ = crand.Read(b[:])
	return hex.EncodeToString(b[:])
}
