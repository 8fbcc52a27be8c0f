package netpolicy

import (
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

func TestIdleReaderStall(t *testing.T) {
	t.Parallel()
	pr, pw := io.Pipe()
	defer pw.Close()
	r := NewIdleReader(pr, 50*time.Millisecond, nil) // nil onIdle: close the body
	go func() { pw.Write([]byte("ab")) }()
	buf := make([]byte, 8)
	n, err := r.Read(buf)
	if err != nil || string(buf[:n]) != "ab" {
		t.Fatalf("first Read = %q, %v, want \"ab\", nil", buf[:n], err)
	}
	_, err = r.Read(buf) // nothing more is ever written
	var ie *IdleTimeoutError
	if !errors.As(err, &ie) || ie.Idle != 50*time.Millisecond || !ie.Timeout() {
		t.Fatalf("stalled Read = %v, want *IdleTimeoutError{50ms}", err)
	}
	if _, err := r.Read(buf); !errors.As(err, &ie) {
		t.Fatalf("Read after the timeout = %v, want *IdleTimeoutError", err)
	}
	if err := r.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

func TestIdleReaderOnIdle(t *testing.T) {
	t.Parallel()
	pr, pw := io.Pipe()
	defer pw.Close()
	called := make(chan struct{})
	r := NewIdleReader(pr, 50*time.Millisecond, func() {
		close(called)
		pr.CloseWithError(errors.New("canceled"))
	})
	_, err := r.Read(make([]byte, 1))
	var ie *IdleTimeoutError
	if !errors.As(err, &ie) {
		t.Fatalf("Read = %v, want *IdleTimeoutError", err)
	}
	<-called
	r.Close()
}

// A slow consumer is not a stalled server: time between Reads does not count.
func TestIdleReaderSlowConsumer(t *testing.T) {
	t.Parallel()
	r := NewIdleReader(io.NopCloser(strings.NewReader("abc")), 20*time.Millisecond, func() { t.Error("onIdle called") })
	defer r.Close()
	var got []byte
	buf := make([]byte, 1)
	for range 10 {
		n, err := r.Read(buf)
		got = append(got, buf[:n]...)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("Read: %v", err)
		}
		time.Sleep(60 * time.Millisecond)
	}
	if string(got) != "abc" {
		t.Fatalf("read %q, want \"abc\"", got)
	}
}

func TestIdleReaderCloseTwice(t *testing.T) {
	t.Parallel()
	closes := 0
	r := NewIdleReader(closerFunc(func() error { closes++; return nil }), time.Second, nil)
	r.Close()
	r.Close()
	if closes != 1 {
		t.Fatalf("underlying Close called %d times, want 1", closes)
	}
}

type closerFunc func() error

func (f closerFunc) Read([]byte) (int, error) { return 0, io.EOF }
func (f closerFunc) Close() error             { return f() }
