package api

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestWhoMayCall pins who may call what, over every kind of listener.
func TestWhoMayCall(t *testing.T) {
	t.Parallel()
	good := "Bearer " + testToken
	socketPeer := conn{unix: true, peerUID: 0, peerOK: true}
	strangerPeer := conn{unix: true, peerUID: 65534, peerOK: false}
	loop := conn{loopback: true}
	public := conn{}
	tests := map[string]struct {
		conn       conn
		publicRead bool
		method     string
		path       string
		header     map[string]string
		want       int
	}{
		"health needs nothing":                   {conn: public, method: "GET", path: "/healthz", want: 200},
		"readiness needs nothing":                {conn: public, method: "GET", path: "/readyz", want: 503},
		"read over TCP needs the token":          {conn: public, method: "GET", path: "/v1/images", want: 401},
		"read over TCP with the token":           {conn: public, method: "GET", path: "/v1/images", header: map[string]string{"Authorization": good}, want: 200},
		"read over TCP with a wrong token":       {conn: public, method: "GET", path: "/v1/images", header: map[string]string{"Authorization": "Bearer nope-nope-nope-nope"}, want: 403},
		"read over TCP, basic auth":              {conn: public, method: "GET", path: "/v1/images", header: map[string]string{"Authorization": "Basic dTpw"}, want: 401},
		"read opened by public_read":             {conn: public, publicRead: true, method: "GET", path: "/v1/images", want: 200},
		"public_read does not open mutating":     {conn: public, publicRead: true, method: "POST", path: "/v1/sync", want: 401},
		"read on the socket needs no token":      {conn: socketPeer, method: "GET", path: "/v1/images", want: 200},
		"mutating on the socket needs the token": {conn: socketPeer, method: "POST", path: "/v1/sync", want: 401},
		"mutating on the socket with the token":  {conn: socketPeer, method: "POST", path: "/v1/sync", header: map[string]string{"Authorization": good}, want: 202},
		"another uid on the socket: health":      {conn: strangerPeer, method: "GET", path: "/healthz", want: 403},
		"another uid on the socket: read":        {conn: strangerPeer, method: "GET", path: "/v1/images", want: 403},
		"another uid on the socket: with token":  {conn: strangerPeer, method: "POST", path: "/v1/sync", header: map[string]string{"Authorization": good}, want: 403},
		"loopback with Host localhost":           {conn: loop, method: "GET", path: "/v1/images", header: map[string]string{"Authorization": good, "Host": "localhost:8080"}, want: 200},
		"loopback with Host [::1]":               {conn: loop, method: "GET", path: "/v1/images", header: map[string]string{"Authorization": good, "Host": "[::1]:8080"}, want: 200},
		"loopback with a rebinding Host":         {conn: loop, method: "GET", path: "/healthz", header: map[string]string{"Host": "evil.example:8080"}, want: 403},
		"cross-origin request":                   {conn: public, method: "POST", path: "/v1/sync", header: map[string]string{"Authorization": good, "Origin": "https://evil.example"}, want: 403},
		"same-origin request":                    {conn: public, method: "POST", path: "/v1/sync", header: map[string]string{"Authorization": good, "Origin": "http://example.com"}, want: 202},
		"unknown path":                           {conn: public, method: "GET", path: "/v2/images", want: 404},
		"wrong method":                           {conn: public, method: "DELETE", path: "/v1/images", want: 405},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := New(newFake(), Options{})
			s.Access().Set(testToken, tc.publicRead)
			req := httptest.NewRequest(tc.method, "http://example.com"+tc.path, nil)
			for k, v := range tc.header {
				if k == "Host" {
					req.Host = v
				}
				req.Header.Set(k, v)
			}
			req = req.WithContext(context.WithValue(req.Context(), connKey{}, tc.conn))
			rec := httptest.NewRecorder()
			s.Handler().ServeHTTP(rec, req)
			if rec.Code != tc.want {
				t.Errorf("status %d, want %d: %s", rec.Code, tc.want, rec.Body)
			}
			checkAnswerHeaders(t, rec)
			if rec.Code == 401 && rec.Header().Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
		})
	}
}

// checkAnswerHeaders: every answer is JSON or an SSE stream, never cached,
// never sniffed, and never carries a cookie or a CORS grant.
func checkAnswerHeaders(t *testing.T, rec *httptest.ResponseRecorder) {
	t.Helper()
	h := rec.Header()
	if ct := h.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") && !strings.HasPrefix(ct, "text/") {
		t.Errorf("Content-Type %q", ct)
	}
	for _, k := range []string{"Set-Cookie", "Access-Control-Allow-Origin", "Access-Control-Allow-Credentials"} {
		if v := h.Get(k); v != "" {
			t.Errorf("%s: %s", k, v)
		}
	}
	if h.Get("Cache-Control") != "no-store" || h.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("missing security headers: %v", h)
	}
	if rec.Code >= 400 && !strings.Contains(rec.Body.String(), `"error"`) && !strings.Contains(rec.Body.String(), `"missing"`) {
		t.Errorf("error %d without a JSON error body: %s", rec.Code, rec.Body)
	}
}

// TestRateLimits: calls that change something are limited, and refused
// attempts have their own budget, so guessing tokens does not lock the
// token's holder out.
func TestRateLimits(t *testing.T) {
	t.Parallel()
	s := New(newFake(), Options{})
	s.Access().Set(testToken, false)
	count := func(auth string, n int) map[int]int {
		got := map[int]int{}
		for range n {
			req := httptest.NewRequest("POST", "/v1/check", nil)
			req.Header.Set("Authorization", auth)
			rec := httptest.NewRecorder()
			s.Handler().ServeHTTP(rec, req)
			got[rec.Code]++
		}
		return got
	}
	// The refill over the loop's duration is at most a few tokens; the
	// bursts are what is checked.
	bad := count("Bearer wrong-wrong-wrong-wrong", 3*RefusedBurst)
	if bad[http.StatusForbidden] < RefusedBurst || bad[http.StatusTooManyRequests] == 0 {
		t.Errorf("wrong tokens: %v, want %d refused with 403 and the rest with 429", bad, RefusedBurst)
	}
	good := count("Bearer "+testToken, 3*MutateBurst)
	if good[http.StatusAccepted] < MutateBurst || good[http.StatusTooManyRequests] == 0 {
		t.Errorf("good token: %v, want a burst of %d accepted, then 429", good, MutateBurst)
	}
}

// TestObserve: every call but the event stream is timed, by route and
// status.
func TestObserve(t *testing.T) {
	t.Parallel()
	var got []string
	s := New(newFake(), Options{Observe: func(route string, status int, _ time.Duration) {
		got = append(got, fmt.Sprintf("%s %d", route, status))
	}})
	s.Access().Set(testToken, false)
	for _, path := range []string{"/v1/images", "/v1/images/nope.qcow2"} {
		req := httptest.NewRequest("GET", path, nil)
		req.Header.Set("Authorization", "Bearer "+testToken)
		s.Handler().ServeHTTP(httptest.NewRecorder(), req)
	}
	want := []string{"GET /v1/images 200", "GET /v1/images/{name} 404"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("observed %v, want %v", got, want)
	}
}
