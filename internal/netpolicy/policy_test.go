package netpolicy

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestCheckURL(t *testing.T) {
	t.Parallel()
	p := Policy{AllowHTTP: []string{"127.0.0.1:8080", "Mirror.example:80", "[::1]:9000", "plainhost"}}
	tests := map[string]struct {
		raw    string
		ok     bool
		reason string // substring of the refusal
	}{
		"https":                    {raw: "https://cloud-images.ubuntu.com/x.img", ok: true},
		"https with port":          {raw: "https://127.0.0.1:8443/x", ok: true},
		"https uppercase scheme":   {raw: "HTTPS://h/x", ok: true},
		"http allowed host port":   {raw: "http://127.0.0.1:8080/x", ok: true},
		"http allowed default":     {raw: "http://mirror.example/x", ok: true},
		"http allowed case":        {raw: "http://MIRROR.example:80/x", ok: true},
		"http allowed ipv6":        {raw: "http://[::1]:9000/x", ok: true},
		"http bare entry":          {raw: "http://plainhost/x", ok: true},
		"http other port":          {raw: "http://127.0.0.1:8081/x", reason: "http:// is allowed only"},
		"http other host":          {raw: "http://example.com/x", reason: "http:// is allowed only"},
		"http bare entry port":     {raw: "http://plainhost:8080/x", reason: "http:// is allowed only"},
		"file":                     {raw: "file:///etc/shadow", reason: "a host is required"},
		"file with host":           {raw: "file://localhost/etc/shadow", reason: `scheme "file"`},
		"ftp":                      {raw: "ftp://h/x", reason: `scheme "ftp"`},
		"no scheme":                {raw: "//h/x", reason: "no scheme"},
		"relative":                 {raw: "x.img", reason: "a host is required"},
		"userinfo":                 {raw: "https://user:secret@h/x", reason: "user info"},
		"user only":                {raw: "https://user@h/x", reason: "user info"},
		"empty host":               {raw: "https:///x", reason: "a host is required"},
		"port only":                {raw: "https://:443/x", reason: "a host is required"},
		"opaque":                   {raw: "https:h/x", reason: "a host is required"},
		"bad port":                 {raw: "https://h:99999/x", reason: "invalid port"},
		"forced getter":            {raw: "http::https://h/x", reason: "a host is required"},
		"https on allowed http hp": {raw: "https://127.0.0.1:8080/x", ok: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			u, err := url.Parse(tc.raw)
			if err != nil {
				t.Fatalf("url.Parse(%q): %v", tc.raw, err)
			}
			err = p.CheckURL(u)
			if tc.ok {
				if err != nil {
					t.Fatalf("CheckURL(%q) = %v, want ok", tc.raw, err)
				}
				return
			}
			var pe *PolicyError
			if !errors.As(err, &pe) {
				t.Fatalf("CheckURL(%q) = %v, want *PolicyError", tc.raw, err)
			}
			if !strings.Contains(pe.Reason, tc.reason) {
				t.Errorf("CheckURL(%q) reason = %q, want it to contain %q", tc.raw, pe.Reason, tc.reason)
			}
			if strings.Contains(err.Error(), "secret") {
				t.Errorf("error leaks the password: %v", err)
			}
			if !strings.Contains(err.Error(), u.Host) {
				t.Errorf("error %q does not name the URL", err)
			}
		})
	}
}

func TestCheckURLNil(t *testing.T) {
	t.Parallel()
	var pe *PolicyError
	if err := (Policy{}).CheckURL(nil); !errors.As(err, &pe) {
		t.Fatalf("CheckURL(nil) = %v, want *PolicyError", err)
	}
}

func TestHostPort(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"http://h/x":            "h:80",
		"https://h/x":           "h:443",
		"http://H.Example:81/x": "h.example:81",
		"http://[::1]/x":        "[::1]:80",
		"https://[::1]:8443/x":  "[::1]:8443",
	}
	for raw, want := range tests {
		t.Run(raw, func(t *testing.T) {
			t.Parallel()
			u, err := url.Parse(raw)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, HostPort(u)); diff != "" {
				t.Errorf("HostPort(%q) (-want +got):\n%s", raw, diff)
			}
		})
	}
}

func TestCheckAllowHTTP(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		entries []string
		ok      bool
	}{
		"host port": {entries: []string{"127.0.0.1:8080"}, ok: true},
		"bare host": {entries: []string{"mirror"}, ok: true},
		"ipv6":      {entries: []string{"[::1]:80"}, ok: true},
		"bad port":  {entries: []string{"h:0"}},
		"port text": {entries: []string{"h:http"}},
		"empty":     {entries: []string{""}},
		"url":       {entries: []string{"http://h:80"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			err := Policy{AllowHTTP: tc.entries}.CheckAllowHTTP()
			if (err == nil) != tc.ok {
				t.Errorf("CheckAllowHTTP(%q) = %v, want ok=%v", tc.entries, err, tc.ok)
			}
		})
	}
}

func TestWithDefaults(t *testing.T) {
	t.Parallel()
	got := Policy{}.WithDefaults()
	want := Policy{
		MaxRedirects:          DefaultMaxRedirects,
		ConnectTimeout:        DefaultConnectTimeout,
		TLSHandshakeTimeout:   DefaultTLSHandshakeTimeout,
		ResponseHeaderTimeout: DefaultResponseHeaderTimeout,
		IdleTimeout:           DefaultIdleTimeout,
		UserAgent:             DefaultUserAgent,
	}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(Policy{}, "RootCAs")); diff != "" {
		t.Errorf("WithDefaults (-want +got):\n%s", diff)
	}
	if got := (Policy{MaxRedirects: -3}).WithDefaults().MaxRedirects; got != -1 {
		t.Errorf("negative MaxRedirects became %d, want -1 (none)", got)
	}
}

// FuzzCheckURL checks that whatever CheckURL accepts is https, or http on an
// allowed host:port, with a host and no user info.
func FuzzCheckURL(f *testing.F) {
	for _, s := range []string{
		"https://h/x", "http://127.0.0.1:8080/x", "http://127.0.0.1:8081/x", "file:///etc/passwd",
		"https://u:p@h/x", "https://[::1]:443/", "HTTP://127.0.0.1:8080", "http::https://h", "https://h:0/",
	} {
		f.Add(s)
	}
	p := Policy{AllowHTTP: []string{"127.0.0.1:8080"}}
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := url.Parse(raw)
		if err != nil {
			return
		}
		if p.CheckURL(u) != nil {
			return
		}
		if u.User != nil || u.Hostname() == "" {
			t.Fatalf("accepted %q with user info or without host", raw)
		}
		switch u.Scheme {
		case "https":
		case "http":
			if HostPort(u) != "127.0.0.1:8080" {
				t.Fatalf("accepted http on %s", HostPort(u))
			}
		default:
			t.Fatalf("accepted scheme %q", u.Scheme)
		}
	})
}
