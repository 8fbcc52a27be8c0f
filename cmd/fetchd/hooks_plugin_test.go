package main

import (
	"os"
	"time"

	"github.com/sandlabx/fetchd/internal/pluginhost"
)

// A plugin-host hook, compiled only into the test binary (which doubles as
// fetchd in the end-to-end tests) and switched on by an environment
// variable the tests set:
//
//	FETCHD_TEST_RESOLVE_TIMEOUT=<duration>  the plugins' Resolve deadline
//	    (default 2m: too long to wait for in a test of a hanging plugin)
//
// Under the race detector the test binary's plugins (it serves the
// built-ins) get 8 GiB of data segment: ThreadSanitizer's own reservations
// count against RLIMIT_DATA.
func init() {
	testPluginOptions = func(o *pluginhost.Options) {
		if raceEnabled && o.Limits.Memory > 0 {
			o.Limits.Memory = max(o.Limits.Memory, 8<<30)
		}
		if d, err := time.ParseDuration(os.Getenv("FETCHD_TEST_RESOLVE_TIMEOUT")); err == nil && d > 0 {
			o.ResolveTimeout = d
		}
	}
}
