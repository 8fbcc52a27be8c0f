package sse

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRead(t *testing.T) {
	t.Parallel()
	stream := "retry: 2000\n: a comment\n\nid: 1\nevent: progress\ndata: {\"a\":1}\n\n" +
		"event: dropped\ndata: {}\n\n" + // no id: LastID stays 1
		"id: 2\r\ndata: line one\r\ndata: line two\r\n\r\n" +
		"data:no space\n\n"
	rd := NewReader(strings.NewReader(stream))
	var got []Event
	for {
		ev, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, ev)
	}
	want := []Event{
		{ID: "1", Type: "progress", Data: `{"a":1}`, Retry: 2000},
		{ID: "1", Type: "dropped", Data: "{}"},
		{ID: "2", Type: "message", Data: "line one\nline two"},
		{ID: "2", Type: "message", Data: "no space"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}

func TestWriteRead(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	w := bufio.NewWriter(&buf)
	Write(w, "7", "installed", []byte(`{"x":"y"}`))
	Write(w, "", "dropped", []byte("two\nlines"))
	w.Flush()
	rd := NewReader(&buf)
	a, _ := rd.Next()
	b, _ := rd.Next()
	if a != (Event{ID: "7", Type: "installed", Data: `{"x":"y"}`}) || b != (Event{ID: "7", Type: "dropped", Data: "two\nlines"}) {
		t.Errorf("round trip: %+v %+v", a, b)
	}
}

func TestLongLine(t *testing.T) {
	t.Parallel()
	rd := NewReader(strings.NewReader("data: " + strings.Repeat("x", MaxLine+1) + "\n\n"))
	if _, err := rd.Next(); !errors.Is(err, ErrLineTooLong) {
		t.Errorf("err %v, want ErrLineTooLong", err)
	}
}

// FuzzRead: any stream parses without panicking, and whatever Write
// writes reads back the same.
func FuzzRead(f *testing.F) {
	f.Add([]byte("id: 1\nevent: x\ndata: y\n\n"), "progress", []byte(`{"a":1}`))
	f.Add([]byte("retry: 10\r\n:c\r\n\r\n"), "t", []byte("a\nb"))
	f.Fuzz(func(t *testing.T, stream []byte, typ string, data []byte) {
		rd := NewReader(bytes.NewReader(stream))
		for range 100 {
			if _, err := rd.Next(); err != nil {
				break
			}
		}
		if typ == "" || strings.ContainsAny(typ, "\r\n") || bytes.ContainsRune(data, '\r') {
			return
		}
		var buf bytes.Buffer
		w := bufio.NewWriter(&buf)
		Write(w, "5", typ, data)
		w.Flush()
		ev, err := NewReader(&buf).Next()
		if err != nil {
			t.Fatalf("reading back: %v", err)
		}
		if ev.Type != typ || ev.Data != string(data) || ev.ID != "5" {
			t.Fatalf("round trip: wrote %q %q, read %+v", typ, data, ev)
		}
	})
}
