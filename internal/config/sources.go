package config

import (
	"strings"
	"syscall"

	"go.yaml.in/yaml/v3"
)

// nonblock keeps opening a FIFO named as a key file from blocking.
const nonblock = syscall.O_NONBLOCK

var sourceKeys = []string{"base_url", "keys"}

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
		err := p.mapping(v, path, sourceKeys, func(key string, _, v *yaml.Node) error {
			switch key {
			case "base_url":
				return p.baseURL(v, child(path, key), &src)
			case "keys":
				return p.keys(v, child(path, key), &src)
			}
			return nil
		})
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
	src.HTTPHost = httpHost(s)
	return nil
}

func (p *parser) keys(v *yaml.Node, path string, src *Source) error {
	return p.list(v, path, func(i int, item *yaml.Node) error {
		ipath := index(path, i)
		s, err := p.str(item, ipath)
		if err != nil {
			return err
		}
		name := resolve(p.baseDir, s)
		data, err := readFile(name)
		if err != nil {
			return &Error{File: p.file, Line: item.Line, Key: ipath, Msg: "key file " + name, Err: err}
		}
		if len(data) == 0 {
			return p.errAt(item, ipath, "key file %s is empty", name)
		}
		src.Keys = append(src.Keys, name)
		src.KeyData = append(src.KeyData, data)
		return nil
	})
}
