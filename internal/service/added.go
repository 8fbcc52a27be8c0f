package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/sandlabx/fetchd/internal/added"
	"github.com/sandlabx/fetchd/internal/api"
	"github.com/sandlabx/fetchd/internal/config"
)

// AddImage adds an image to the added-images file, loads the
// configuration again with it, and queues its sync (api.Backend). If the
// configuration does not load with it, the file is put back as it was.
func (s *Service) AddImage(ctx context.Context, b api.AddImageBody) (api.ImageAdded, error) {
	s.addMu.Lock()
	defer s.addMu.Unlock()
	cfg := s.config()
	for _, im := range cfg.Images {
		if strings.EqualFold(im.Name, b.Name) {
			return api.ImageAdded{}, api.Errorf(http.StatusConflict, "an image called %q is configured already (%s)", im.Name, where(cfg, im))
		}
	}
	entries, err := added.Load(cfg.Dir)
	if err != nil {
		return api.ImageAdded{}, err
	}
	next := append(entries, entryOf(b))
	if _, err := added.Check(cfg, next); err != nil {
		return api.ImageAdded{}, api.Errorf(http.StatusUnprocessableEntity, "%s: %s", b.Name, refusal(err, b.Name))
	}
	if err := s.replaceAdded(ctx, cfg.Dir, entries, next); err != nil {
		return api.ImageAdded{}, err
	}
	s.deps.Logf("image %s added through the API (kept in %s)", b.Name, added.Path(cfg.Dir))
	job, err := s.Submit(api.JobRequest{Kind: api.KindSync, Images: []string{b.Name}, Origin: "api"})
	if err != nil {
		return api.ImageAdded{}, err
	}
	return api.ImageAdded{Name: b.Name, File: added.Path(cfg.Dir), Job: job}, nil
}

// RemoveImage takes an added image out of the file and the configuration
// (api.Backend). The config file's images are refused with where they are
// declared.
func (s *Service) RemoveImage(ctx context.Context, name string) (api.ImageRemoved, error) {
	s.addMu.Lock()
	defer s.addMu.Unlock()
	cfg := s.config()
	im, ok := cfg.Image(name)
	if !ok {
		return api.ImageRemoved{}, api.Errorf(http.StatusNotFound, "no image called %q in the configuration", name)
	}
	if !im.Added {
		return api.ImageRemoved{}, api.Errorf(http.StatusConflict, "%s is declared in %s, not added through the API; remove it there (then reload)", name, where(cfg, im))
	}
	entries, err := added.Load(cfg.Dir)
	if err != nil {
		return api.ImageRemoved{}, err
	}
	var next []added.Entry
	for _, e := range entries {
		if e.Name != name {
			next = append(next, e)
		}
	}
	if err := s.replaceAdded(ctx, cfg.Dir, entries, next); err != nil {
		return api.ImageRemoved{}, err
	}
	s.deps.Logf("image %s removed through the API", name)
	return api.ImageRemoved{Name: name, Removed: true,
		Note: fmt.Sprintf("fetchd no longer manages %s; the file in %s stays (VM disks may use it), and prune removes builds that nothing uses", name, cfg.Dir)}, nil
}

// replaceAdded writes next and reloads; when the reload refuses the new
// configuration, old is written back.
func (s *Service) replaceAdded(ctx context.Context, dir string, old, next []added.Entry) error {
	if err := added.Save(dir, next); err != nil {
		return err
	}
	if _, err := s.Reload(ctx); err != nil {
		if rerr := added.Save(dir, old); rerr != nil {
			return fmt.Errorf("%v; and putting %s back failed: %v", err, added.Path(dir), rerr)
		}
		var se *api.StatusError
		if errors.As(err, &se) {
			return api.Errorf(se.Status, "not changed: %s", se.Msg)
		}
		return err
	}
	return nil
}

// Resolve answers a preview of an image (api.Backend): a source image is
// resolved by its plugin; a url image is checked by the config file's
// rules and echoed.
func (s *Service) Resolve(ctx context.Context, b api.ResolveBody) (json.RawMessage, error) {
	cfg := s.config()
	if b.URL != "" {
		ims, err := added.Check(cfg, []added.Entry{entryOf(api.AddImageBody{Name: "preview.qcow2", ResolveBody: b})})
		if err != nil {
			return nil, api.Errorf(http.StatusUnprocessableEntity, "%s", refusal(err, "preview.qcow2"))
		}
		return urlAnswer(ims[0])
	}
	if s.deps.Resolve == nil {
		return nil, api.Errorf(http.StatusNotImplemented, "resolve is not available in this build of fetchd")
	}
	doc, err := s.deps.Resolve(ctx, cfg, b)
	if err != nil {
		var se *api.StatusError
		if errors.As(err, &se) {
			return nil, err
		}
		return nil, api.Errorf(http.StatusUnprocessableEntity, "%v", err)
	}
	return doc, nil
}

func urlAnswer(im config.Image) (json.RawMessage, error) {
	ans := map[string]any{"url": im.URL, "format": im.Format, "signature": "unsigned", "metadata_read": []string{}, "warnings": []string{}}
	if im.ChecksumFileURL != "" {
		ans["checksum_url"] = im.ChecksumFileURL
		ans["signature_detail"] = "the digest is looked up in the checksum file at download"
	} else {
		ans["checksum"] = im.Checksum.String()
		ans["signature_detail"] = "digest given here"
	}
	return json.Marshal(ans)
}

func entryOf(b api.AddImageBody) added.Entry {
	return added.Entry{Name: b.Name, Source: b.Source, Release: b.Release, Arch: b.Arch, Variant: b.Variant,
		URL: b.URL, Checksum: b.Checksum, Format: b.Format}
}

// where says where an image is declared.
func where(cfg *config.Config, im config.Image) string {
	if im.Added {
		return added.Path(cfg.Dir)
	}
	return cfg.Declared(im)
}

// refusal is a config error about the added-images file in the terms of
// the request: the file's name and line mean nothing to the caller.
func refusal(err error, name string) string {
	var ce *config.Error
	if errors.As(err, &ce) {
		msg := ce.Msg
		if key := strings.TrimPrefix(strings.TrimPrefix(ce.Key, "images."+name), "."); key != "" {
			msg = key + ": " + msg
		}
		return msg
	}
	return err.Error()
}
