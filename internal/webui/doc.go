// Package webui is the web UI `fetchd serve` answers at / on its TCP
// listeners: one HTML page with its style sheet inlined, one script and
// an icon, all embedded in the binary (assets/), served with a strict
// Content-Security-Policy (scripts from the page's own origin only, the
// one style sheet by its hash, no inline script or style attribute, no
// eval, Trusted Types required) and compressed once at start. The page talks to the HTTP API (/v1) with the bearer
// token the operator signs in with and keeps it for the browser tab only
// (sessionStorage); it sets no cookies.
//
// Who reads this: whoever changes what the UI shows or how it is served.
// The scripts are ES modules in src/; `go generate ./internal/webui`
// bundles them into assets/app.js with esbuild (package bundle), and
// TestBundleCurrent fails when the committed bundle is not what src/
// makes. The style sheet is src/style.css, put into the page by New. The
// modules' unit tests (testdata/unit.js, run in Chromium against src/)
// and the browser tests that drive a real Chromium against a real
// `fetchd serve` are here (unit_test.go) and in cmd/fetchd (ui_*_test.go).
package webui
