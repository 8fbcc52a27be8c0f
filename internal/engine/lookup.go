package engine

import (
	"context"
	"fmt"
	"sync"

	"github.com/sandlabx/fetchd/internal/config"
	"github.com/sandlabx/fetchd/internal/pluginhost"
	"github.com/sandlabx/fetchd/sdk"
)

// Query asks a source what it would download now (fetchd resolve).
type Query struct {
	Source, Release, Arch, Variant string
	// BaseURL overrides the config's base URL for the source ("" keeps it).
	BaseURL string
}

// Answer is a source's answer to a Query, with what sync would do about
// it.
type Answer struct {
	Artifact sdk.Artifact
	// Source and Origin name the plugin that answered ("built-in" or its
	// path).
	Source, Origin string
	// ImageSignature says whether sync checks the image's own signature
	// (Artifact.ImageSignatureURL) and why; "" when there is none.
	ImageSignature string
	// MetadataRead lists every metadata URL the plugin read, in order.
	MetadataRead []string
}

// Lookup asks q.Source's plugin for its current artifact. Nothing is
// downloaded and nothing in the image directory is touched.
func (e *Engine) Lookup(ctx context.Context, q Query) (Answer, error) {
	if hs := e.HostSources[q.Source]; hs != nil {
		return lookupHost(ctx, hs, q)
	}
	if q.Arch == "" {
		q.Arch = e.Arch
	}
	sc := e.Config.Sources[q.Source]
	if q.BaseURL != "" {
		sc.BaseURL = q.BaseURL
	}
	src, err := e.Sources.Source(ctx, q.Source)
	if err != nil {
		return Answer{}, err
	}
	var (
		mu   sync.Mutex
		read = []string{}
	)
	req := pluginRequest(config.Image{Release: q.Release, Variant: q.Variant}, q.Arch, sc.BaseURL, sc)
	if req.ReleaseKeys != nil {
		req.KeysWhere = e.Config.KeysWhere(q.Source)
	}
	req.OnFetch = func(url string, _ []byte, _ error) {
		mu.Lock()
		defer mu.Unlock()
		read = append(read, url)
	}
	art, err := src.Resolve(ctx, req)
	if err != nil {
		return Answer{}, err
	}
	mu.Lock()
	a := Answer{Artifact: art, Source: q.Source, Origin: q.Source, MetadataRead: append([]string{}, read...)}
	mu.Unlock()
	if p, ok := src.(*pluginhost.Plugin); ok {
		a.Origin = p.Origin()
	}
	if art.ImageSignatureURL != "" {
		a.ImageSignature = "not checked: no keys configured for source " + q.Source
		if e.checksImageSignature(q.Source, art) {
			a.ImageSignature = "checked by sync over the downloaded image, against the operator's keys for " + q.Source
		}
	}
	return a, nil
}

// checksImageSignature is sync's rule for an artifact's own signature:
// it is checked when the source names one and the operator configured
// keys for the source.
func (e *Engine) checksImageSignature(source string, art sdk.Artifact) bool {
	return art.ImageSignatureURL != "" && len(e.Config.Sources[source].KeysFor(art.Release)) > 0
}

// lookupHost asks a host source (oci), whose Query.Release is the
// reference to read ("registry.lab:5000/images/debian-13:latest").
func lookupHost(ctx context.Context, hs HostSource, q Query) (Answer, error) {
	if q.Release == "" {
		return Answer{}, fmt.Errorf("source %s needs a reference: fetchd resolve %s REGISTRY/REPOSITORY[:TAG|@DIGEST]", q.Source, q.Source)
	}
	art, err := hs.Resolve(ctx, config.Image{Name: q.Source, Source: q.Source, Ref: q.Release})
	if err != nil {
		return Answer{}, err
	}
	return Answer{Artifact: art, Source: q.Source, Origin: "built-in (host side)", MetadataRead: []string{art.ChecksumURL}}, nil
}
