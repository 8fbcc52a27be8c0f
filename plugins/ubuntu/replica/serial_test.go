package replica

import (
	"testing"
	"time"

	"github.com/sandlabx/fetchd/sdk/version"
)

func TestNextSerial(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"20261112":    "20261112.1",
		"20261112.1":  "20261112.2",
		"20261112.9":  "20261112.10",
		"20261112.10": "20261112.11",
	} {
		got := nextSerial(in)
		if got != want || version.Compare(got, in) <= 0 {
			t.Errorf("nextSerial(%q) = %q, want %q, newer by version.Compare", in, got, want)
		}
	}
}

// TestInitialSerialsHaveTheTraps: the first builds are in order by
// version.Compare but not byte-wise, so a resolver sorting strings fails.
func TestInitialSerialsHaveTheTraps(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, time.November, 20, 0, 0, 0, 0, time.UTC)
	for _, daily := range []bool{false, true} {
		ss := initialSerials(now, 0, daily)
		for i := 1; i < len(ss); i++ {
			if version.Compare(ss[i-1], ss[i]) >= 0 {
				t.Errorf("daily=%v: %v is not oldest first", daily, ss)
			}
		}
		if !daily && ss[len(ss)-1] >= ss[len(ss)-2] {
			t.Errorf("the newest two release serials %v sort the same way byte-wise: no trap", ss[len(ss)-2:])
		}
	}
}
