// Command ui measures the web UI on loopback in a real headless Chromium:
// the bytes transferred for the page and every asset, and the time to
// first render (first-contentful-paint), against a blank page served the
// same way in the same run (what the browser itself costs). It prints a
// Markdown table for BENCHMARKS.md.
//
// Every load is a first visit: the browser's cache is emptied before it
// (Network.clearBrowserCache) and the page then loads with no DevTools
// domain watching the network, as it does for a user. (Disabling the cache
// through DevTools instead routes every request through DevTools' network
// agent, which adds 10 to 20 ms to each load here.)
//
//	go run ./bench/ui [-runs 20] [-warmup 5]
package main

import (
	"context"
	_ "embed"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/sandlabx/fetchd/internal/webui"
)

// token is the API token of the signed-in loads.
const token = "bench-ui-token"

//go:embed testdata/images.json
var imagesJSON []byte

const blank = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>blank</title></head><body><p>fetchd</p></body></html>`

type sample struct {
	FCP         float64 `json:"fcp"`
	View        float64 `json:"view"`  // the page's first view in place (its mark), 0 without one
	Cards       int     `json:"cards"` // image cards in the page when it was measured
	TTFB        float64 `json:"ttfb"`
	DCL         float64 `json:"dcl"`
	Load        float64 `json:"load"`
	Transferred int64   `json:"transferred"`
	Decoded     int64   `json:"decoded"`
	Requests    int     `json:"requests"`
}

// measure reads the page's paint and resource timing once it has painted
// and, on the UI, once its script has put the first view in place (the
// sign-in form here: the mark fetchd:first-view, after the first API
// answer). The blank page has no such mark.
const measure = `new Promise(resolve => {
	const done = () => {
		const fcp = performance.getEntriesByName('first-contentful-paint')[0];
		const view = performance.getEntriesByName('fetchd:first-view')[0];
		if (!fcp || (!view && !location.pathname.startsWith('/blank'))) return setTimeout(done, 10);
		const nav = performance.getEntriesByType('navigation')[0];
		const res = performance.getEntriesByType('resource').filter(r => !r.name.includes('/v1/'));
		resolve({fcp: fcp.startTime, view: view ? view.startTime : 0, cards: document.querySelectorAll('.card').length, ttfb: nav.responseStart, dcl: nav.domContentLoadedEventEnd, load: nav.loadEventEnd,
			transferred: nav.transferSize + res.reduce((n, r) => n + r.transferSize, 0),
			decoded: nav.decodedBodySize + res.reduce((n, r) => n + r.decodedBodySize, 0),
			requests: 1 + res.length});
	};
	done();
})`

func main() {
	runs := flag.Int("runs", 20, "page loads per page")
	warmup := flag.Int("warmup", 5, "loads per page before the counted ones")
	flag.Parse()
	if err := run(*runs, *warmup); err != nil {
		fmt.Fprintln(os.Stderr, "bench/ui:", err)
		os.Exit(1)
	}
}

func run(runs, warmup int) error {
	exe, err := exec.LookPath("chromium")
	if err != nil {
		return fmt.Errorf("chromium is needed: %w", err)
	}
	ui, err := webui.New()
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("/", ui)
	// The page's API calls (not counted in the page weight): without the
	// token refused, so the sign-in form renders; with it, GET /v1/images
	// answers what a real fetchd serve answered for the three replicas
	// (testdata/images.json), and the event stream stays open and quiet.
	mux.HandleFunc("/v1/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Header.Get("Authorization") != "Bearer "+token:
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprintln(w, `{"error":"this call needs the API token: Authorization: Bearer <token>","status":401}`)
		case r.URL.Path == "/v1/images":
			w.Write(imagesJSON)
		case r.URL.Path == "/v1/events":
			w.Header().Set("Content-Type", "text/event-stream")
			w.WriteHeader(http.StatusOK)
			fmt.Fprint(w, ": quiet\n\n")
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		default:
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprintln(w, `{"error":"not in this benchmark","status":404}`)
		}
	})
	mux.HandleFunc("/blank", func(w http.ResponseWriter, r *http.Request) {
		webui.SecureHeaders(w.Header())
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, blank)
	})
	var closers []func() error
	defer func() {
		for _, c := range closers {
			c()
		}
	}()
	// Two origins: the signed-in page keeps its token in its own origin's
	// sessionStorage, and every load is a new document.
	listen := func() (string, error) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return "", err
		}
		srv := &http.Server{Handler: mux}
		go srv.Serve(ln)
		closers = append(closers, srv.Close)
		return "http://" + ln.Addr().String(), nil
	}
	base, err := listen()
	if err != nil {
		return err
	}
	signedIn, err := listen()
	if err != nil {
		return err
	}
	signedIn += "/#token=" + token

	dir, err := os.MkdirTemp("", "fetchd-bench-ui-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.UserDataDir(dir), chromedp.WindowSize(1440, 1000),
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true))
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelA()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	if err := chromedp.Do(ctx); err != nil { // the browser and its tab, for the whole run
		return err
	}
	load := func(url string) (sample, error) {
		var s sample
		sctx, c := context.WithTimeout(ctx, time.Minute)
		defer c()
		_, err := chromedp.Call(sctx, network.ClearBrowserCache, cdp.Empty{})
		if err == nil {
			err = chromedp.Do(sctx, chromedp.Navigate(url))
		}
		var raw []byte
		if err == nil {
			raw, err = chromedp.Run(sctx, chromedp.Evaluate[[]byte](measure, chromedp.EvalAwaitPromise))
		}
		if err == nil {
			err = json.Unmarshal(raw, &s)
		}
		if err != nil {
			return s, fmt.Errorf("loading %s: %w", url, err)
		}
		if os.Getenv("DEBUG") != "" {
			fmt.Fprintf(os.Stderr, "%s %+v\n", url, s)
		}
		if s.Transferred < s.Decoded/4 {
			return s, fmt.Errorf("%s: %d bytes transferred for %d decoded: not a first visit", url, s.Transferred, s.Decoded)
		}
		return s, nil
	}
	// The pages take turns, so that all see the machine as it is; the
	// first loads of each warm the browser up and are not counted.
	var uiS, inS, blankS []sample
	for i := 0; i < warmup+runs; i++ {
		u, err := load(base + "/")
		if err != nil {
			return err
		}
		in, err := load(signedIn)
		if err != nil {
			return err
		}
		b, err := load(base + "/blank")
		if err != nil {
			return err
		}
		if i >= warmup {
			uiS, inS, blankS = append(uiS, u), append(inS, in), append(blankS, b)
		}
	}
	var raw, gz int64
	for _, p := range ui.Paths() {
		r, z := ui.Size(p)
		raw, gz = raw+r, gz+z
	}
	fcp := func(s sample) float64 { return s.FCP }
	fu, fb := quantile(uiS, fcp, 0.5), quantile(blankS, fcp, 0.5)
	pu, pb := quantile(uiS, fcp, 0.9), quantile(blankS, fcp, 0.9)
	fmt.Printf("| measurement | web UI | blank page | ratio | target |\n|---|---|---|---|---|\n")
	fmt.Printf("| first render (first-contentful-paint, median of %d first visits, after %d) | %.1f ms | %.1f ms | %.2f | < 100 ms — %s |\n", runs, warmup, fu, fb, fu/fb, met(fu < 100))
	fmt.Printf("| the same, 90th percentile | %.1f ms | %.1f ms | %.2f | |\n", pu, pb, pu/pb)
	view := func(s sample) float64 { return s.View }
	fmt.Printf("| the first view (the sign-in form, after the first API answer) in place, median / 90th percentile | %.1f ms / %.1f ms | | | |\n",
		quantile(uiS, view, 0.5), quantile(uiS, view, 0.9))
	fi := quantile(inS, fcp, 0.5)
	fmt.Printf("| signed in (the printed link), first render, median / 90th percentile | %.1f ms / %.1f ms | %.1f ms / %.1f ms | %.2f | < 100 ms — %s |\n",
		fi, quantile(inS, fcp, 0.9), fb, pb, fi/fb, met(fi < 100))
	fmt.Printf("| signed in, the image list (%d cards) in place, median / 90th percentile | %.1f ms / %.1f ms | | | |\n",
		inS[0].Cards, quantile(inS, view, 0.5), quantile(inS, view, 0.9))
	fmt.Printf("| transferred, page and every asset (%d requests) | %.1f KB | %.1f KB | | < 150 KB — %s |\n",
		uiS[0].Requests, float64(uiS[0].Transferred)/1000, float64(blankS[0].Transferred)/1000, met(uiS[0].Transferred < 150_000))
	fmt.Printf("| the same, decoded (what the browser parses) | %.1f KB | | | |\n", float64(uiS[0].Decoded)/1000)
	fmt.Printf("| embedded assets: raw, gzip | %.1f KB, %.1f KB | | | |\n", float64(raw)/1000, float64(gz)/1000)
	return nil
}

// quantile is the q-quantile of f over s (nearest rank: the
// ceil(q·n)-th smallest).
func quantile(s []sample, f func(sample) float64, q float64) float64 {
	v := make([]float64, len(s))
	for i, x := range s {
		v[i] = f(x)
	}
	slices.Sort(v)
	return v[max(0, int(math.Ceil(q*float64(len(v))))-1)]
}

func met(ok bool) string {
	if ok {
		return "met"
	}
	return "**not met**"
}
