package browser

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// RequireEnv makes tests that need Chromium fail instead of skipping.
const RequireEnv = "FETCHD_REQUIRE_CHROMIUM"

// Require returns Chromium's path, or skips (fails with RequireEnv=1).
func Require(t testing.TB) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv(RequireEnv) == "1" {
		t.Fatalf("chromium is required (%s=1) but not on PATH; install it (apt-get install --no-install-recommends chromium)", RequireEnv)
	}
	t.Skip("chromium not found; install it to run the browser tests")
	return ""
}

// Timeout bounds one browser step (a navigation, a wait for the page).
const Timeout = 60 * time.Second

// Browser is one headless Chromium with one tab.
type Browser struct {
	t   testing.TB
	Ctx context.Context

	mu       sync.Mutex
	problems []string
}

// New starts Chromium with a fresh profile in a temporary directory and
// a window width×height. Console errors, uncaught exceptions and browser
// log errors (CSP violations among them) are collected (Problems).
func New(t testing.TB, width, height int) *Browser {
	t.Helper()
	exe := Require(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.NoSandbox, // as root
		chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(width, height),
		// A closed network: nothing of Chromium's own may try to reach
		// out (its connections would be refused, and logged).
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-pings", true),
		chromedp.Flag("disable-features", "Translate,OptimizationHints,MediaRouter,DialMediaRouteProvider"),
	)
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	b := &Browser{t: t, Ctx: ctx}
	exceptions := chromedp.Events(ctx, runtime.ExceptionThrown)
	console := chromedp.Events(ctx, runtime.ConsoleAPICalled)
	logs := chromedp.Events(ctx, log.EntryAdded)
	go func() {
		for e, err := range exceptions {
			if err != nil {
				return
			}
			b.problem("uncaught exception: " + exceptionText(e.ExceptionDetails))
		}
	}()
	go func() {
		for e, err := range console {
			if err != nil {
				return
			}
			if e.Type == runtime.ConsoleAPICalledTypeError {
				b.problem("console.error: " + argsText(e.Args))
			}
		}
	}()
	go func() {
		for e, err := range logs {
			if err != nil {
				return
			}
			if e.Entry != nil && e.Entry.Level == log.EntryLevelError {
				b.problem("browser log: " + e.Entry.Text + " " + e.Entry.URL)
			}
		}
	}()
	sctx, scancel := context.WithTimeout(ctx, Timeout)
	defer scancel()
	_, err := chromedp.Call(sctx, log.Enable, cdp.Empty{})
	if err == nil {
		_, err = chromedp.Call(sctx, runtime.Enable, cdp.Empty{})
	}
	if err != nil {
		cancel()
		cancelA()
		t.Fatalf("starting chromium: %v", err)
	}
	t.Cleanup(func() {
		_ = chromedp.Cancel(ctx)
		cancel()
		cancelA()
	})
	return b
}

func (b *Browser) problem(s string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.problems = append(b.problems, s)
}

// Problems returns the page's errors so far and forgets them.
func (b *Browser) Problems() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	p := b.problems
	b.problems = nil
	return p
}

// CheckProblems fails the test on any page error except those matching
// one of allowed (substrings: a refused call the test made on purpose is
// logged by the browser as a failed resource).
func (b *Browser) CheckProblems(allowed ...string) {
	b.t.Helper()
next:
	for _, p := range b.Problems() {
		for _, a := range allowed {
			if strings.Contains(p, a) {
				continue next
			}
		}
		b.t.Errorf("page problem: %s", p)
	}
}

func exceptionText(d *runtime.ExceptionDetails) string {
	if d == nil {
		return ""
	}
	s := d.Text
	if d.Exception != nil && d.Exception.Description != "" {
		s += " " + d.Exception.Description
	}
	return fmt.Sprintf("%s (%s:%d)", s, d.URL, d.LineNumber)
}

func argsText(args []*runtime.RemoteObject) string {
	var parts []string
	for _, a := range args {
		if a.Description != "" {
			parts = append(parts, a.Description)
		} else {
			parts = append(parts, strings.Trim(string(a.Value), `"`))
		}
	}
	return strings.Join(parts, " ")
}

// Do runs actions with the step timeout, failing the test on an error.
func (b *Browser) Do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, Timeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v\npage problems: %q", what, err, b.Problems())
	}
}

// Eval evaluates a JavaScript expression (awaiting a promise) into out
// (nil: the value is dropped).
func (b *Browser) Eval(what, expr string, out any) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, Timeout)
	defer cancel()
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("%s: %v\npage problems: %q", what, err, b.Problems())
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			b.t.Fatalf("%s: %v (%s)", what, err, raw)
		}
	}
}

// WaitFor polls a JavaScript condition until it is true, for at most the
// step timeout; it fails the test with what it waited for and the value of
// describe (an expression) otherwise.
func (b *Browser) WaitFor(what, cond, describe string) {
	b.t.Helper()
	deadline := time.Now().Add(Timeout)
	for {
		ctx, cancel := context.WithTimeout(b.Ctx, Timeout)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool]("!!("+cond+")"))
		cancel()
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			state, _ := chromedp.Run(b.Ctx, chromedp.Evaluate[string]("String("+describe+")"))
			b.t.Fatalf("waiting for %s: %v; page shows: %s\npage problems: %q", what, err, state, b.Problems())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

//go:embed axe/axe.min.js
var axeSource string

// Violation is one axe-core rule a page breaks.
type Violation struct {
	ID      string `json:"id"`
	Impact  string `json:"impact"`
	Help    string `json:"help"`
	Targets []string
	Nodes   []struct {
		Target []any  `json:"target"`
		HTML   string `json:"html"`
	} `json:"nodes"`
}

// Axe runs axe-core on the page as it is now and fails the test on any
// serious or critical violation (the others are logged).
func (b *Browser) Axe(what string) {
	b.t.Helper()
	var loaded bool
	b.Eval("injecting axe-core", axeSource+";typeof axe === 'object'", &loaded)
	if !loaded {
		b.t.Fatal("axe-core did not load")
	}
	var res struct {
		Violations []Violation `json:"violations"`
	}
	b.Eval("running axe-core", `axe.run(document, {resultTypes: ['violations']}).then(r => ({violations: r.violations}))`, &res)
	for _, v := range res.Violations {
		var where []string
		for _, n := range v.Nodes {
			where = append(where, n.HTML)
		}
		msg := fmt.Sprintf("%s: axe %s (%s): %s, at %s", what, v.ID, v.Impact, v.Help, strings.Join(where, " | "))
		if v.Impact == "serious" || v.Impact == "critical" {
			b.t.Error(msg)
		} else {
			b.t.Log(msg)
		}
	}
}

// Screenshot saves a PNG of what the window shows to path, if path is not
// "".
func (b *Browser) Screenshot(path string) {
	b.t.Helper()
	if path == "" {
		return
	}
	ctx, cancel := context.WithTimeout(b.Ctx, Timeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		b.t.Fatalf("screenshot: %v", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// Text returns the text of the first node matching a CSS selector.
func (b *Browser) Text(sel string) string {
	b.t.Helper()
	var s string
	b.Eval("text of "+sel, fmt.Sprintf(`(document.querySelector(%s) || {}).textContent || ''`, quote(sel)), &s)
	return s
}

func quote(s string) string {
	q, _ := json.Marshal(s)
	return string(q)
}

// Quote makes a JavaScript string literal.
func Quote(s string) string { return quote(s) }
