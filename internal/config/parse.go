package config

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

var topKeys = []string{"dir", "update", "parallel", "connections", "max_image_size", "idle_timeout", "plugin_path", "plugin_limits", "overlays", "retain", "sources", "images", "refresh", "api", "notify"}

// Parse decodes the config file named file (as it should appear in
// messages) with contents data. Relative paths are relative to the file's
// directory, or to the working directory when file is "" (the built-in
// default). Parse does not look at the environment; Load does (ApplyEnv).
// Every error it returns is an *Error.
func Parse(file string, data []byte) (*Config, error) {
	p := &parser{file: file}
	base := "."
	if file != "" {
		base = filepath.Dir(file)
	}
	abs, err := filepath.Abs(base)
	if err != nil {
		return nil, &Error{File: file, Msg: "cannot make paths absolute", Err: err}
	}
	p.baseDir = abs

	root, err := p.document(data)
	if err != nil {
		return nil, err
	}
	c := &Config{
		File:         file,
		Dir:          resolve(p.baseDir, DefaultDir),
		Update:       DefaultUpdate,
		Parallel:     DefaultParallel,
		MaxImageSize: DefaultMaxImageSize,
		IdleTimeout:  DefaultIdleTimeout,
		PluginLimits: DefaultPluginLimits(),
		Refresh:      DefaultRefresh,
		AutoDownload: true,
		Retain:       DefaultRetain,
		Sources:      map[string]Source{},
	}
	var images *yaml.Node
	err = p.mapping(root, "", topKeys, func(key string, k, v *yaml.Node) error {
		var err error
		switch key {
		case "dir":
			c.Dir, err = p.dir(v)
		case "update":
			c.Update, err = p.policy(v, key)
		case "parallel":
			c.Parallel, err = p.parallel(v)
		case "connections":
			c.Connections, err = p.connections(v)
		case "max_image_size":
			c.MaxImageSize, err = p.size(v)
		case "idle_timeout":
			c.IdleTimeout, err = p.duration(v)
		case "plugin_path":
			c.PluginPath, err = p.paths(v, key)
		case "plugin_limits":
			c.PluginLimits, err = p.pluginLimits(v)
		case "overlays":
			c.Overlays, err = p.paths(v, key)
		case "retain":
			c.Retain, err = p.retain(v, key)
		case "sources":
			c.Sources, err = p.sources(v)
		case "images":
			images = v // needs the global update policy, which may come later
		case "refresh":
			c.Refresh, err = p.refresh(v)
		case "api":
			c.API, err = p.api(v)
		case "notify":
			c.Notify, err = p.notify(v)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if images != nil {
		if c.Images, err = p.images(images, c.Update); err != nil {
			return nil, err
		}
		fillRetain(c.Images, c.Retain)
	}
	if err := p.checkOCIImages(c); err != nil {
		return nil, err
	}
	return c, nil
}

// document decodes data into the top-level node, refusing empty files,
// several documents and a top level that is not a mapping.
func (p *parser) document(data []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &Error{File: p.file, Msg: "empty config file"}
		}
		return nil, p.syntax(err)
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case errors.Is(err, io.EOF):
	case err != nil:
		return nil, p.syntax(err)
	default:
		return nil, p.errAt(&next, "", "a second YAML document (---) starts here; fetchd reads one")
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return nil, &Error{File: p.file, Msg: "empty config file"}
	}
	root := doc.Content[0]
	if err := p.plain(root, ""); err != nil {
		return nil, err
	}
	if isNull(root) {
		return nil, &Error{File: p.file, Line: root.Line, Msg: "empty config file"}
	}
	if root.Kind != yaml.MappingNode {
		return nil, p.errAt(root, "", "the top level must be a mapping of settings (dir:, images:, …), got %s", describe(root))
	}
	return root, nil
}

var yamlLineRE = regexp.MustCompile(`^yaml: line ([0-9]+): (.*)$`)

// syntax turns a yaml.v3 error ("yaml: line 3: …") into an *Error.
func (p *parser) syntax(err error) *Error {
	msg := err.Error()
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &Error{File: p.file, Line: line, Msg: "YAML syntax error: " + m[2]}
	}
	return &Error{File: p.file, Msg: "YAML syntax error: " + strings.TrimPrefix(msg, "yaml: ")}
}

func (p *parser) dir(v *yaml.Node) (string, error) {
	s, err := p.str(v, "dir")
	if err != nil {
		return "", err
	}
	if strings.HasPrefix(s, "~") {
		return "", p.errAt(v, "dir", "%q: ~ is not expanded; write the full path", s)
	}
	return resolve(p.baseDir, s), nil
}

func (p *parser) policy(v *yaml.Node, path string) (Policy, error) {
	s, err := p.str(v, path)
	if err != nil {
		return "", err
	}
	pol, err := ParsePolicy(s)
	if err != nil {
		return "", p.errAt(v, path, "%v", err)
	}
	return pol, nil
}

func (p *parser) parallel(v *yaml.Node) (int, error) {
	n, err := p.integer(v, "parallel")
	if err != nil {
		return 0, err
	}
	if n < 1 || n > MaxParallel {
		return 0, p.errAt(v, "parallel", "want 1 to %d, got %d", MaxParallel, n)
	}
	return n, nil
}

func (p *parser) size(v *yaml.Node) (int64, error) {
	if v.Kind != yaml.ScalarNode || (v.ShortTag() != tagStr && v.ShortTag() != tagInt) {
		return 0, p.errAt(v, "max_image_size", "want a size like 16GiB, got %s", describe(v))
	}
	n, err := ParseSize(v.Value)
	if err != nil {
		return 0, p.errAt(v, "max_image_size", "%v", err)
	}
	return n, nil
}

func (p *parser) duration(v *yaml.Node) (time.Duration, error) {
	if v.Kind != yaml.ScalarNode || v.ShortTag() != tagStr {
		return 0, p.errAt(v, "idle_timeout", "want a duration like 60s or 5m, got %s", describe(v))
	}
	d, err := time.ParseDuration(v.Value)
	if err != nil {
		return 0, p.errAt(v, "idle_timeout", "want a duration like 60s or 5m, got %q", shorten(v.Value, 40))
	}
	if d < MinIdleTimeout {
		return 0, p.errAt(v, "idle_timeout", "%s is too short; the minimum is %s", v.Value, MinIdleTimeout)
	}
	return d, nil
}

// paths reads a list of paths, making each absolute.
func (p *parser) paths(v *yaml.Node, path string) ([]string, error) {
	var out []string
	err := p.list(v, path, func(i int, item *yaml.Node) error {
		s, err := p.str(item, index(path, i))
		if err != nil {
			return err
		}
		if strings.HasPrefix(s, "~") {
			return p.errAt(item, index(path, i), "%q: ~ is not expanded; write the full path", s)
		}
		out = append(out, resolve(p.baseDir, s))
		return nil
	})
	return slices.Clip(out), err
}

// readFile reads a file the config points at: a regular file of at most
// MaxFileBytes. Opening with O_NONBLOCK keeps a FIFO from blocking us.
func readFile(name string) ([]byte, error) {
	f, err := os.OpenFile(name, os.O_RDONLY|nonblock, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, errors.New("not a regular file")
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxFileBytes {
		return nil, errors.New("larger than 1 MiB")
	}
	return data, nil
}
