package main

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sandlabx/fetchd/internal/config"
	"github.com/sandlabx/fetchd/internal/pluginhost"
	"github.com/sandlabx/fetchd/internal/qcow2"
	"github.com/sandlabx/fetchd/internal/qemuimg"
)

func TestBrief(t *testing.T) {
	t.Parallel()
	x := newExplainer(&config.Config{Dir: "/images"})
	partial := "/images/.fetchd/partial/sha512-" + strings.Repeat("ab", 64) + ".part"
	var lines []string
	for i := range 23 {
		lines = append(lines, fmt.Sprintf("ERROR cluster %d refcount=0 reference=1", i))
	}
	dns := &url.Error{Op: "Get", URL: "https://cloud.debian.org/x.json", Err: &net.OpError{Op: "dial", Net: "tcp",
		Err: &net.DNSError{Err: "no such host", Name: "cloud.debian.org", IsNotFound: true}}}
	cases := map[string]struct {
		err  error
		want string
	}{
		"header refusal, without the partial's path": {
			err:  &qcow2.UnsafeError{Path: partial, Detail: "backing file set (offset 0x1c8)", Reason: "images with a backing file are refused"},
			want: "unsafe qcow2 header: backing file set (offset 0x1c8): images with a backing file are refused",
		},
		"qemu-img check: the command without its file, 3 lines of 23": {
			err: &qemuimg.RefusedError{Path: partial, Op: "check", Reason: "image is corrupt (23 corruptions)",
				Err: &qemuimg.CommandError{Args: []string{"/usr/bin/qemu-img", "check", "-f", "qcow2", partial}, ExitCode: 2, Stderr: strings.Join(lines, "\n")}},
			want: "qemu-img check: image is corrupt (23 corruptions): ERROR cluster 0 refcount=0 reference=1; ERROR cluster 1 refcount=0 reference=1; ERROR cluster 2 refcount=0 reference=1; … (20 more lines)",
		},
		"qemu-img timeout": {
			err:  &qemuimg.CommandError{Args: []string{"/usr/bin/qemu-img", "info", "--output=json", "-f", "qcow2", partial}, ExitCode: -1, TimedOut: true, Timeout: 60e9},
			want: "qemu-img info: timed out after 1m0s (process group killed)",
		},
		"a plugin that could not reach its upstream": {
			err:  &pluginhost.Error{Source: "debian", Origin: "built-in", Op: "Resolve", Err: errors.New("manifest: " + dns.Error()), Fetch: dns},
			want: "source debian cannot reach cloud.debian.org: no such host (the DNS lookup failed)",
		},
		"a silent upstream is blamed on the upstream": {
			err: &pluginhost.Error{Source: "debian", Origin: "built-in", Op: "Resolve", Kind: pluginhost.Timeout, Err: errors.New("no answer"),
				Fetch: &url.Error{Op: "Get", URL: "https://cloud.debian.org/x.json", Err: timeoutErr("net/http: timeout awaiting response headers")}},
			want: "source debian cannot reach cloud.debian.org: it accepted the connection but sent no answer within 30s",
		},
		"any other path under the partial directory is named in words": {
			err:  fmt.Errorf("syncing %s: input/output error", partial),
			want: "syncing the partial download: input/output error",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tc.want, x.brief(tc.err)); diff != "" {
				t.Errorf("brief (-want +got):\n%s", diff)
			}
		})
	}
}

type timeoutErr string

func (e timeoutErr) Error() string { return string(e) }
func (e timeoutErr) Timeout() bool { return true }

func TestHintsBlameTheNetworkNotThePlugin(t *testing.T) {
	t.Parallel()
	x := newExplainer(&config.Config{Dir: "/images"})
	err := &pluginhost.Error{Source: "debian", Origin: "built-in", Op: "Resolve", Kind: pluginhost.Timeout, Err: errors.New("no answer"),
		Fetch: &url.Error{Op: "Get", URL: "https://cloud.debian.org/x.json", Err: timeoutErr("net/http: timeout awaiting response headers")}}
	got := x.hints(err)
	want := []string{"cloud.debian.org is not answering (down, overloaded, or a proxy holding the connection): try again later, point sources.debian.base_url at a mirror, or raise idle_timeout"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("hints (-want +got):\n%s", diff)
	}
}
