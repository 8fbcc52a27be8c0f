package metadata

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/sandlabx/fetchd/internal/atomicfile"
	"github.com/sandlabx/fetchd/internal/pluginhost"
)

// Cache keeps metadata documents on disk, one pair of files per URL:
// <sha256(url)>.json (headers) and <sha256(url)>.body.
type Cache struct {
	Dir string
}

// Entry is one cached document.
type Entry struct {
	URL          string `json:"url"`
	FinalURL     string `json:"final_url"`
	ContentType  string `json:"content_type,omitempty"`
	ETag         string `json:"etag,omitempty"`
	LastModified string `json:"last_modified,omitempty"`
	Size         int    `json:"size"`
	Digest       string `json:"sha256"`
	Body         []byte `json:"-"`
}

// Document returns the entry as a fetched document.
func (e *Entry) Document() pluginhost.Document {
	return pluginhost.Document{Body: e.Body, FinalURL: e.FinalURL, ContentType: e.ContentType}
}

func (c *Cache) paths(rawURL string) (meta, body string) {
	sum := sha256.Sum256([]byte(rawURL))
	base := filepath.Join(c.Dir, hex.EncodeToString(sum[:16]))
	return base + ".json", base + ".body"
}

// Get returns the cached entry for rawURL, or an error if there is none or
// it does not check out (a body whose digest differs from the recorded one
// is ignored, not trusted).
func (c *Cache) Get(rawURL string) (*Entry, error) {
	metaPath, bodyPath := c.paths(rawURL)
	meta, err := os.ReadFile(metaPath)
	if err != nil {
		return nil, err
	}
	var e Entry
	if err := json.Unmarshal(meta, &e); err != nil {
		return nil, fmt.Errorf("cache entry %s: %w", metaPath, err)
	}
	if e.URL != rawURL {
		return nil, errors.New("cache entry is for another URL")
	}
	body, err := os.ReadFile(bodyPath)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(body)
	if len(body) != e.Size || hex.EncodeToString(sum[:]) != e.Digest {
		return nil, fmt.Errorf("cache entry %s does not match its body", metaPath)
	}
	e.Body = body
	return &e, nil
}

// Put stores e, body first, each file written atomically.
func (c *Cache) Put(rawURL string, e *Entry) error {
	if err := os.MkdirAll(c.Dir, 0o755); err != nil {
		return err
	}
	sum := sha256.Sum256(e.Body)
	e.Size, e.Digest = len(e.Body), hex.EncodeToString(sum[:])
	meta, err := json.Marshal(e)
	if err != nil {
		return err
	}
	metaPath, bodyPath := c.paths(rawURL)
	if err := atomicfile.WriteFile(bodyPath, e.Body, 0o644); err != nil {
		return err
	}
	return atomicfile.WriteFile(metaPath, meta, 0o644)
}
