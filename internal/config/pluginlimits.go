package config

import (
	"time"

	"go.yaml.in/yaml/v3"
)

// PluginLimits are the resource limits every plugin process runs under
// (plugin_limits: in the file). A plugin's children share its limits.
type PluginLimits struct {
	// Memory caps a plugin's data segment (heap and private writable
	// mappings), in bytes.
	Memory int64
	// CPU caps the CPU time a plugin process may use over its life.
	CPU time.Duration
}

// Defaults and bounds for plugin_limits. A plugin reads a few metadata
// documents; the largest real one (Ubuntu's released products stream)
// decodes in well under 100 MiB, and resolving takes a fraction of a
// second of CPU.
const (
	DefaultPluginMemory = 1 << 30
	DefaultPluginCPU    = 60 * time.Second
	MinPluginMemory     = 64 << 20
	MinPluginCPU        = time.Second
)

// DefaultPluginLimits returns the limits used when the file sets none.
func DefaultPluginLimits() PluginLimits {
	return PluginLimits{Memory: DefaultPluginMemory, CPU: DefaultPluginCPU}
}

var pluginLimitKeys = []string{"memory", "cpu"}

func (p *parser) pluginLimits(v *yaml.Node) (PluginLimits, error) {
	l := DefaultPluginLimits()
	const path = "plugin_limits"
	err := p.mapping(v, path, pluginLimitKeys, func(key string, _, v *yaml.Node) error {
		kpath := child(path, key)
		switch key {
		case "memory":
			if v.Kind != yaml.ScalarNode || (v.ShortTag() != tagStr && v.ShortTag() != tagInt) {
				return p.errAt(v, kpath, "want a size like 1GiB, got %s", describe(v))
			}
			n, err := ParseSize(v.Value)
			if err != nil {
				return p.errAt(v, kpath, "%v", err)
			}
			if n < MinPluginMemory {
				return p.errAt(v, kpath, "%s is too little for any plugin; the minimum is 64MiB", v.Value)
			}
			l.Memory = n
		case "cpu":
			if v.Kind != yaml.ScalarNode || v.ShortTag() != tagStr {
				return p.errAt(v, kpath, "want a duration like 60s or 5m, got %s", describe(v))
			}
			d, err := time.ParseDuration(v.Value)
			if err != nil {
				return p.errAt(v, kpath, "want a duration like 60s or 5m, got %q", shorten(v.Value, 40))
			}
			if d < MinPluginCPU {
				return p.errAt(v, kpath, "%s is too short; the minimum is %s", v.Value, MinPluginCPU)
			}
			l.CPU = d
		}
		return nil
	})
	return l, err
}
