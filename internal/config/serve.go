package config

import (
	"bytes"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Service settings (`fetchd serve`): defaults and bounds.
const (
	DefaultRefresh = 6 * time.Hour
	MinRefresh     = time.Minute
	// MinTokenBytes is the shortest API token accepted from a file.
	MinTokenBytes = 16
	// DefaultRetryFor bounds how long a webhook delivery is retried.
	DefaultRetryFor = 10 * time.Minute
	MaxRetryFor     = 24 * time.Hour
	// MaxWebhooks bounds the notify list.
	MaxWebhooks = 32
)

// NotifyEvents are the event types a webhook may ask for (the service's
// event types; report.Types says the same, a test checks it).
var NotifyEvents = []string{"resolve", "progress", "verifying", "installed", "present", "outdated",
	"held", "refused", "failed", "removed", "missing", "modified", "job", "reload"}

// DefaultNotifyEvents are sent to a webhook that does not list its events:
// every outcome worth acting on, not the steps before it.
var DefaultNotifyEvents = []string{"installed", "outdated", "held", "refused", "failed", "removed"}

// API holds the service's listener settings (`api:`).
type API struct {
	// Listen is a TCP address to listen on as well as the socket ("" =
	// none); serve's --listen overrides it.
	Listen string
	// Socket is the Unix socket's path; "" means <dir>/.fetchd/run/api.sock.
	Socket string
	// TokenFile is where the API token is read from; "" means fetchd
	// generates one in its private directory. Token is its content.
	TokenFile string
	Token     string
	// PublicRead lets anyone who can reach a listener make read-only calls
	// without the token.
	PublicRead bool
	Line       int
}

// Webhook is one `notify:` entry.
type Webhook struct {
	URL string
	// Events are the event types delivered (DefaultNotifyEvents if the
	// entry lists none).
	Events []string
	// Secret keys the HMAC-SHA256 signature of each delivery; from
	// secret or secret_file.
	Secret []byte
	// RetryFor bounds how long one delivery is retried.
	RetryFor time.Duration
	Line     int
}

var apiKeys = []string{"listen", "socket", "token_file", "public_read"}

func (p *parser) api(v *yaml.Node) (API, error) {
	a := API{Line: v.Line}
	err := p.mapping(v, "api", apiKeys, func(key string, _, v *yaml.Node) error {
		path := child("api", key)
		var err error
		switch key {
		case "listen":
			a.Listen, err = p.str(v, path)
		case "socket":
			var s string
			if s, err = p.str(v, path); err == nil {
				a.Socket = resolve(p.baseDir, s)
			}
		case "token_file":
			var s string
			if s, err = p.str(v, path); err == nil {
				a.TokenFile = resolve(p.baseDir, s)
				a.Token, err = p.secretFile(v, path, a.TokenFile, MinTokenBytes)
			}
		case "public_read":
			a.PublicRead, err = p.boolean(v, path)
		}
		return err
	})
	return a, err
}

// secretFile reads a token or secret: a regular file no other user can
// write, whitespace around it trimmed, at least minBytes long.
func (p *parser) secretFile(v *yaml.Node, path, name string, minBytes int) (string, error) {
	data, err := readFile(name)
	if err != nil {
		return "", &Error{File: p.file, Line: v.Line, Key: path, Msg: "file " + name, Err: err}
	}
	if fi, err := os.Stat(name); err == nil && fi.Mode().Perm()&0o022 != 0 {
		return "", p.errAt(v, path, "%s is writable by other users (mode %04o); chmod go-w it", name, fi.Mode().Perm())
	}
	s := string(bytes.TrimSpace(data))
	if len(s) < minBytes {
		return "", p.errAt(v, path, "%s holds %d bytes; at least %d are needed", name, len(s), minBytes)
	}
	if strings.ContainsAny(s, "\r\n") {
		return "", p.errAt(v, path, "%s holds more than one line", name)
	}
	return s, nil
}

func (p *parser) refresh(v *yaml.Node) (time.Duration, error) {
	if v.Kind != yaml.ScalarNode || v.ShortTag() != tagStr {
		return 0, p.errAt(v, "refresh", "want a duration like 6h or 30m, got %s", describe(v))
	}
	d, err := time.ParseDuration(v.Value)
	if err != nil {
		return 0, p.errAt(v, "refresh", "want a duration like 6h or 30m, got %q", shorten(v.Value, 40))
	}
	if d < MinRefresh {
		return 0, p.errAt(v, "refresh", "%s is too short; the minimum is %s", v.Value, MinRefresh)
	}
	return d, nil
}

var webhookKeys = []string{"url", "events", "secret", "secret_file", "retry_for"}

func (p *parser) notify(v *yaml.Node) ([]Webhook, error) {
	var out []Webhook
	err := p.list(v, "notify", func(i int, item *yaml.Node) error {
		path := index("notify", i)
		if i >= MaxWebhooks {
			return p.errAt(item, path, "at most %d webhooks", MaxWebhooks)
		}
		w := Webhook{Line: item.Line, RetryFor: DefaultRetryFor}
		err := p.mapping(item, path, webhookKeys, func(key string, _, v *yaml.Node) error {
			kpath := child(path, key)
			switch key {
			case "url":
				return p.webhookURL(v, kpath, &w)
			case "events":
				return p.events(v, kpath, &w)
			case "secret":
				if w.Secret != nil {
					return p.errAt(v, kpath, "give secret or secret_file, not both")
				}
				s, err := p.str(v, kpath)
				if err == nil && len(s) < MinTokenBytes {
					err = p.errAt(v, kpath, "a secret needs at least %d bytes", MinTokenBytes)
				}
				w.Secret = []byte(s)
				return err
			case "secret_file":
				if w.Secret != nil {
					return p.errAt(v, kpath, "give secret or secret_file, not both")
				}
				s, err := p.str(v, kpath)
				if err != nil {
					return err
				}
				secret, err := p.secretFile(v, kpath, resolve(p.baseDir, s), MinTokenBytes)
				w.Secret = []byte(secret)
				return err
			case "retry_for":
				return p.retryFor(v, kpath, &w)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if w.URL == "" {
			return p.errAt(item, path, "a webhook needs a url")
		}
		if w.Secret == nil {
			return p.errAt(item, path, "a webhook needs a secret or secret_file (deliveries are signed with it)")
		}
		if w.Events == nil {
			w.Events = slices.Clone(DefaultNotifyEvents)
		}
		out = append(out, w)
		return nil
	})
	return out, err
}

func (p *parser) webhookURL(v *yaml.Node, path string, w *Webhook) error {
	s, err := p.str(v, path)
	if err != nil {
		return err
	}
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return p.errAt(v, path, "%q is not a URL: %v", shorten(s, 60), err)
	case u.Scheme != "https" && u.Scheme != "http":
		return p.errAt(v, path, "%q: want an http or https URL", shorten(s, 60))
	case u.Host == "":
		return p.errAt(v, path, "%q: no host", shorten(s, 60))
	case u.User != nil:
		return p.errAt(v, path, "%q: user info in a webhook URL is not allowed (deliveries are signed with the secret)", u.Redacted())
	case u.Fragment != "":
		return p.errAt(v, path, "%q: a webhook URL has no #fragment", shorten(s, 60))
	}
	w.URL = s
	return nil
}

func (p *parser) events(v *yaml.Node, path string, w *Webhook) error {
	w.Events = []string{}
	return p.list(v, path, func(i int, item *yaml.Node) error {
		s, err := p.str(item, index(path, i))
		if err != nil {
			return err
		}
		if !slices.Contains(NotifyEvents, s) {
			return p.errAt(item, index(path, i), "unknown event type %q (known: %s)", shorten(s, 40), strings.Join(NotifyEvents, ", "))
		}
		if !slices.Contains(w.Events, s) {
			w.Events = append(w.Events, s)
		}
		return nil
	})
}

func (p *parser) retryFor(v *yaml.Node, path string, w *Webhook) error {
	if v.Kind != yaml.ScalarNode || v.ShortTag() != tagStr {
		return p.errAt(v, path, "want a duration like 10m, got %s", describe(v))
	}
	d, err := time.ParseDuration(v.Value)
	if err != nil || d < 0 || d > MaxRetryFor {
		return p.errAt(v, path, "want a duration from 0s to %s, got %q", MaxRetryFor, shorten(v.Value, 40))
	}
	w.RetryFor = d
	return nil
}

// SocketPath is the API socket: api.socket, or <dir>/.fetchd/run/api.sock.
func (c *Config) SocketPath() string {
	if c.API.Socket != "" {
		return c.API.Socket
	}
	return fmt.Sprintf("%s/.fetchd/run/api.sock", strings.TrimRight(c.Dir, "/"))
}
