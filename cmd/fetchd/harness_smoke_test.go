package main

import "testing"

// TestFaultWorldClean: with no fault, a second sync changes nothing and the
// checks pass (the harness itself works).
func TestFaultWorldClean(t *testing.T) {
	t.Parallel()
	f := newFaultWorld(t)
	res := f.syncJSON()
	f.check(res, expect{code: 0})
	for _, name := range defaultImages {
		if res.summary[name] != "present" {
			t.Errorf("%s: %q, want present", name, res.summary[name])
		}
	}
}
