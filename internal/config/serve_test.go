package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestServeKeyErrors pins the messages for the service's keys.
func TestServeKeyErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, content string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	short := write("short", "abc\n", 0o600)
	shared := write("shared", strings.Repeat("x", 32), 0o666)
	twoLines := write("two", strings.Repeat("x", 20)+"\n"+strings.Repeat("y", 20), 0o600)
	good := write("good", strings.Repeat("g", 32), 0o600)
	tests := map[string]struct {
		yaml string
		want string
	}{
		"refresh number":      {"refresh: 6\n", `fetchd.yaml:1: refresh: want a duration like 6h or 30m, got 6 (a number)`},
		"refresh too short":   {"refresh: 5s\n", `fetchd.yaml:1: refresh: 5s is too short; the minimum is 1m0s`},
		"api unknown key":     {"api: {tokenfile: x}\n", `fetchd.yaml:1: api: unknown key "tokenfile" (known: listen, socket, token_file, public_read)`},
		"api public_read str": {"api: {public_read: yes}\n", `fetchd.yaml:1: api.public_read: want true or false, got "yes"`},
		"token file missing":  {"api: {token_file: " + dir + "/nope}\n", `fetchd.yaml:1: api.token_file: file ` + dir + `/nope: open ` + dir + `/nope: no such file or directory`},
		"token file short":    {"api: {token_file: " + short + "}\n", `fetchd.yaml:1: api.token_file: ` + short + ` holds 3 bytes; at least 16 are needed`},
		"token file shared":   {"api: {token_file: " + shared + "}\n", `fetchd.yaml:1: api.token_file: ` + shared + ` is writable by other users (mode 0666); chmod go-w it`},
		"token two lines":     {"api: {token_file: " + twoLines + "}\n", `fetchd.yaml:1: api.token_file: ` + twoLines + ` holds more than one line`},
		"notify not a list":   {"notify: https://x/\n", `fetchd.yaml:1: notify: want a list, got "https://x/"`},
		"webhook no url":      {"notify:\n  - secret: " + strings.Repeat("s", 16) + "\n", `fetchd.yaml:2: notify[0]: a webhook needs a url`},
		"webhook no secret":   {"notify:\n  - url: https://x/h\n", `fetchd.yaml:2: notify[0]: a webhook needs a secret or secret_file (deliveries are signed with it)`},
		"webhook two secrets": {"notify:\n  - url: https://x/h\n    secret: " + strings.Repeat("s", 16) + "\n    secret_file: " + good + "\n", `fetchd.yaml:4: notify[0].secret_file: give secret or secret_file, not both`},
		"webhook short secret": {"notify:\n  - {url: 'https://x/h', secret: abc}\n",
			`fetchd.yaml:2: notify[0].secret: a secret needs at least 16 bytes`},
		"webhook file url": {"notify:\n  - {url: 'file:///etc/x', secret: " + strings.Repeat("s", 16) + "}\n",
			`fetchd.yaml:2: notify[0].url: "file:///etc/x": want an http or https URL`},
		"webhook user info": {"notify:\n  - {url: 'https://u:pw@x/h', secret: " + strings.Repeat("s", 16) + "}\n",
			`fetchd.yaml:2: notify[0].url: "https://u:xxxxx@x/h": user info in a webhook URL is not allowed (deliveries are signed with the secret)`},
		"webhook bad event": {"notify:\n  - {url: 'https://x/h', secret: " + strings.Repeat("s", 16) + ", events: [instaled]}\n",
			`fetchd.yaml:2: notify[0].events[0]: unknown event type "instaled" (known: resolve, progress, verifying, installed, present, outdated, held, refused, failed, removed, missing, modified, job, reload)`},
		"webhook retry_for": {"notify:\n  - {url: 'https://x/h', secret: " + strings.Repeat("s", 16) + ", retry_for: 48h}\n",
			`fetchd.yaml:2: notify[0].retry_for: want a duration from 0s to 24h0m0s, got "48h"`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse("fetchd.yaml", []byte(tc.yaml))
			if err == nil {
				t.Fatalf("Parse succeeded, want error %q", tc.want)
			}
			if diff := cmp.Diff(tc.want, err.Error()); diff != "" {
				t.Errorf("message mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSocketPath(t *testing.T) {
	t.Parallel()
	c := &Config{Dir: "/images/"}
	if got := c.SocketPath(); got != "/images/.fetchd/run/api.sock" {
		t.Errorf("default socket %q", got)
	}
	c.API.Socket = "/run/fetchd.sock"
	if got := c.SocketPath(); got != "/run/fetchd.sock" {
		t.Errorf("configured socket %q", got)
	}
}
