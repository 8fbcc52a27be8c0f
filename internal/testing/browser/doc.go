// Package browser drives a real headless Chromium (Debian's chromium)
// through the DevTools protocol with chromedp, for the web UI's tests: a
// browser per test with a fresh profile and the flags a closed network and
// root need, the page's console errors, exceptions and CSP violations
// collected as failures, axe-core (vendored in axe/, for tests only)
// checks, and screenshots.
//
// Tests that need Chromium skip without it, or fail when
// FETCHD_REQUIRE_CHROMIUM=1 (CI sets it).
package browser
