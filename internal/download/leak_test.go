package download

import (
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"
)

// After downloads that succeed, fail and time out, no hashing goroutine is
// left. Not parallel: parallel tests are paused while it runs.
func TestNoGoroutineLeft(t *testing.T) {
	data := randomBytes(1<<20, 16)
	handlers := map[string]handler{
		"ok":       serve(data),
		"mismatch": serve(randomBytes(1<<20, 17)),
		"too long": chunked(append(append([]byte(nil), data...), 'x')),
		"cut":      cutAfter(data, 1000, 1),
		"stall": func(w http.ResponseWriter, r *http.Request, _ int) {
			w.WriteHeader(http.StatusOK)
			w.Write(data[:10])
			w.(http.Flusher).Flush()
			stall(r)
		},
	}
	for name, h := range handlers {
		for _, conns := range connModes {
			srv := newServer(t, false, h)
			p := srv.policy()
			p.IdleTimeout = 200 * time.Millisecond
			req := Request{URL: srv.URL + "/image.qcow2", PartialDir: partialDir(t), Digest: digestOfBytes(data), Size: 1 << 20, MaxSize: 1 << 30, Connections: conns}
			_, err := newDL(p).Download(t.Context(), req)
			if (err == nil) != (name == "ok") {
				t.Fatalf("%s, %d connections: Download error %v", name, conns, err)
			}
		}
	}
	for range 50 {
		if hashers() == 0 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%d hashing or connection goroutines left", hashers())
}

func hashers() int {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	n := 0
	for _, fn := range []string{"download.(*pipeHasher).run", "download.(*prefixHasher).run", "download.(*segRun).work"} {
		n += strings.Count(string(buf), fn)
	}
	return n
}
