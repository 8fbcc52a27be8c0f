package pluginhost

import (
	"strings"
	"testing"
	"time"
)

// TestStoppedPluginReportsWhy: after the host kills a plugin whose Resolve
// timed out, a later call on it reports that timeout, not a crash (the
// process is gone because the host stopped it, which is no bug in the
// plugin). Concurrent Resolves of two images of one source hit this.
func TestStoppedPluginReportsWhy(t *testing.T) {
	t.Parallel()
	h := newHost(t, Options{StartTimeout: 2 * time.Second, ResolveTimeout: time.Second, Fetcher: mapFetcher(nil)})
	p, err := startOne(t, h, "hang")
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	_, err = p.Resolve(t.Context(), Request{Arch: "x86_64"})
	assertPluginError(t, err, "hang", Timeout, "Resolve: no answer within 1s")
	_, err = p.Resolve(t.Context(), Request{Arch: "x86_64"})
	assertPluginError(t, err, "hang", Timeout, "Resolve: fetchd stopped the plugin after another Resolve call failed: no answer within 1s")
	if strings.Contains(err.Error(), "died") {
		t.Errorf("the second call reports a crash: %v", err)
	}
}
