package urlrule

import (
	"errors"
	"testing"
)

func TestCheck(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		raw, base string
		ok        bool
	}{
		"https":                   {raw: "https://cloud-images.ubuntu.com/releases/24.04/release/x.img", ok: true},
		"https with port":         {raw: "https://127.0.0.1:8443/x.qcow2", ok: true},
		"ipv6 loopback":           {raw: "https://[::1]:8443/x.qcow2", ok: true},
		"canonical query":         {raw: "https://h/x.qcow2?a=1&b=2", ok: true},
		"http without base":       {raw: "http://h/x.qcow2"},
		"http on base host":       {raw: "http://127.0.0.1:8080/a/x.qcow2", base: "http://127.0.0.1:8080/a", ok: true},
		"http on other port":      {raw: "http://127.0.0.1:9090/x.qcow2", base: "http://127.0.0.1:8080"},
		"http with https base":    {raw: "http://h/x.qcow2", base: "https://h"},
		"http default port":       {raw: "http://h/x", base: "http://h:80/", ok: true},
		"file":                    {raw: "file:///etc/shadow"},
		"file relative":           {raw: "/etc/shadow"},
		"forced getter":           {raw: "git::https://h/x"},
		"s3 forced":               {raw: "s3::https://h/x"},
		"double slash":            {raw: "https://h/a//b.qcow2"},
		"encoded double slash ok": {raw: "https://h/a/%2Fb.qcow2", ok: true},
		"userinfo":                {raw: "https://u:p@h/x"},
		"fragment":                {raw: "https://h/x#frag"},
		"reserved checksum":       {raw: "https://h/x?checksum=sha256:00"},
		"reserved archive":        {raw: "https://h/x?archive=false"},
		"reserved filename":       {raw: "https://h/x?filename=y"},
		"non canonical query":     {raw: "https://h/x?b=2&a=1"},
		"space":                   {raw: "https://h/x y"},
		"no host":                 {raw: "https:///x"},
		"empty":                   {raw: ""},
		"ftp":                     {raw: "ftp://h/x"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := Check(tc.raw, tc.base)
			if tc.ok && err != nil {
				t.Fatalf("Check(%q, %q) = %v, want ok", tc.raw, tc.base, err)
			}
			if !tc.ok {
				var ue *Error
				if !errors.As(err, &ue) {
					t.Fatalf("Check(%q, %q) = %v, want *Error", tc.raw, tc.base, err)
				}
			}
		})
	}
}

func TestHTTPHostPort(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"http://127.0.0.1:8080/x": "127.0.0.1:8080",
		"http://mirror":           "mirror:80",
		"http://[::1]:8080/x":     "[::1]:8080",
		"http://MIRROR":           "mirror:80",
		"https://mirror":          "",
		"":                        "",
	} {
		if got := HTTPHostPort(in); got != want {
			t.Errorf("HTTPHostPort(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzCheck(f *testing.F) {
	for _, s := range []string{"https://h/x", "http://127.0.0.1:1/x", "git::https://h", "https://h/a//b", "file:///x"} {
		f.Add(s, "http://127.0.0.1:1")
	}
	f.Fuzz(func(t *testing.T, raw, base string) {
		u, err := Check(raw, base)
		if err != nil {
			return
		}
		if u.Scheme != "https" && u.Scheme != "http" {
			t.Fatalf("accepted scheme %q", u.Scheme)
		}
		if u.Scheme == "http" && HTTPHostPort(base) == "" {
			t.Fatalf("accepted http without an http base: %q", raw)
		}
		if u.Host == "" || u.User != nil || forcedGetter.MatchString(raw) {
			t.Fatalf("accepted %q", raw)
		}
	})
}
