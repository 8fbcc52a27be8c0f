package download

import "sync"

// hostSlots counts the connections open to each host:port over every
// download of a Downloader, so that images downloaded in parallel from one
// mirror share its cap instead of multiplying it.
type hostSlots struct {
	mu   sync.Mutex
	open map[string]int
	cap  map[string]int // lowered for a host that turned connections away
	// gone holds the hosts whose mirror was dropped from a download, and
	// why: later downloads of the run use no mirror there.
	gone map[string]string
}

// acquire takes a slot on host. The first connection of a download always
// gets one (first is true): a download is never kept waiting by others.
func (h *hostSlots) acquire(host string, first bool) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.open == nil {
		h.open, h.cap = map[string]int{}, map[string]int{}
	}
	if !first && h.open[host] >= h.capOf(host) {
		return false
	}
	h.open[host]++
	return true
}

func (h *hostSlots) release(host string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.open[host] > 0 {
		h.open[host]--
	}
}

// lower caps host at n connections (at least 1) for as long as the
// Downloader lives: the host answered an extra connection with 503 or 429.
func (h *hostSlots) lower(host string, n int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.cap == nil {
		h.open, h.cap = map[string]int{}, map[string]int{}
	}
	h.cap[host] = max(1, min(n, h.capOf(host)))
}

func (h *hostSlots) capOf(host string) int {
	if c, ok := h.cap[host]; ok {
		return c
	}
	return MaxConnectionsPerHost
}

// dropMirror remembers, for as long as the Downloader lives (one run),
// that the mirror on host failed or was too slow. The first reason
// stays.
func (h *hostSlots) dropMirror(host, why string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.gone == nil {
		h.gone = map[string]string{}
	}
	if _, ok := h.gone[host]; !ok {
		h.gone[host] = why
	}
}

// droppedMirror returns why a mirror on host was dropped earlier in the
// run, or "".
func (h *hostSlots) droppedMirror(host string) string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.gone[host]
}

// count is the number of connections open to host now.
func (h *hostSlots) count(host string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.open[host]
}

// limit is the current cap of host.
func (h *hostSlots) limit(host string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.capOf(host)
}
