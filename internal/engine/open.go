package engine

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"

	"github.com/sandlabx/fetchd/internal/config"
	"github.com/sandlabx/fetchd/internal/download"
	"github.com/sandlabx/fetchd/internal/metadata"
	"github.com/sandlabx/fetchd/internal/netpolicy"
	"github.com/sandlabx/fetchd/internal/oci"
	"github.com/sandlabx/fetchd/internal/pluginhost"
	"github.com/sandlabx/fetchd/internal/proctree"
	"github.com/sandlabx/fetchd/internal/qemuimg"
	"github.com/sandlabx/fetchd/internal/store"
	"github.com/sandlabx/fetchd/internal/urlrule"
)

// OpenOptions say how Open builds an Engine, besides the config.
type OpenOptions struct {
	// Self is the executable that serves the built-in sources (fetchd
	// itself), Builtins their names.
	Self     string
	Builtins []string
	// Offline: metadata comes only from the cache; nothing is fetched.
	Offline bool
	// NoMetadataCache: metadata is neither read from nor kept in the
	// image directory's cache (a one-off look such as resolve).
	NoMetadataCache bool
	// ExtraHTTPBase is one more base URL whose host may be plain http
	// (resolve --base-url); "" for none.
	ExtraHTTPBase string
	// Write: the command changes the image directory, so its store (the
	// directory and its private directory) is made if missing. Without it
	// a directory not made yet is fine: runs see an empty one. With
	// NoMetadataCache and without Write the directory is not opened.
	Write bool
	// Launcher is the command that runs each plugin process under the
	// config's plugin_limits and stops its whole process tree (fetchd's
	// own `fetchd __launch`; see pluginhost.LaunchMain); nil starts
	// plugins directly, without limits.
	Launcher []string
	// Plugins adjusts the plugin host's options (tests shorten deadlines).
	Plugins func(*pluginhost.Options)
	// UserAgent is sent with every request (netpolicy.UserAgent names
	// fetchd and its version); "" means netpolicy.DefaultUserAgent.
	UserAgent string
}

// Open builds everything a command needs from the config, in one place:
// the network policy (once), shared by the metadata fetcher and the
// downloader; the plugins of the search path and the built-ins, started
// lazily with their identity; the qemu-img runner. It checks that every
// image's source exists. Close the Engine when done.
func Open(cfg *config.Config, opts OpenOptions) (*Engine, error) {
	policy := NetworkPolicy(cfg)
	policy.UserAgent = opts.UserAgent
	if h := urlrule.HTTPHostPort(opts.ExtraHTTPBase); h != "" {
		policy.AllowHTTP = append(policy.AllowHTTP, h)
	}
	client, err := policy.Client()
	if err != nil {
		return nil, err
	}
	fetcher := &metadata.Fetcher{Client: client, Policy: policy.WithDefaults(), Offline: opts.Offline}
	hostOpts := pluginhost.Options{
		Fetcher:  fetcher,
		Launcher: opts.Launcher,
		Limits:   proctree.Limits{Memory: cfg.PluginLimits.Memory, CPU: cfg.PluginLimits.CPU},
	}
	if opts.Plugins != nil {
		opts.Plugins(&hostOpts)
	}
	reg, err := pluginhost.NewRegistry(PluginSearch(cfg, opts.Self, opts.Builtins), hostOpts)
	if err != nil {
		return nil, err
	}
	if err := checkSources(cfg, reg); err != nil {
		reg.Close()
		return nil, err
	}
	// Images over several connections at once: HTTP/1.1, idle connections
	// kept per host up to the per-host cap.
	dlClient, err := policy.DownloadClient(download.MaxConnectionsPerHost)
	if err != nil {
		reg.Close()
		return nil, err
	}
	// The oci source is the host's own: registry credentials stay here.
	ociSource, err := oci.NewSource(cfg, policy)
	if err != nil {
		reg.Close()
		return nil, err
	}
	st, err := openStore(cfg.Dir, opts)
	if err != nil {
		reg.Close()
		return nil, err
	}
	if st != nil && !opts.NoMetadataCache {
		// The metadata cache is in the private directory, reached
		// through the store's descriptor.
		fetcher.Cache = &metadata.Cache{Dir: st.ProcPath(store.Cache, "metadata")}
	}
	return &Engine{
		Config:      cfg,
		Sources:     registrySources{reg},
		HostSources: map[string]HostSource{config.OCISourceName: ociSource},
		Metadata:    fetcher,
		Downloader:  download.New(dlClient, policy),
		QemuImg:     &qemuimg.Runner{},
		Arch:        runtime.GOARCH,
		Store:       st,
		plugins:     reg,
		fetcher:     fetcher,
		ownStore:    st != nil,
	}, nil
}

// openStore opens the image directory's store as opts say: nil (and no
// error) when the command does not need it or a read-only command finds
// none yet.
func openStore(dir string, opts OpenOptions) (*store.Store, error) {
	if opts.NoMetadataCache && !opts.Write {
		return nil, nil
	}
	st, err := store.Open(dir, opts.Write)
	if errors.Is(err, store.ErrNoStore) && !opts.Write {
		return nil, nil
	}
	return st, err
}

// PluginSearch is where the config says plugins are: the search path and
// the binaries pinned with sources.<name>.plugin.
func PluginSearch(cfg *config.Config, self string, builtins []string) pluginhost.Search {
	pins := map[string]pluginhost.Pin{}
	for name, src := range cfg.Sources {
		if src.Plugin != "" {
			pins[name] = pluginhost.Pin{Path: src.Plugin, Where: cfg.Where(src.PluginLine) + ": sources." + name + ".plugin"}
		}
	}
	return pluginhost.Search{
		Dirs:     pluginhost.SearchPath(cfg.EnvPluginPath, cfg.PluginPath, cfg.File),
		Pins:     pins,
		Builtins: builtins,
		Self:     self,
	}
}

// NetworkPolicy is the one network policy of cfg: https, plain http only
// for the hosts the operator wrote as http://, the configured idle
// timeout. Open and publish use it.
func NetworkPolicy(cfg *config.Config) netpolicy.Policy {
	return netpolicy.Policy{AllowHTTP: cfg.HTTPHosts(), IdleTimeout: cfg.IdleTimeout}
}

// Plugins is the Engine's plugin registry (nil for an Engine not made by
// Open).
func (e *Engine) Plugins() *pluginhost.Registry { return e.plugins }

// Close stops the plugins an Open'ed Engine started and closes the store
// it opened.
func (e *Engine) Close() {
	if e.plugins != nil {
		e.plugins.Close()
	}
	if e.ownStore && e.Store != nil {
		e.Store.Close()
		e.Store = nil
	}
}

// registrySources offers the registry's plugins as Sources, with their
// identity for the resolve cache.
type registrySources struct{ reg *pluginhost.Registry }

func (s registrySources) Source(ctx context.Context, name string) (Resolver, error) {
	p, err := s.reg.Plugin(ctx, name)
	if err != nil {
		return nil, err
	}
	return p, nil
}

func (s registrySources) Identity(name string) (string, error) { return s.reg.Identity(name) }

// UnknownSourceError is an image whose source no plugin provides: a
// config error.
type UnknownSourceError struct {
	Where  string // file:line, or "built-in config"
	Image  string
	Source string
	Known  []string
}

func (e *UnknownSourceError) Error() string {
	return fmt.Sprintf("%s: images.%q: unknown source %q (sources: %s)", e.Where, e.Image, e.Source, strings.Join(e.Known, ", "))
}

// checkSources refuses a config naming a source no plugin provides.
func checkSources(cfg *config.Config, reg *pluginhost.Registry) error {
	have := map[string]bool{}
	var names []string
	for _, c := range reg.Candidates() {
		have[c.Name] = true
		names = append(names, c.Name)
	}
	for _, im := range cfg.Images {
		if im.Source != "" && !im.IsOCI() && !have[im.Source] {
			where := "built-in config"
			if cfg.File != "" {
				where = fmt.Sprintf("%s:%d", cfg.File, im.Line)
			}
			return &UnknownSourceError{Where: where, Image: im.Name, Source: im.Source, Known: names}
		}
	}
	return nil
}
