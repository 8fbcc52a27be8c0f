package replica

import (
	"net"
	"net/http"
	"net/http/httptest"
)

// Listen serves root on addr (host:port; port 0 picks one), for a replica
// a person points fetchd at by hand rather than a test. Close stops it.
func Listen(root, addr string) (*Server, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s := &Server{Root: root, redirects: map[string]string{}, requests: map[string]int{}}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	s.Server.Listener.Close()
	s.Server.Listener = l
	s.Server.Start()
	return s, nil
}
