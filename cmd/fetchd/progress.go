package main

import (
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/sandlabx/fetchd/internal/engine"
	"github.com/sandlabx/fetchd/internal/report"
)

// progressReporter shows what sync is doing while it does it. It is one of
// three: bars on a terminal, plain lines for logs, JSON lines for machines.
type progressReporter interface {
	engine.Reporter
	// Close finishes the display before the summary is printed.
	Close()
}

// lineReporter writes plain lines: one when an image starts downloading,
// one every interval while bytes arrive, and one when it is verified; and
// one when asking the image's source takes longer than an interval, so a
// slow or silent upstream is not silence. It is what `docker logs` shows.
type lineReporter struct {
	w        io.Writer
	interval time.Duration
	now      func() time.Time

	mu      sync.Mutex
	items   map[string]*lineItem
	waiting map[string]*time.Timer // images whose source has not answered yet
}

type lineItem struct {
	start, last time.Time
}

func newLineReporter(w io.Writer, interval time.Duration) *lineReporter {
	return &lineReporter{w: w, interval: interval, now: time.Now, items: map[string]*lineItem{}, waiting: map[string]*time.Timer{}}
}

func (r *lineReporter) Event(e engine.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	if t := r.waiting[e.Image]; t != nil && e.Kind != engine.Resolving {
		t.Stop()
		delete(r.waiting, e.Image)
	}
	switch e.Kind {
	case engine.Resolving:
		start, image := now, e.Image
		r.waiting[image] = time.AfterFunc(r.interval, func() {
			r.mu.Lock()
			defer r.mu.Unlock()
			if r.waiting[image] != nil {
				fmt.Fprintf(r.w, "fetchd: %s: still waiting for its source's answer after %s\n", image, roundDuration(r.now().Sub(start)))
			}
		})
	case engine.Downloading:
		size := "size unknown"
		if e.Total > 0 {
			size = humanBytes(e.Total)
		}
		fmt.Fprintf(r.w, "fetchd: %s: downloading %s (%s)\n", e.Image, e.URL, size)
		r.items[e.Image] = &lineItem{start: now, last: now}
	case engine.Progress:
		it := r.items[e.Image]
		if it == nil {
			return
		}
		if now.Sub(it.last) < r.interval {
			return
		}
		it.last = now
		fmt.Fprintf(r.w, "fetchd: %s: %s\n", e.Image, progressText(e.Done, e.Total, e.Reused, now.Sub(it.start)))
	case engine.Verifying:
		fmt.Fprintf(r.w, "fetchd: %s: verifying (digest matched; checking the image)\n", e.Image)
	}
}

func (r *lineReporter) Close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for name, t := range r.waiting {
		t.Stop()
		delete(r.waiting, name)
	}
}

// progressText is "45.2 MiB of 98.5 MiB (46%), 5.2 MiB/s, about 10s left";
// reused bytes (from an earlier partial) do not count towards the rate.
func progressText(done, total, reused int64, elapsed time.Duration) string {
	rate := 0.0
	if s := elapsed.Seconds(); s > 0 {
		rate = float64(done-reused) / s
	}
	text := humanBytes(done)
	if total > 0 {
		text += fmt.Sprintf(" of %s (%d%%)", humanBytes(total), done*100/total)
	}
	text += fmt.Sprintf(", %s/s", humanBytes(int64(rate)))
	if total > 0 && rate > 0 {
		left := time.Duration(float64(total-done) / rate * float64(time.Second)).Round(time.Second)
		text += fmt.Sprintf(", about %s left", left)
	}
	return text
}

// jsonReporter writes one JSON event per engine event, for --log-format
// json (internal/report has the schema). Progress is kept to one event per
// interval per image, and the last.
type jsonReporter struct {
	w        *report.Writer
	interval time.Duration

	mu   sync.Mutex
	last map[string]time.Time
}

func newJSONReporter(w *report.Writer, interval time.Duration) *jsonReporter {
	return &jsonReporter{w: w, interval: interval, last: map[string]time.Time{}}
}

func (r *jsonReporter) Event(e engine.Event) {
	now := r.w.Now()
	if e.Kind == engine.Progress {
		if e.Done == 0 {
			return // nothing yet: "downloading" said it started
		}
		r.mu.Lock()
		skip := now.Sub(r.last[e.Image]) < r.interval && e.Done != e.Total
		if !skip {
			r.last[e.Image] = now
		}
		r.mu.Unlock()
		if skip {
			return
		}
	}
	_ = r.w.Write(report.FromEngine(e, now))
}

func (r *jsonReporter) Close() {}

// barReporter draws a progress bar per downloading image on a terminal.
type barReporter struct {
	p    *mpb.Progress
	mu   sync.Mutex
	bars map[string]*barItem
}

type barItem struct {
	bar    *mpb.Bar
	last   time.Time
	status atomic.Value // string shown instead of the counters once set
}

func newBarReporter(w io.Writer) *barReporter {
	return &barReporter{
		p:    mpb.New(mpb.WithOutput(w), mpb.WithWidth(32), mpb.WithRefreshRate(150*time.Millisecond), mpb.WithAutoRefresh()),
		bars: map[string]*barItem{},
	}
}

func (r *barReporter) Event(e engine.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch e.Kind {
	case engine.Downloading:
		it := &barItem{last: time.Now()}
		it.status.Store("")
		counters := decor.CountersKibiByte("% .1f / % .1f")
		it.bar = r.p.AddBar(e.Total,
			mpb.PrependDecorators(
				decor.Name(e.Image, decor.WCSyncSpaceR),
				decor.Any(func(st decor.Statistics) string {
					if s := it.status.Load().(string); s != "" {
						return s
					}
					text, _ := counters.Decor(st)
					return text
				}, decor.WCSyncSpace),
			),
			mpb.AppendDecorators(
				decor.OnComplete(decor.EwmaSpeed(decor.SizeB1024(0), "% .1f", 30, decor.WCSyncSpace), ""),
				decor.OnComplete(decor.EwmaETA(decor.ET_STYLE_GO, 30, decor.WCSyncSpace), ""),
			),
		)
		r.bars[e.Image] = it
	case engine.Progress:
		if it := r.bars[e.Image]; it != nil {
			if e.Total > 0 {
				it.bar.SetTotal(e.Total, false)
			}
			now := time.Now()
			it.bar.EwmaSetCurrent(e.Done, now.Sub(it.last))
			it.last = now
		}
	case engine.Verifying:
		if it := r.bars[e.Image]; it != nil {
			it.status.Store("verifying")
		}
	case engine.Done:
		if it := r.bars[e.Image]; it != nil {
			status := "done"
			if e.Result != nil && !e.Result.Outcome.OK() {
				status = "failed"
			}
			it.status.Store(status)
			if status == "done" {
				it.bar.SetTotal(-1, true)
			} else {
				it.bar.Abort(false)
			}
		}
	}
}

func (r *barReporter) Close() { r.p.Wait() }

// teeReporter hands each event to all of its reporters.
type teeReporter []engine.Reporter

func (t teeReporter) Event(e engine.Event) {
	for _, r := range t {
		r.Event(e)
	}
}

// quietReporter shows nothing.
type quietReporter struct{}

func (quietReporter) Event(engine.Event) {}
func (quietReporter) Close()             {}
