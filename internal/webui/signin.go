package webui

import (
	"net"
	"net/url"
	"strconv"
)

// SignInURL is the link `fetchd serve` prints for a TCP listener: the
// page's address with the token in the fragment. A browser never sends
// the fragment to the server (so it is in no request line, log or
// Referer), and the page moves it into the tab's storage and out of the
// address bar and the history at once. An unspecified address (0.0.0.0,
// ::) is given as the loopback one.
func SignInURL(addr net.Addr, token string) string {
	host, port := "127.0.0.1", "0"
	if ta, ok := addr.(*net.TCPAddr); ok {
		port = strconv.Itoa(ta.Port)
		switch {
		case ta.IP == nil || ta.IP.IsUnspecified() && ta.IP.To4() != nil:
			host = "127.0.0.1"
		case ta.IP.IsUnspecified():
			host = "::1"
		default:
			host = ta.IP.String()
		}
	}
	u := url.URL{Scheme: "http", Host: net.JoinHostPort(host, port), Path: "/"}
	if token != "" {
		u.Fragment = "token=" + token
	}
	return u.String()
}
