package activity

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sandlabx/fetchd/internal/engine"
	"github.com/sandlabx/fetchd/internal/store"
)

func TestRecordWhileRunning(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	st, err := store.Open(dir, true)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	r := NewRecorder(dir, "sync")
	r.rec.PID = os.Getppid() // Read ignores its own process's record
	r.Event(engine.Event{Kind: engine.Downloading, Image: "a.qcow2", Total: 200})
	r.Event(engine.Event{Kind: engine.Progress, Image: "a.qcow2", Done: 86, Total: 200})
	r.Event(engine.Event{Kind: engine.Resolving, Image: "b.qcow2"})
	rec, err := Read(dir)
	if err != nil || rec == nil {
		t.Fatalf("Read: %v, %v", rec, err)
	}
	want := map[string]string{"a.qcow2": "downloading 43%", "b.qcow2": "resolving"}
	got := map[string]string{}
	for name, s := range rec.Images {
		got[name] = s.String()
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("steps (-want +got):\n%s", diff)
	}
	fi, err := os.Stat(filepath.Join(dir, store.PrivateDir, File))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("record: %v, mode %v; want 0600", err, fi.Mode())
	}
	r.Close()
	if rec, err := Read(dir); rec != nil || err != nil {
		t.Errorf("after Close: %v, %v; want no record", rec, err)
	}
}

func TestStaleRecordIgnored(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	r := NewRecorder(dir, "sync")
	r.rec.PID = 1 << 30 // no such process
	st, err := store.Open(dir, true)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	r.Event(engine.Event{Kind: engine.Verifying, Image: "a.qcow2"})
	if rec, err := Read(dir); rec != nil || err != nil {
		t.Errorf("a dead process's record: %v, %v; want none", rec, err)
	}
	_ = time.Second
}
