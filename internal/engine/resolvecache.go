package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/sandlabx/fetchd/internal/pluginhost"
	"github.com/sandlabx/fetchd/internal/store"
	"github.com/sandlabx/fetchd/internal/wire"
	"github.com/sandlabx/fetchd/sdk"
)

// The resolve cache makes a sync with nothing changed upstream fast: a
// source's answer is a function of the request and the metadata documents
// it read, so when every one of those documents is unchanged (a
// conditional request answers 304, or the body hashes the same), the
// previous answer is the answer, and the plugin need not even be started.
//
// An entry is keyed by the source's identity (the plugin executable's path,
// size and modification time: an upgraded plugin misses), the request
// (release, architecture, variant, base URL, trusted keys), and is used for
// at most ResolveCacheTTL, after which the plugin is asked again whatever
// the documents say (so that time-dependent checks, such as a key's
// expiry, are re-run at least that often).

// ResolveCacheTTL bounds how long a cached answer may stand in for the
// plugin's.
const ResolveCacheTTL = 24 * time.Hour

// SourceIdentity is implemented by Sources that can say, without starting
// anything, which exact plugin would answer for a source.
type SourceIdentity interface {
	Identity(name string) (string, error)
}

type resolveCache struct {
	st *store.Store
	mu sync.Mutex
	// entries by key; loaded lazily.
	entries map[string]cachedAnswer
	loaded  bool
	dirty   bool
}

type cachedAnswer struct {
	Artifact  sdk.Artifact   `json:"artifact"`
	Documents []cachedDocRef `json:"documents"`
	At        time.Time      `json:"at"`
}

type cachedDocRef struct {
	URL    string `json:"url"`
	SHA256 string `json:"sha256"`
}

// resolveCacheFile is the cache's file in the store's cache area, and
// maxResolveCacheBytes caps what is read of it.
const (
	resolveCacheFile     = "resolve.json"
	maxResolveCacheBytes = 4 << 20
)

func newResolveCache(st *store.Store) *resolveCache { return &resolveCache{st: st} }

func (c *resolveCache) load() {
	if c.loaded {
		return
	}
	c.loaded = true
	c.entries = map[string]cachedAnswer{}
	data, err := c.st.ReadFile(store.Cache, resolveCacheFile, maxResolveCacheBytes)
	if err != nil {
		return
	}
	// A cache that does not parse is only a slower run.
	_ = json.Unmarshal(data, &c.entries)
}

func (c *resolveCache) get(key string) (cachedAnswer, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.load()
	e, ok := c.entries[key]
	return e, ok
}

func (c *resolveCache) put(key string, e cachedAnswer) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.load()
	c.entries[key] = e
	c.dirty = true
}

func (c *resolveCache) drop(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.load()
	if _, ok := c.entries[key]; ok {
		delete(c.entries, key)
		c.dirty = true
	}
}

// save writes the cache if it changed (temp file and rename).
func (c *resolveCache) save() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.dirty {
		return nil
	}
	data, err := json.Marshal(c.entries)
	if err != nil {
		return err
	}
	if len(data) > maxResolveCacheBytes {
		return nil // a cache that big is not worth keeping
	}
	if err := c.st.WriteFile(store.Cache, resolveCacheFile, data); err != nil {
		return err
	}
	c.dirty = false
	return nil
}

// resolveKey identifies a request to a source.
func resolveKey(identity string, req pluginhost.Request) string {
	h := sha256.New()
	for _, s := range []string{identity, req.Release, req.Arch, req.Variant, req.BaseURL} {
		fmt.Fprintf(h, "%d:%s;", len(s), s)
	}
	for _, k := range req.TrustedKeys {
		sum := sha256.Sum256(k)
		fmt.Fprintf(h, "key:%x;", sum)
	}
	releases := make([]string, 0, len(req.ReleaseKeys))
	for r := range req.ReleaseKeys {
		releases = append(releases, r)
	}
	sort.Strings(releases)
	for _, r := range releases {
		fmt.Fprintf(h, "release:%d:%s;", len(r), r)
		for _, k := range req.ReleaseKeys[r] {
			sum := sha256.Sum256(k)
			fmt.Fprintf(h, "key:%x;", sum)
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// cachedResolve answers from the cache when every document behind the
// cached answer is unchanged upstream; ok is false when the plugin must be
// asked.
func (r *run) cachedResolve(ctx context.Context, key string) (sdk.Artifact, bool) {
	e := r.e
	if e.Metadata == nil || r.resolveCache == nil {
		return sdk.Artifact{}, false
	}
	entry, ok := r.resolveCache.get(key)
	if !ok || len(entry.Documents) == 0 || e.now().Sub(entry.At) > ResolveCacheTTL || e.now().Before(entry.At) {
		return sdk.Artifact{}, false
	}
	type result struct{ same bool }
	results := make(chan result, len(entry.Documents))
	for _, d := range entry.Documents {
		go func() {
			doc, err := e.Metadata.FetchMetadata(ctx, d.URL, wire.MaxStreamBytes)
			if err != nil {
				results <- result{false}
				return
			}
			sum := sha256.Sum256(doc.Body)
			results <- result{hex.EncodeToString(sum[:]) == d.SHA256}
		}()
	}
	same := true
	for range entry.Documents {
		if !(<-results).same {
			same = false
		}
	}
	if !same {
		r.resolveCache.drop(key)
		return sdk.Artifact{}, false
	}
	return entry.Artifact, true
}

// remember records a fresh answer and the documents it was read from. The
// documents' bodies are taken from the metadata cache the fetches filled.
func (r *run) remember(key string, art sdk.Artifact, docs map[string]string) {
	if r.resolveCache == nil || len(docs) == 0 {
		return
	}
	entry := cachedAnswer{Artifact: art, At: r.e.now()}
	for url, sum := range docs {
		if sum == "" {
			return // a fetch failed or was not seen whole: do not cache
		}
		entry.Documents = append(entry.Documents, cachedDocRef{URL: url, SHA256: sum})
	}
	r.resolveCache.put(key, entry)
}

// docRecorder notes the digest of every document served to a plugin during
// one Resolve (pluginhost.Request.OnFetch).
type docRecorder struct {
	mu   sync.Mutex
	docs map[string]string
}

func (r *docRecorder) onFetch(url string, body []byte, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.docs == nil {
		r.docs = map[string]string{}
	}
	if err != nil {
		r.docs[url] = ""
		return
	}
	sum := sha256.Sum256(body)
	digest := hex.EncodeToString(sum[:])
	if prev, seen := r.docs[url]; seen && prev != digest {
		digest = "" // it changed under the plugin: not a stable answer
	}
	r.docs[url] = digest
}

func (r *docRecorder) snapshot() map[string]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]string, len(r.docs))
	for k, v := range r.docs {
		out[k] = v
	}
	return out
}
