package config

import (
	"strings"
	"syscall"

	"go.yaml.in/yaml/v3"
)

// nonblock keeps opening a FIFO named as a key file from blocking.
const nonblock = syscall.O_NONBLOCK

var sourceKeys = []string{"base_url", "keys", "plugin", "mirrors"}

func (p *parser) sources(n *yaml.Node) (map[string]Source, error) {
	out := map[string]Source{}
	err := p.mapping(n, "sources", nil, func(name string, k, v *yaml.Node) error {
		if !ValidSourceName(name) {
			return p.errAt(k, "sources", "invalid source name %q: want lowercase letters, digits and -, starting with a letter or digit", shorten(name, 40))
		}
		path := child("sources", name)
		src := Source{Line: k.Line}
		if name == OCISourceName {
			err := p.ociSource(v, path, &src)
			out[name] = src
			return err
		}
		var mirrorsKey, mirrors *yaml.Node
		err := p.mapping(v, path, sourceKeys, func(key string, kn, v *yaml.Node) error {
			switch key {
			case "base_url":
				return p.baseURL(v, child(path, key), &src)
			case "keys":
				return p.keys(v, child(path, key), &src)
			case "plugin":
				return p.plugin(v, child(path, key), &src)
			case "mirrors":
				mirrorsKey, mirrors = kn, v // after base_url, wherever it is
			}
			return nil
		})
		if err == nil && mirrors != nil {
			err = p.sourceMirrors(mirrorsKey, mirrors, child(path, "mirrors"), &src)
		}
		out[name] = src
		return err
	})
	return out, err
}

func (p *parser) baseURL(v *yaml.Node, path string, src *Source) error {
	s, err := p.str(v, path)
	if err != nil {
		return err
	}
	if err := checkURL(s, false); err != nil {
		return p.errAt(v, path, "%v", err)
	}
	if strings.Contains(s, "?") {
		return p.errAt(v, path, "%q: a base URL must not have a query", shorten(s, 60))
	}
	src.BaseURL = s
	src.BaseURLLine = v.Line
	src.HTTPHost = httpHost(s)
	return nil
}
