package service

import (
	"errors"
	"testing"

	"github.com/sandlabx/fetchd/internal/engine"
	"github.com/sandlabx/fetchd/internal/qcow2"
)

// TestFailure: a job's error names every failed image with its cause
// (the first MaxCauses; the rest by name), not only how many failed.
func TestFailure(t *testing.T) {
	ok := engine.Result{Name: "ok.qcow2", Outcome: engine.Present}
	unsafe := &qcow2.UnsafeError{Field: "incompatible_features", Detail: "corrupt bit"}
	bad := func(n, why string) engine.Result {
		return engine.Result{Name: n, Outcome: engine.Failed, Err: errors.New(why)}
	}
	for name, tc := range map[string]struct {
		rs   []engine.Result
		want string
	}{
		"none failed": {[]engine.Result{ok}, ""},
		"one refused": {
			[]engine.Result{ok, {Name: "h.qcow2", Outcome: engine.Failed, Err: unsafe}},
			"1 of 2 images failed: h.qcow2: refused by the qcow2 header check: " + unsafe.Error(),
		},
		"not a refusal": {
			[]engine.Result{bad("n.qcow2", "connection refused")},
			"1 of 1 images failed: n.qcow2: connection refused",
		},
		"no error given": {
			[]engine.Result{{Name: "x.qcow2", Outcome: engine.Failed}},
			"1 of 1 images failed: x.qcow2: failed",
		},
		"more than MaxCauses": {
			[]engine.Result{bad("a", "A"), bad("b", "B"), ok, bad("c", "C"), bad("d", "D"), bad("e", "E")},
			"5 of 6 images failed: a: A; b: B; c: C; also d, e",
		},
	} {
		err := failure(tc.rs)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tc.want {
			t.Errorf("%s: %q, want %q", name, got, tc.want)
		}
	}
}
