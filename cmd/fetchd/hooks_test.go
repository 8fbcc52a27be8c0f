package main

import (
	"os"
	"strconv"
	"time"

	"github.com/sandlabx/fetchd/internal/engine"
)

// Fault-injection hooks, compiled only into the test binary (which doubles
// as fetchd in the end-to-end tests) and switched on by environment
// variables the tests set:
//
//	FETCHD_TEST_PAUSE_BEFORE_RENAME=<file>  before renaming a verified image
//	    into place, create <file> and wait forever (the test kills fetchd)
//	FETCHD_TEST_QEMU_TIMEOUT=<duration>     qemu-img's timeout (default 60s)
//	FETCHD_TEST_MIN_SEGMENT=<bytes>         the smallest segment of a download
//	    over several connections (default 1 MiB), so small test images are
//	    cut into several
func init() {
	testHooks = func(e *engine.Engine) {
		if marker := os.Getenv("FETCHD_TEST_PAUSE_BEFORE_RENAME"); marker != "" {
			e.SetBeforeRename(func(string) {
				_ = os.WriteFile(marker, nil, 0o644)
				select {}
			})
		}
		if n, err := strconv.ParseInt(os.Getenv("FETCHD_TEST_MIN_SEGMENT"), 10, 64); err == nil && n > 0 {
			e.Downloader.MinSegment = n
		}
		if d, err := time.ParseDuration(os.Getenv("FETCHD_TEST_QEMU_TIMEOUT")); err == nil {
			e.QemuImg.Timeout = d
		}
	}
}
