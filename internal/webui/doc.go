// Package webui is the web UI `fetchd serve` answers at / on its TCP
// listeners: one HTML page, its script modules, a style sheet and an icon,
// all embedded in the binary (assets/), served with a strict
// Content-Security-Policy (scripts and styles from the page's own origin
// only, no inline script, no eval, Trusted Types required) and compressed
// once at start. The page talks to the HTTP API (/v1) with the bearer
// token the operator signs in with and keeps it for the browser tab only
// (sessionStorage); it sets no cookies.
//
// Who reads this: whoever changes what the UI shows or how it is served.
// The scripts have no build step: what is in assets/ is what the browser
// runs. Their unit tests and the browser tests that drive a real Chromium
// against a real `fetchd serve` are in cmd/fetchd (ui_*_test.go) and here
// (unit_test.go).
package webui
