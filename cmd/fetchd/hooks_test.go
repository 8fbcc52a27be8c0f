package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/sandlabx/fetchd/internal/engine"
)

// Fault-injection hooks, compiled only into the test binary (which doubles
// as fetchd in the end-to-end tests) and switched on by environment
// variables the tests set:
//
//	FETCHD_TEST_PAUSE_BEFORE_RENAME=<file>  before renaming a verified image
//	    into place, create <file> and wait forever (the test kills fetchd)
//	FETCHD_TEST_HOLD_BEFORE_COMMIT=<dir>    before committing the first
//	    verified build of the run, create <dir>/commit.held and wait until
//	    <dir>/commit.go exists (polled at most 6000 times, 10 ms apart);
//	    if it never appears, create <dir>/commit.timeout and exit 125
//	    (the test checks for the marker: the race it set up did not run)
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
		if gate := os.Getenv("FETCHD_TEST_HOLD_BEFORE_COMMIT"); gate != "" {
			var once sync.Once
			e.SetBeforeRename(func(string) { once.Do(func() { holdAt(gate, "commit") }) })
		}
		if n, err := strconv.ParseInt(os.Getenv("FETCHD_TEST_MIN_SEGMENT"), 10, 64); err == nil && n > 0 {
			e.Downloader.MinSegment = n
		}
		if d, err := time.ParseDuration(os.Getenv("FETCHD_TEST_QEMU_TIMEOUT")); err == nil {
			e.QemuImg.Timeout = d
		}
	}
}

// holdAt announces that fetchd reached point (gate/<point>.held) and waits
// for the test to let it go on (gate/<point>.go), a bounded number of
// times. A hold the test never ends is not a run to go on with: fetchd
// leaves gate/<point>.timeout and exits 125.
func holdAt(gate, point string) {
	_ = os.WriteFile(filepath.Join(gate, point+".held"), nil, 0o644)
	for i := 0; i < 6000; i++ {
		if _, err := os.Stat(filepath.Join(gate, point+".go")); err == nil {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	_ = os.WriteFile(filepath.Join(gate, point+".timeout"), nil, 0o644)
	fmt.Fprintf(os.Stderr, "fetchd test hook: held at %s and never let go on (%s)\n", point, filepath.Join(gate, point+".go"))
	os.Exit(125)
}
