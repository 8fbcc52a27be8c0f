package main

import (
	"errors"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"

	"github.com/sandlabx/fetchd/internal/download"
	"github.com/sandlabx/fetchd/internal/pluginhost"
)

func TestSignatureAndSizeHints(t *testing.T) {
	t.Parallel()
	refused := func(msg string) error {
		return &pluginhost.Error{Source: "fedora", Origin: "/p/fetchd-plugin-fedora", Op: "Resolve", Kind: pluginhost.Failed, Code: codes.FailedPrecondition, Err: errors.New(msg)}
	}
	cases := map[string]struct {
		err  error
		want string
	}{
		"unknown signer":  {refused("verify https://m/CHECKSUM: unknown signer: key 0123 is not in the keyring"), "not given for this release: check sources.fedora.keys"},
		"bad signature":   {refused("verify https://m/SHA256SUMS with https://m/SHA256SUMS.gpg: bad signature: hash mismatch"), "do not use it, try upstream"},
		"expired key":     {refused("verify https://m/CHECKSUM: key expired: on 2025-01-01"), "no longer valid"},
		"no key":          {refused("no key to verify https://m/CHECKSUM with: the plugin embeds none"), "configure the keys that sign this release's checksum files: sources.fedora.keys"},
		"size mismatch":   {&download.SizeError{URL: "https://m/x.qcow2", What: "Content-Length", Got: 10, Want: 20}, "another size than upstream's metadata states"},
		"over the cap":    {&download.SizeError{URL: "https://m/x.qcow2", What: "body", Want: 20, Cap: true}, "raise max_image_size"},
		"other condition": {refused("two different digests for x"), ""},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got := strings.Join(typedHints(tc.err), "\n")
			if tc.want == "" && got != "" || !strings.Contains(got, tc.want) {
				t.Errorf("hints %q, want one containing %q", got, tc.want)
			}
		})
	}
}
