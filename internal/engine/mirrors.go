package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/sandlabx/fetchd/internal/config"
	"github.com/sandlabx/fetchd/internal/pluginhost"
	"github.com/sandlabx/fetchd/sdk"
)

// downloadPlan says how install fetches art for im: how many connections
// the config allows, and the other URLs of the same file. A source image's
// file is under its base_url or one of its mirrors (which serve the same
// tree); a url image lists its mirrors itself. An image of a host source
// (oci) keeps one connection through the registry's own transport.
func (e *Engine) downloadPlan(im config.Image, art sdk.Artifact) (connections int, mirrors []string) {
	if e.hostSource(im) != nil {
		return 1, nil
	}
	if im.IsURL() {
		return e.Config.Connections, im.Mirrors
	}
	sc := e.Config.Sources[im.Source]
	if sc.BaseURL == "" || len(sc.Mirrors) == 0 {
		return e.Config.Connections, nil
	}
	return e.Config.Connections, mirrorURLs(art.URL, append([]string{sc.BaseURL}, sc.Mirrors...))
}

// mirrorURLs returns u on each of the other trees when it lies under one
// of them (a base URL it starts with, followed by a path), else nil.
func mirrorURLs(u string, trees []string) []string {
	under, rest := -1, ""
	for i, t := range trees {
		if r, ok := strings.CutPrefix(u, strings.TrimRight(t, "/")+"/"); ok && r != "" {
			under, rest = i, r
			break
		}
	}
	if under < 0 {
		return nil
	}
	var out []string
	for i, t := range trees {
		if i != under {
			out = append(out, strings.TrimRight(t, "/")+"/"+rest)
		}
	}
	return out
}

// fromMirrors is what target does when the source's answer failed: if a
// metadata fetch failed along the way and the source has mirrors, each
// mirror is asked in turn in the primary's place. An answer is taken only
// when its signature verified: the digest is then vouched for by the
// signing key, not by the mirror. An unsigned source's metadata comes from
// its primary or not at all, so its error stands.
func (e *Engine) fromMirrors(ctx context.Context, src Resolver, req pluginhost.Request, sc config.Source, rec *docRecorder, primaryErr error) (sdk.Artifact, error) {
	if len(sc.Mirrors) == 0 || !fetchFailed(rec) {
		return sdk.Artifact{}, primaryErr
	}
	var errs []error
	for _, m := range sc.Mirrors {
		mreq := req
		mreq.BaseURL = m
		mreq.OnFetch = nil
		art, err := src.Resolve(ctx, mreq)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("mirror %s: %w", m, err))
		case art.Signature.Status != sdk.SignatureVerified:
			errs = append(errs, fmt.Errorf("mirror %s answered, but its metadata is not signed, so only the primary can vouch for the digest", m))
		default:
			return art, nil
		}
	}
	return sdk.Artifact{}, fmt.Errorf("%w; %w", primaryErr, errors.Join(errs...))
}

// fetchFailed reports whether a metadata fetch of the answer failed (a
// server that did not answer, rather than a plugin that refused).
func fetchFailed(rec *docRecorder) bool {
	for _, d := range rec.snapshot() {
		if d == "" {
			return true
		}
	}
	return false
}
