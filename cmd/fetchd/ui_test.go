package main

// The web UI end to end: a real Chromium on a real `fetchd serve` against
// the replicas of the three upstreams.

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sandlabx/fetchd/internal/testing/browser"
	"github.com/sandlabx/fetchd/internal/webui"
)

// TestUI walks through what an operator does in the UI, in one service
// and one browser: a call without the token is refused and the page asks
// for it; the printed link signs in (no cookie, the token leaves the
// address bar); three downloads go from 0 to installed with nothing on
// the page moving; an image added through the form (previewed with what
// its source answers) installs and survives a restart, and can be
// removed again; an update that a check found is applied after the page
// shows old and new build; hold, unhold, a rollback to the kept build and
// a prune that first says what it frees; a hostile build is refused with its cause
// and the previous build stays, and the page says why the job failed.
// Every view passes axe-core at 1440 and 360 px, and at 360 px the page
// and its nav fit the screen.
func TestUI(t *testing.T) {
	t.Parallel()
	browser.Require(t)
	f := uiWorld(t)
	gate := newDistroGate("alpine", "debian", "ubuntu")
	f.srv.Hook(func(w http.ResponseWriter, r *http.Request) bool {
		return gate.hook(w, r) || uiSlowAlpine(f, w, r)
	})
	const hostile = "hostile.qcow2"
	hostileLine := func(u, sum string) string {
		return fmt.Sprintf("  %s: {url: %q, checksum: \"sha256:%s\", update: always}\n", hostile, u, sum)
	}
	good := f.factory.Next()
	hu, hsum := f.serveFile("crafted/"+hostile, good)
	f.addImages(hostileLine(hu, hsum))
	p, base, link := uiServe(f)

	// Without the token: the API refuses, the page asks for it.
	resp, err := http.Get(base + "v1/images")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(string(body), "needs the API token") {
		t.Errorf("GET /v1/images without the token: %d %s", resp.StatusCode, body)
	}
	if got := resp.Header.Get("Set-Cookie"); got != "" {
		t.Errorf("the API sets a cookie: %q", got)
	}
	u := &uiPage{Browser: browser.New(t, 1440, 1000), t: t}
	u.Do("opening the page", chromedp.Navigate(base))
	u.WaitFor("the sign-in form", `!document.querySelector('#view-signin').hidden`, "document.body.innerText")
	u.waitText("#signin-error", "needs the API token")
	u.Axe("sign-in")
	u.shoot("signin-1440")
	u.Do("typing a wrong token", chromedp.SendKeys(chromedp.ID("token"), strings.Repeat("0", 64)+"\r"))
	u.waitText("#signin-error", "wrong API token")
	u.CheckProblems("401", "403") // the refused calls, logged by the browser

	// The printed link signs in; the token stays in the tab only.
	u.Do("opening the sign-in link", chromedp.Navigate(link))
	u.WaitFor("the images", `document.querySelectorAll('.card').length === 4`, "document.body.innerText")
	if got := u.eval(`location.hash + ' ' + document.cookie + ' ' + (sessionStorage.getItem('fetchd.token') ? 'kept' : 'missing')`); got != "#images  kept" {
		t.Errorf("after the sign-in link: hash, cookies, token = %q, want the token out of the address bar, no cookie, the token kept", got)
	}

	// Downloads from 0 to installed; nothing on the page moves meanwhile.
	for _, n := range defaultImages {
		u.waitState(n, "downloading")
	}
	u.waitText(card("alpine-3.qcow2")+" .activity-text", "Downloading: 0 B of ")
	// What alpine's card shows, and until when every card only shows
	// progress (from then on, finished images fill their cards in).
	u.Eval("watching", `(() => {
		window.seen = [];
		window.shiftFrom = performance.now();
		window.shiftTo = Infinity;
		const busy = new Set(['downloading', 'verifying', 'checking', 'waiting']);
		const c = document.querySelector('.card[data-name="alpine-3.qcow2"]');
		new MutationObserver(() => {
			window.seen.push(c.dataset.state + ': ' + c.querySelector('.activity-text').textContent);
			if (window.shiftTo === Infinity && [...document.querySelectorAll('.card')].some(e => !busy.has(e.dataset.state) && e.dataset.name !== 'hostile.qcow2')) {
				window.shiftTo = performance.now();
			}
		}).observe(document.querySelector('#cards'), {subtree: true, childList: true, characterData: true, attributes: true});
		return true; })()`, nil)
	u.shoot("downloading-1440")
	for _, d := range []string{"alpine", "debian", "ubuntu"} {
		gate.release(d)
	}
	for _, n := range append(defaultImages, hostile) {
		u.waitState(n, "present")
	}
	seen := u.eval(`window.seen.join("\n")`)
	for _, want := range []string{"KiB of 192 KiB · ", "KiB/s · ", "verifying: Verifying", "present: Up to date"} {
		if !strings.Contains(seen, want) {
			t.Errorf("alpine's card never showed %q; it showed:\n%s", want, seen)
		}
	}
	if _, after, _ := strings.Cut(seen, "verifying: "); strings.Contains(after, "downloading: ") {
		t.Errorf("alpine's card went back to downloading after verifying:\n%s", seen)
	}
	var shift struct {
		Value   float64  `json:"value"`
		Sources []string `json:"sources"`
	}
	u.Eval("layout shift", `new Promise(resolve => new PerformanceObserver((list, obs) => {
		obs.disconnect();
		const es = list.getEntries().filter(e => e.startTime > window.shiftFrom && e.startTime < window.shiftTo && !e.hadRecentInput);
		resolve({value: es.reduce((s, e) => s + e.value, 0),
			sources: es.flatMap(e => e.sources.map(s => (s.node ? (s.node.className || s.node.nodeName) + ' ' + (s.node.textContent || '').slice(0, 60) : '?') + ' ' + JSON.stringify(s.previousRect) + ' -> ' + JSON.stringify(s.currentRect)))});
	}).observe({type: 'layout-shift', buffered: true}))`, &shift)
	if shift.Value > 0 {
		t.Errorf("the page moved by %.4f (cumulative layout shift) while downloads progressed:\n%s", shift.Value, strings.Join(shift.Sources, "\n"))
	}
	u.Axe("images")
	u.shoot("images-1440")

	// Add an image through the form; see what resolve answers first.
	u.click(`#nav a[data-view="add"]`)
	u.WaitFor("the sources in the form", `document.querySelectorAll('#add-src option').length >= 3`, "document.body.innerText")
	u.pick("#add-src", "debian")
	u.pick("#add-rel", "13")
	u.pick("#add-var", "genericcloud")
	u.pick("#add-name", "debian-cloud.qcow2")
	if u.eval(`String(document.querySelector('#add-submit').disabled)`) != "true" {
		t.Error("Add image is enabled before the preview")
	}
	u.click("#add-preview")
	u.waitText("#add-answer", "What fetchd would download")
	u.waitText("#add-answer", "sha512:")
	u.waitText("#add-answer", "genericcloud")
	u.Axe("add")
	u.shoot("add-1440")
	u.click("#add-submit")
	u.waitText("#banner", "debian-cloud.qcow2") // "Added …", then the job's end
	u.waitState("debian-cloud.qcow2", "present")
	u.waitText(card("debian-cloud.qcow2")+" .origin", "Added through this UI")
	u.waitText(card("debian-13.qcow2")+" .origin", "Declared in the configuration file ("+f.cfgPath+" line")
	addedFile := filepath.Join(f.images, ".fetchd", "images.yaml")
	if fi, err := os.Lstat(addedFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("%s: %v %v, want a 0600 file", addedFile, fi, err)
	}

	// A newer build appears upstream; a check finds it; the update is
	// applied after the page shows old → new.
	oldDebian := f.read("debian-13.qcow2")
	newer := localPublishDebian(t, f)
	u.click("#check-all")
	u.waitState("debian-13.qcow2", "outdated")
	u.waitText(card("debian-13.qcow2")+" .update", "→")
	u.click(card("debian-13.qcow2") + ` [data-act="update"]`)
	u.WaitFor("the update dialog", `document.querySelector('#confirm').open`, "document.body.innerText")
	dialog := u.Text("#confirm")
	if !strings.Contains(dialog, "Now") || !strings.Contains(dialog, "New") || strings.Count(dialog, "sha512:") < 2 {
		t.Errorf("the update dialog does not show old and new build with their digests:\n%s", dialog)
	}
	u.Axe("update dialog")
	u.click("#confirm-ok")
	u.waitState("debian-13.qcow2", "present")
	u.WaitFor("debian's new build", fmt.Sprintf(`document.querySelector(%s).hidden`, browser.Quote(card("debian-13.qcow2")+" .update")), cardText("debian-13.qcow2"))
	if !bytes.Equal(f.read("debian-13.qcow2"), newer.data) {
		t.Error("debian-13.qcow2 is not the newer build after the update")
	}

	// Hold and unhold; roll back to the kept build (which holds it); with
	// nothing retained, prune says what it would free, then frees it.
	const deb = "debian-13.qcow2"
	u.click(card(deb) + ` [data-act="hold"]`)
	u.waitState(deb, "held")
	u.waitText(card(deb)+" .activity-text", "Held: held since ")
	u.click(card(deb) + ` [data-act="unhold"]`)
	u.waitState(deb, "present")
	u.click(card(deb) + ` [data-act="rollback"]`)
	u.WaitFor("the rollback dialog", `document.querySelector('#confirm').open`, "document.body.innerText")
	if dialog := u.Text("#confirm"); !strings.Contains(dialog, "Build to go back to") || !strings.Contains(dialog, "sha512:") {
		t.Errorf("the rollback dialog does not offer the kept build:\n%s", dialog)
	}
	u.Axe("rollback dialog")
	u.click("#confirm-ok")
	u.waitText("#banner", "Roll back "+deb+": done.")
	u.waitState(deb, "held")
	if !bytes.Equal(f.read(deb), oldDebian) {
		t.Error(deb + " is not the old build after the rollback")
	}
	f.base += "retain: 0\n"
	f.writeConfig()
	if code, out := p.authed("POST", "/v1/reload", ""); code != http.StatusOK {
		t.Fatalf("reload: %d %s", code, out)
	}
	u.click("#prune")
	u.WaitFor("the prune dialog", `document.querySelector('#confirm').open`, "document.body.innerText")
	if dialog := u.Text("#confirm"); !strings.Contains(dialog, "Prune would remove 1 file and free ") || !strings.Contains(dialog, "build "+deb+" ") {
		t.Errorf("the prune dialog does not say what it would remove:\n%s", dialog)
	}
	u.Axe("prune dialog")
	u.click("#confirm-ok")
	u.waitText("#banner", "Prune: removed 1 files, freed ")
	u.waitText(card(deb)+" .builds-summary", "Builds kept: 1")

	// A hostile build: refused, with its cause; the previous build stays.
	bad := imgPatchQcow2(func(b []byte) { b[79] |= 1 << 1 })(t, f, "")
	hu, badSum := f.serveFile("crafted/"+hostile, bad)
	f.extra = strings.Replace(f.extra, hostileLine(hu, hsum), hostileLine(hu, badSum), 1)
	f.writeConfig()
	if code, out := p.authed("POST", "/v1/reload", ""); code != http.StatusOK {
		t.Fatalf("reload: %d %s", code, out)
	}
	// The answer to the sync request reaches the page only after the event
	// stream has told the end of its job (a quick job can end before its
	// POST's answer is read): the banner must still follow the job.
	why := "failed: 1 of 1 images failed: " + hostile + ": refused by the qcow2 header check"
	ended := fmt.Sprintf(`[...document.querySelectorAll('#log li')].filter(li => li.textContent.includes(%s)).length`, browser.Quote(why))
	before := u.eval("String(" + ended + ")")
	u.holdAnswer("*/v1/images/"+hostile+"/sync", func() { u.click(card(hostile) + ` [data-act="sync"]`) }, func() {
		u.WaitFor("the job's end in the activity log", ended+" > "+before, "document.querySelector('#log').innerText")
	})
	u.waitText(card(hostile)+" .alert", "Refused by the qcow2 header check")
	u.waitText(card(hostile)+" .alert", "corrupt bit")
	u.waitText(card(hostile)+" .alert", "The previous build stays")
	u.waitText("#banner", "Sync "+hostile+" failed: 1 of 1 images failed: "+hostile+": refused by the qcow2 header check")
	u.waitState(hostile, "present")
	if !bytes.Equal(f.read(hostile), good) {
		t.Errorf("%s changed on disk after the refusal", hostile)
	}
	u.click(`#nav a[data-view="activity"]`)
	u.waitText("#log", "refused by the qcow2 header check")
	u.Axe("activity")
	u.shoot("activity-1440")

	// Sources, and the narrow screen.
	u.click(`#nav a[data-view="sources"]`)
	u.waitText("#sources", "ubuntu")
	u.Axe("sources")
	u.viewport(360, 800)
	for _, view := range []string{"images", "add", "sources", "activity"} {
		u.Do("opening "+view, chromedp.Navigate(base+"#"+view))
		u.WaitFor(view, fmt.Sprintf(`!document.querySelector('#view-%s').hidden && document.querySelectorAll('.card').length >= 5`, view), "document.body.innerText")
		var overflow bool
		u.Eval("overflow", `document.documentElement.scrollWidth > document.documentElement.clientWidth + 1`, &overflow)
		if overflow {
			t.Errorf("%s at 360 px is wider than the screen", view)
		}
		// Every section's link is in full view, none scrolled out of the nav.
		if hidden := u.eval(`[...document.querySelectorAll('#nav a')].filter(a => {
			const r = a.getBoundingClientRect(), n = document.querySelector('#nav').getBoundingClientRect();
			return r.left < Math.max(n.left, 0) - 0.5 || r.right > Math.min(n.right, document.documentElement.clientWidth) + 0.5;
		}).map(a => a.textContent).join(', ')`); hidden != "" {
			t.Errorf("%s at 360 px: the nav hides %s", view, hidden)
		}
		u.Axe(view + " at 360 px")
		if view != "sources" {
			u.shoot(view + "-360")
		}
	}

	// The added image outlives a restart, and can be removed.
	u.CheckProblems()
	if res := p.stop(); res.code != 0 {
		t.Fatalf("serve after SIGTERM: exit %d\n%s", res.code, res.stderr)
	}
	p, base, link = uiServe(f)
	u.viewport(1440, 1000)
	u.Do("signing in again", chromedp.Navigate(link))
	u.waitState("debian-cloud.qcow2", "present", "outdated")
	if u.eval(fmt.Sprintf(`String(document.querySelector(%s).hidden)`, browser.Quote(card("debian-13.qcow2")+` [data-act="remove"]`))) != "true" {
		t.Error("an image of the config file offers Remove")
	}
	u.click(card("debian-cloud.qcow2") + ` [data-act="remove"]`)
	u.WaitFor("the remove dialog", `document.querySelector('#confirm').open`, "document.body.innerText")
	u.click("#confirm-ok")
	u.WaitFor("the card gone", fmt.Sprintf(`!document.querySelector(%s)`, browser.Quote(card("debian-cloud.qcow2"))), "document.body.innerText")
	if _, err := os.Lstat(addedFile); !os.IsNotExist(err) {
		t.Errorf("%s after removing the only added image: %v", addedFile, err)
	}
	// While serve restarted, the stream broke off and the page's calls
	// to it were refused until it answered again.
	u.CheckProblems("ERR_INCOMPLETE_CHUNKED_ENCODING", "ERR_CONNECTION_REFUSED")
	if res := p.stop(); res.code != 0 {
		t.Errorf("serve after SIGTERM: exit %d\n%s", res.code, res.stderr)
	}
	f.checkFinalPaths()
}

// uiSlowAlpine serves Alpine's image 16 KiB at a time, so that its card
// shows a download in progress (whatever the pace, the checks hold).
func uiSlowAlpine(f *faultWorld, w http.ResponseWriter, r *http.Request) bool {
	if r.Method != http.MethodGet || !strings.HasPrefix(r.URL.Path, "/upstream/alpine/") || !strings.HasSuffix(r.URL.Path, ".qcow2") {
		return false
	}
	data, err := os.ReadFile(filepath.Join(f.root, filepath.FromSlash(r.URL.Path)))
	if err != nil {
		return false
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.WriteHeader(http.StatusOK)
	for len(data) > 0 && r.Context().Err() == nil {
		n := min(len(data), 16<<10)
		if _, err := w.Write(data[:n]); err != nil {
			return true
		}
		w.(http.Flusher).Flush()
		data = data[n:]
		time.Sleep(60 * time.Millisecond)
	}
	return true
}

// TestUISignInURL: the link carries the token in the fragment only, and
// an unspecified address is given as loopback.
func TestUISignInURL(t *testing.T) {
	t.Parallel()
	for addr, want := range map[string]string{
		"127.0.0.1:8080": "http://127.0.0.1:8080/#token=abc",
		"0.0.0.0:8080":   "http://127.0.0.1:8080/#token=abc",
		"[::]:8080":      "http://[::1]:8080/#token=abc",
		"[::1]:9":        "http://[::1]:9/#token=abc",
	} {
		ta, err := netResolveTCP(addr)
		if err != nil {
			t.Fatal(err)
		}
		if got := webui.SignInURL(ta, "abc"); got != want {
			t.Errorf("SignInURL(%s) = %s, want %s", addr, got, want)
		}
	}
}
