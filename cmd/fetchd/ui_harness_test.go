package main

// The harness of the web UI's browser tests: a real `fetchd serve` on
// loopback TCP, a real headless Chromium (internal/testing/browser), and
// helpers that read the page the way a person does: by the cards' text.

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/chromedp"

	"github.com/sandlabx/fetchd/internal/testing/browser"
)

// ScreenshotsEnv names a directory to write the UI's screenshots to
// (README shows the ones in docs/ui): FETCHD_UI_SCREENSHOTS=$PWD/docs/ui
// go test ./cmd/fetchd -run TestUI.
const screenshotsEnv = "FETCHD_UI_SCREENSHOTS"

// screenshotsRoot is where the world of a run that takes screenshots
// lives: always the same directory, so that the paths the pages show (the
// image directory, the partial files in refusals) are the same in every
// run and the screenshots change only when the UI does.
const screenshotsRoot = "/tmp/fetchd-ui"

// uiWorld is the world TestUI runs in: under screenshotsRoot when it
// takes screenshots, else in a test's temporary directory.
func uiWorld(t *testing.T) *faultWorld {
	t.Helper()
	if os.Getenv(screenshotsEnv) == "" {
		return newServeWorld(t)
	}
	if err := os.RemoveAll(screenshotsRoot); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(screenshotsRoot, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(screenshotsRoot) })
	return newServeWorldAt(t, screenshotsRoot)
}

var signInRE = regexp.MustCompile(`web UI: open (http://127\.0\.0\.1:[0-9]+/)#token=([0-9a-f]+) to sign in`)

// uiServe starts serve on loopback TCP and returns it, the page's base
// URL and the sign-in link it printed.
func uiServe(f *faultWorld) (p *serveProc, base, link string) {
	f.t.Helper()
	p = startServe(f, "--listen", "127.0.0.1:0")
	var m []string
	localWaitFor(f.t, "the sign-in link", p.localProc, func() bool {
		m = signInRE.FindStringSubmatch(p.stderr.String())
		return m != nil
	})
	return p, m[1], m[0][len("web UI: open ") : len(m[0])-len(" to sign in")]
}

// uiPage is the browser on the UI.
type uiPage struct {
	*browser.Browser
	t *testing.T
}

func card(name string) string { return `.card[data-name="` + name + `"]` }

// state is the badge text of an image's card ("" without a card).
func (u *uiPage) state(name string) string {
	return u.eval(fmt.Sprintf(`(document.querySelector(%s) || {dataset: {}}).dataset.state || ''`, browser.Quote(card(name))))
}

func (u *uiPage) eval(expr string) string {
	u.t.Helper()
	var s string
	u.Eval(expr, expr, &s)
	return s
}

// waitState waits for an image's badge to read one of states.
func (u *uiPage) waitState(name string, states ...string) {
	u.t.Helper()
	var conds []string
	for _, s := range states {
		conds = append(conds, fmt.Sprintf(`(document.querySelector(%s) || {dataset: {}}).dataset.state === %s`, browser.Quote(card(name)), browser.Quote(s)))
	}
	u.WaitFor(name+" "+strings.Join(states, " or "), strings.Join(conds, " || "), cardText(name))
}

// waitText waits for the text of what sel matches to contain want.
func (u *uiPage) waitText(sel, want string) {
	u.t.Helper()
	u.WaitFor(fmt.Sprintf("%q in %s", want, sel),
		fmt.Sprintf(`(document.querySelector(%s) || {}).textContent?.includes(%s)`, browser.Quote(sel), browser.Quote(want)),
		fmt.Sprintf(`(document.querySelector(%s) || {}).textContent || document.body.innerText`, browser.Quote(sel)))
}

func cardText(name string) string {
	return fmt.Sprintf(`(document.querySelector(%s) || document.body).innerText`, browser.Quote(card(name)))
}

func (u *uiPage) click(sel string) {
	u.t.Helper()
	u.Do("clicking "+sel, chromedp.Click(chromedp.CSS(sel)))
}

// pick sets a select's or an input's value as a user would, with the
// events the page listens to.
func (u *uiPage) pick(sel, value string) {
	u.t.Helper()
	u.Eval("setting "+sel, fmt.Sprintf(`(() => { const e = document.querySelector(%s); e.value = %s;
		e.dispatchEvent(new Event('input', {bubbles: true})); e.dispatchEvent(new Event('change', {bubbles: true})); return e.value; })()`,
		browser.Quote(sel), browser.Quote(value)), nil)
}

// shoot saves a screenshot when the screenshots directory is set.
func (u *uiPage) shoot(name string) {
	if dir := os.Getenv(screenshotsEnv); dir != "" {
		u.Screenshot(filepath.Join(dir, name+".png"))
	}
}

// viewport resizes the page as a window of that size would be.
func (u *uiPage) viewport(width, height int64) {
	u.t.Helper()
	u.Do("resizing", chromedp.EmulateViewport(width, height))
}

// holdAnswer runs act, which makes the page send a request matching
// pattern, and holds the answer back in the browser until until has
// returned: the page reads it only then, as on a slow network while
// everything else goes on.
func (u *uiPage) holdAnswer(pattern string, act, until func()) {
	u.t.Helper()
	ctx, cancel := context.WithCancel(u.Ctx)
	defer cancel()
	events := chromedp.Events(ctx, fetch.RequestPaused) // subscribed before any can come
	paused := make(chan fetch.EventRequestPaused, 1)
	go func() {
		for ev, err := range events {
			if err == nil {
				paused <- ev
			}
			return
		}
	}()
	if _, err := chromedp.Call(u.Ctx, fetch.Enable, fetch.EnableParams{
		Patterns: []*fetch.RequestPattern{{URLPattern: pattern, RequestStage: fetch.RequestStageResponse}}}); err != nil {
		u.t.Fatalf("holding the answers to %s: %v", pattern, err)
	}
	act()
	var ev fetch.EventRequestPaused
	select {
	case ev = <-paused:
	case <-time.After(browser.Timeout):
		u.t.Fatalf("the page sent no request to %s", pattern)
	}
	until()
	if _, err := chromedp.Call(u.Ctx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: ev.RequestID}); err != nil {
		u.t.Fatalf("releasing the answer to %s: %v", ev.Request.URL, err)
	}
	if _, err := chromedp.Call(u.Ctx, fetch.Disable, cdp.Empty{}); err != nil {
		u.t.Fatal(err)
	}
}

func netResolveTCP(addr string) (*net.TCPAddr, error) { return net.ResolveTCPAddr("tcp", addr) }
