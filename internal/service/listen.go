package service

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/sandlabx/fetchd/internal/api"
	"github.com/sandlabx/fetchd/internal/config"
)

// Listen opens the API's listeners: the Unix socket (cfg.SocketPath(),
// mode 0600) and, when addr (or api.listen) is set, TCP on it. A TCP
// listener that is not bound to loopback refuses to start unless the
// operator configured api.token_file: a token fetchd made up itself is
// for this machine, not for a network.
func Listen(cfg *config.Config, addr string) ([]Listener, error) {
	if addr == "" {
		addr = cfg.API.Listen
	}
	sock := cfg.SocketPath()
	if err := os.MkdirAll(filepath.Dir(sock), 0o700); err != nil {
		return nil, fmt.Errorf("api socket: %w", err)
	}
	uln, err := api.ListenUnix(sock)
	if err != nil {
		return nil, err
	}
	out := []Listener{{Net: uln, Kind: api.UnixSocket, Name: "unix:" + sock}}
	if addr == "" {
		return out, nil
	}
	tln, loopback, err := api.ListenTCP(addr)
	if err != nil {
		uln.Close()
		return nil, err
	}
	kind := api.LoopbackTCP
	if !loopback {
		kind = api.PublicTCP
		if cfg.API.TokenFile == "" {
			tln.Close()
			uln.Close()
			return nil, &NoTokenError{Addr: tln.Addr().String()}
		}
	}
	out = append(out, Listener{Net: tln, Kind: kind, Name: "http://" + tln.Addr().String()})
	return out, nil
}

// NoTokenError refuses a TCP listener others can reach without a token the
// operator chose.
type NoTokenError struct{ Addr string }

func (e *NoTokenError) Error() string {
	return fmt.Sprintf("--listen %s: this address is reachable from other machines, and api.token_file is not set; fetchd refuses to serve its API there without a token you chose", e.Addr)
}

// Close closes listeners (when Run is not reached).
func Close(ls []Listener) {
	for _, l := range ls {
		l.Net.Close()
	}
}
