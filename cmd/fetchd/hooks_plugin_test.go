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
func init() {
	testPluginOptions = func(o *pluginhost.Options) {
		if d, err := time.ParseDuration(os.Getenv("FETCHD_TEST_RESOLVE_TIMEOUT")); err == nil && d > 0 {
			o.ResolveTimeout = d
		}
	}
}
