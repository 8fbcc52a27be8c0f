package main

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/sandlabx/fetchd/internal/config"
	"github.com/sandlabx/fetchd/internal/download"
	"github.com/sandlabx/fetchd/internal/netpolicy"
	"github.com/sandlabx/fetchd/internal/pluginhost"
	"github.com/sandlabx/fetchd/internal/qcow2"
	"github.com/sandlabx/fetchd/internal/qemuimg"
	"github.com/sandlabx/fetchd/internal/state"
)

// explainer renders errors for people: the cause first, short, external
// tools' output cut to a few lines, and never the path of a partial
// download (the whole error, paths and all, stays in --json and --debug
// output).
type explainer struct {
	dir      string         // the image directory
	partials *regexp.Regexp // matches a path under <dir>/.fetchd/partial
	// the network policy's timeouts, as they were in force
	connect, header, idle time.Duration
}

func newExplainer(cfg *config.Config) explainer {
	x := explainer{}
	p := netpolicy.Policy{}
	if cfg != nil {
		p.IdleTimeout = cfg.IdleTimeout
		x.dir = cfg.Dir
		dir := filepath.Join(cfg.Dir, state.PrivateDir, "partial")
		x.partials = regexp.MustCompile(regexp.QuoteMeta(dir) + `(/[^\s:"]*)?`)
	}
	p = p.WithDefaults()
	x.connect, x.header, x.idle = p.ConnectTimeout, p.ResponseHeaderTimeout, p.IdleTimeout
	return x
}

// maxToolLines is how many lines of an external tool's output a message
// shows.
const maxToolLines = 3

// brief is err in a few words, cause first.
func (x explainer) brief(err error) string {
	if msg, ok := x.network(err); ok {
		return x.redact(msg)
	}
	var (
		ue *qcow2.UnsafeError
		fm *qcow2.FormatMismatchError
		qr *qemuimg.RefusedError
		ce *qemuimg.CommandError
		ns *download.NoSpaceError
	)
	msg := err.Error()
	switch {
	case errors.As(err, &ns):
		msg = noSpaceText(ns)
	case errors.As(err, &ue):
		c := *ue
		c.Path = ""
		msg = c.Error()
	case errors.As(err, &fm):
		c := *fm
		c.Path = ""
		msg = c.Error()
	case errors.As(err, &qr):
		msg = fmt.Sprintf("qemu-img %s: %s", qr.Op, qr.Reason)
		if errors.As(qr.Err, &ce) && ce.Stderr != "" {
			msg += ": " + cutLines(ce.Stderr, maxToolLines)
		}
	case errors.As(err, &ce):
		msg = briefCommand(ce)
	}
	return x.redact(msg)
}

// noSpaceText names the image directory's filesystem, not the private
// directory inside it.
func noSpaceText(ns *download.NoSpaceError) string {
	dir := ns.Dir
	if d, ok := strings.CutSuffix(dir, "/"+state.PrivateDir+"/partial"); ok {
		dir = d
	}
	if ns.Need > 0 {
		return fmt.Sprintf("no space left on the filesystem of %s: need %d more bytes, %d free", dir, ns.Need, ns.Free)
	}
	return fmt.Sprintf("no space left on the filesystem of %s (%d bytes free)", dir, ns.Free)
}

// briefCommand is a failed qemu-img run without its file argument and with
// its stderr cut.
func briefCommand(ce *qemuimg.CommandError) string {
	c := *ce
	if len(c.Args) > 1 {
		c.Args = []string{filepath.Base(c.Args[0]), c.Args[1]}
	}
	c.Stderr = cutLines(c.Stderr, maxToolLines)
	return c.Error()
}

// refusal reports whether err is fetchd refusing the bytes it downloaded
// (as opposed to failing to get or check them).
func refusal(err error) bool {
	var (
		ue *qcow2.UnsafeError
		fm *qcow2.FormatMismatchError
		qr *qemuimg.RefusedError
		dm *download.DigestMismatchError
		se *download.SizeError
	)
	return errors.As(err, &ue) || errors.As(err, &fm) || errors.As(err, &qr) || errors.As(err, &dm) || errors.As(err, &se)
}

// redact replaces partial download paths with words.
func (x explainer) redact(msg string) string {
	if x.partials == nil {
		return msg
	}
	return x.partials.ReplaceAllString(msg, "the partial download")
}

// cutLines keeps the first n lines of s and says how many were left out.
func cutLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for i := range lines {
		lines[i] = strings.TrimSpace(lines[i])
	}
	if len(lines) <= n {
		return strings.Join(lines, "; ")
	}
	return fmt.Sprintf("%s; … (%d more lines)", strings.Join(lines[:n], "; "), len(lines)-n)
}

// network explains a failure to reach a server: which host, what happened,
// with the timeout that was in force. ok is false when err is not one, or
// when it is a download that reached its server (its own message says
// where it stopped, and why).
func (x explainer) network(err error) (msg string, ok bool) {
	host, what := x.netCause(err)
	var ie *download.InterruptedError
	if what == "" || (errors.As(err, &ie) && reached(what)) {
		return "", false
	}
	msg = "cannot reach " + host + ": " + what
	var pe *pluginhost.Error
	if errors.As(err, &pe) {
		msg = "source " + pe.Source + " " + msg
	}
	if ie != nil && ie.Done > 0 {
		msg += fmt.Sprintf(" (after %d bytes; the partial is kept and the next sync resumes it)", ie.Done)
	}
	return msg, true
}

// reached tells a server that answered, then went quiet, from one that
// could not be reached at all.
func reached(what string) bool { return strings.HasPrefix(what, "it ") }

func (x explainer) netCause(err error) (host, what string) {
	var (
		ue  *url.Error
		dns *net.DNSError
		op  *net.OpError
		ie  *download.InterruptedError
		it  *netpolicy.IdleTimeoutError
	)
	if errors.As(err, &ue) {
		host = hostOf(ue.URL)
	} else if errors.As(err, &ie) {
		host = hostOf(ie.URL)
	}
	switch {
	case errors.As(err, &dns):
		if host == "" {
			host = dns.Name
		}
		switch {
		case dns.IsTimeout:
			return host, "the DNS lookup timed out"
		case dns.IsNotFound:
			return host, "no such host (the DNS lookup failed)"
		}
		return host, "the DNS lookup failed: " + dns.Err
	case errors.As(err, &op) && op.Op == "dial":
		if host == "" && op.Addr != nil {
			host = op.Addr.String()
		}
		switch {
		case op.Timeout():
			return host, fmt.Sprintf("no connection within %s", x.connect)
		case errors.Is(op, syscall.ECONNREFUSED):
			return host, "connection refused"
		case errors.Is(op, syscall.ENETUNREACH):
			return host, "network unreachable"
		case errors.Is(op, syscall.EHOSTUNREACH):
			return host, "no route to host"
		}
		return host, op.Err.Error()
	case ue != nil && ue.Timeout() && strings.Contains(ue.Err.Error(), "awaiting response headers"):
		return host, fmt.Sprintf("it accepted the connection but sent no answer within %s", x.header)
	case ue != nil && ue.Timeout() && strings.Contains(ue.Err.Error(), "TLS handshake"):
		return host, "the TLS handshake timed out"
	case errors.As(err, &it) && host != "":
		return host, fmt.Sprintf("it stopped sending for %s (idle_timeout)", it.Idle)
	}
	return "", ""
}

// networkHint says what to do about a server fetchd cannot reach.
func (x explainer) networkHint(err error) string {
	host, what := x.netCause(err)
	if what == "" {
		return ""
	}
	mirror := "point the source's base_url at a mirror"
	var pe *pluginhost.Error
	if errors.As(err, &pe) {
		mirror = "point sources." + pe.Source + ".base_url at a mirror"
	}
	if reached(what) {
		return fmt.Sprintf("%s is not answering (down, overloaded, or a proxy holding the connection): try again later, %s, or raise idle_timeout", host, mirror)
	}
	return fmt.Sprintf("check this machine's network and DNS, or its proxy (HTTPS_PROXY, NO_PROXY); or %s; 'fetchd sync --offline' uses only what is on disk", mirror)
}

// within reports whether path is dir or under it.
func within(path, dir string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, "../")
}

func hostOf(raw string) string {
	if u, err := url.Parse(raw); err == nil && u.Host != "" {
		return u.Host
	}
	return raw
}

// permissionHint explains a directory fetchd may not write: who fetchd
// runs as, who owns the directory, and, for the image directory, the usual
// fixes.
func (x explainer) permissionHint(err error) string {
	if !errors.Is(err, fs.ErrPermission) {
		return ""
	}
	// The path the error names, else (an error from a directory
	// descriptor) the image directory.
	dir := x.dir
	var pe *fs.PathError
	if errors.As(err, &pe) {
		dir = pe.Path
	}
	if dir == "" {
		return ""
	}
	target := dir
	var st *syscall.Stat_t
	for {
		if fi, err := os.Stat(dir); err == nil {
			st, _ = fi.Sys().(*syscall.Stat_t)
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
	if st == nil {
		return ""
	}
	uid := os.Getuid()
	what := fmt.Sprintf("fetchd runs as uid %d and may not write in %s (owner uid %d, mode %04o)", uid, dir, st.Uid, st.Mode&0o7777)
	if x.dir == "" || !within(target, x.dir) {
		return what
	}
	return fmt.Sprintf("%s: make the image directory writable for uid %d (on the host: chown %d on the directory mounted there; docker run -v creates a missing one owned by root), or run fetchd as the directory's owner (docker run --user \"$(id -u)\" for one you own); the fetchd image runs as uid 10001", what, uid, uid)
}
