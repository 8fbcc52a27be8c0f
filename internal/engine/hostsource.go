package engine

import (
	"context"
	"net/http"

	"github.com/sandlabx/fetchd/internal/config"
	"github.com/sandlabx/fetchd/internal/state"
	"github.com/sandlabx/fetchd/sdk"
)

// HostSource is a source the host implements itself instead of a plugin:
// the oci source (internal/oci), whose registry credentials must never
// reach a plugin process. Its answers go through the same decide,
// download, verify and install steps as a plugin's.
type HostSource interface {
	// Resolve answers what im's current artifact is, like a plugin's
	// Resolve.
	Resolve(ctx context.Context, im config.Image) (sdk.Artifact, error)
	// Transport carries the download of what Resolve answered for im (it
	// adds the registry's credentials); nil means the downloader's own.
	Transport(im config.Image) http.RoundTripper
	// Record completes the state entry of im installed as art (an OCI
	// build's provenance).
	Record(im config.Image, art sdk.Artifact, ent *state.Entry)
}

// hostSource returns the host source that answers for im, or nil.
func (e *Engine) hostSource(im config.Image) HostSource {
	if im.IsURL() {
		return nil
	}
	return e.HostSources[im.Source]
}

// transport is the RoundTripper for downloading im, nil for the default.
func (e *Engine) transport(im config.Image) http.RoundTripper {
	if hs := e.hostSource(im); hs != nil {
		return hs.Transport(im)
	}
	return nil
}
