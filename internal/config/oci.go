package config

import (
	"go.yaml.in/yaml/v3"

	"github.com/sandlabx/fetchd/internal/ociref"
)

// OCISourceName is the source that installs images from an OCI registry
// where another fetchd published them. It is part of the host, not a
// plugin: registry credentials stay in the host process.
const OCISourceName = "oci"

// OCISource is the operator's settings for the oci source.
type OCISource struct {
	// Repository is the default repository root: an oci image without a
	// ref installs <Repository>/<repository name of the image>:latest.
	Repository string
	// Credentials is a Docker-style config.json with the registry logins;
	// "" means Docker's own ($DOCKER_CONFIG/config.json or
	// ~/.docker/config.json).
	Credentials string
}

var ociSourceKeys = []string{"repository", "credentials", "keys"}

// IsOCI reports whether im installs from an OCI registry.
func (im Image) IsOCI() bool { return im.Source == OCISourceName }

func (p *parser) ociSource(v *yaml.Node, path string, src *Source) error {
	return p.mapping(v, path, ociSourceKeys, func(key string, _, v *yaml.Node) error {
		kpath := child(path, key)
		switch key {
		case "repository":
			s, err := p.ociRef(v, kpath)
			if err != nil {
				return err
			}
			r, _ := ociref.Parse(s)
			if r.Tag != "" || r.Digest != "" {
				return p.errAt(v, kpath, "%q: a repository root takes no tag or digest (each image gets its own repository under it)", shorten(s, 80))
			}
			src.OCI.Repository = s
		case "credentials":
			s, err := p.str(v, kpath)
			if err != nil {
				return err
			}
			src.OCI.Credentials = resolve(p.baseDir, s)
		case "keys":
			return p.keys(v, kpath, src)
		}
		return nil
	})
}

// ociRef reads a registry reference.
func (p *parser) ociRef(v *yaml.Node, path string) (string, error) {
	s, err := p.str(v, path)
	if err != nil {
		return "", err
	}
	if _, err := ociref.Parse(s); err != nil {
		return "", p.errAt(v, path, "%v", err)
	}
	return s, nil
}

// checkOCIImages checks what only the whole config can say: an oci image
// needs a ref or a default repository under sources.oci.
func (p *parser) checkOCIImages(c *Config) error {
	for _, im := range c.Images {
		if im.IsOCI() && im.Ref == "" && c.Sources[OCISourceName].OCI.Repository == "" {
			return &Error{File: p.file, Line: im.Line, Key: child("images", im.Name),
				Msg: "a source oci image needs a ref (e.g. ref: registry.lab:5000/images/ubuntu-24-lts:latest) or sources.oci.repository"}
		}
	}
	return nil
}

// OCIRef returns the reference an oci image installs from: its ref, else
// the default repository's child for the image, tag latest.
func (c *Config) OCIRef(im Image) (ociref.Ref, error) {
	if im.Ref != "" {
		return ociref.Parse(im.Ref)
	}
	root, err := ociref.Parse(c.Sources[OCISourceName].OCI.Repository)
	if err != nil {
		return ociref.Ref{}, err
	}
	r, err := root.Child(im.Name)
	if err != nil {
		return ociref.Ref{}, err
	}
	return r.WithTag("latest"), nil
}

// ociHTTPHosts returns the registries written as http://.
func (c *Config) ociHTTPHosts() []string {
	var out []string
	add := func(s string) {
		if r, err := ociref.Parse(s); err == nil && r.PlainHTTP {
			out = append(out, httpHost("http://"+r.Registry))
		}
	}
	add(c.Sources[OCISourceName].OCI.Repository)
	for _, im := range c.Images {
		add(im.Ref)
	}
	return out
}
