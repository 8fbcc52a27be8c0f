package config

import (
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"slices"
	"sort"
	"time"

	"github.com/sandlabx/fetchd/sdk/checksum"
)

// Policy says what sync does when upstream has a newer build of an image.
type Policy string

// The update policies.
const (
	// Never keeps what is on disk once it is present and verified.
	Never Policy = "never"
	// Notify keeps what is on disk and reports that a newer build exists.
	Notify Policy = "notify"
	// Always replaces the image with the newer build.
	Always Policy = "always"
)

// ParsePolicy returns the policy named s, or an error naming the choices.
func ParsePolicy(s string) (Policy, error) {
	switch p := Policy(s); p {
	case Never, Notify, Always:
		return p, nil
	}
	return "", fmt.Errorf("want one of never, notify, always; got %q", s)
}

// Image formats a url image may declare.
const (
	FormatQCOW2 = "qcow2"
	FormatRaw   = "raw"
)

// Defaults and bounds.
const (
	// SystemPath is the config file used when neither --config nor
	// $FETCHD_CONFIG names one and it exists.
	SystemPath          = "/etc/fetchd/fetchd.yaml"
	DefaultDir          = "./images"
	DefaultUpdate       = Notify
	DefaultParallel     = 3
	MaxParallel         = 16
	DefaultMaxImageSize = 16 << 30
	DefaultIdleTimeout  = 60 * time.Second
	MinIdleTimeout      = time.Second
	// MaxFileBytes bounds the config file and each key file.
	MaxFileBytes = 1 << 20
	// MaxNameBytes bounds an image name (a file name on disk).
	MaxNameBytes = 255
)

// Config is a loaded configuration. All paths are absolute.
type Config struct {
	// File is the config file as it was named; "" for the built-in default.
	File string
	// Dir is the image directory.
	Dir    string
	Update Policy
	// Parallel is how many images sync downloads at once (1..16).
	Parallel int
	// Connections is how many connections one download may use: 0 means
	// automatic, 1 turns segmented downloads off, up to MaxConnections.
	Connections int
	// MaxImageSize caps images whose size the source does not announce.
	MaxImageSize int64
	// IdleTimeout is how long a download may go without receiving a byte.
	IdleTimeout time.Duration
	// PluginPath holds the plugin directories from the file.
	PluginPath []string
	// PluginLimits are the resource limits of plugin processes.
	PluginLimits PluginLimits
	// Overlays are the directories where VM disks (qcow2 overlays on the
	// images) live, from the file or $FETCHD_OVERLAYS. fetchd reads their
	// headers to know which build each one uses.
	Overlays []string
	// RebaseOverlays ($FETCHD_REBASE_OVERLAYS) makes every sync, the
	// service's refreshes included, rebase the VM disks that use a name
	// onto the build it points at before moving it, instead of holding
	// the move.
	RebaseOverlays bool
	// Retain is how many previous builds of each image are kept (the
	// default for images without their own).
	Retain int
	// EnvPluginPath holds the plugin directories from $FETCHD_PLUGIN_PATH;
	// they come before PluginPath when searching.
	EnvPluginPath []string
	// AutoDownload is false when $AUTO_DOWNLOAD_IMAGES says so: sync then
	// reports status and downloads nothing.
	AutoDownload bool
	// AutoDownloadSetting is the setting that turned downloads off, as the
	// environment gave it ("AUTO_DOWNLOAD_IMAGES=no"), for messages.
	AutoDownloadSetting string
	// Sources holds per-source overrides keyed by source name.
	Sources map[string]Source
	// Images is sorted by Name.
	Images []Image

	// Refresh is how often `fetchd serve` syncs (with jitter).
	Refresh time.Duration
	// API holds serve's listener settings.
	API API
	// Notify lists the webhooks serve delivers events to.
	Notify []Webhook
}

// Source holds the operator's overrides for one source plugin.
type Source struct {
	// BaseURL replaces the plugin's default base URL ("" = keep it);
	// BaseURLLine is its line.
	BaseURL     string
	BaseURLLine int
	// HTTPHost is "host:port" when BaseURL is plain http: the operator
	// wrote it, so the host may allow http for exactly that host and port.
	// It is "" for https.
	HTTPHost string
	// Keys are the absolute paths of the OpenPGP public keys the operator
	// trusts for every release of this source (keys: as a list); KeyData
	// holds their contents, read and checked at load. ReleaseKeys holds
	// the keys per release instead (keys: as a mapping; see KeysFor).
	Keys        []string
	KeyData     [][]byte
	ReleaseKeys map[string]KeySet
	KeysLine    int
	// Plugin is the binary the operator pinned to serve this source
	// (plugin:), absolute, or "".
	Plugin     string
	PluginLine int
	// OCI holds the settings of the oci source (see oci.go).
	OCI OCISource
	// Mirrors are base URLs serving the same tree as BaseURL (which is
	// then set): image bytes may come from them, metadata only when its
	// signature is verified.
	Mirrors []string
	Line    int
}

// Image is one configured image: either a source image (Source, Release and
// optionally Arch and Variant; the plugin resolves URL and checksum) or a
// url image (URL plus either Checksum or ChecksumFileURL).
type Image struct {
	// Name is the file name in the image directory.
	Name    string
	Source  string
	Release string
	// Arch is "" when not configured: the host fills in runtime.GOARCH.
	Arch    string
	Variant string
	URL     string
	// Checksum is the digest of a url image given inline.
	Checksum checksum.Digest
	// ChecksumFileURL is the checksum file (SHA256SUMS style) that holds
	// the digest of a url image, looked up by the URL's base name.
	ChecksumFileURL string
	// Format is "qcow2" or "raw" for url images and "" for source images
	// (the plugin announces their format).
	Format string
	// Ref is the registry reference of a source oci image (see oci.go).
	Ref string
	// Update is the image's own policy, or the global one.
	Update Policy
	// Hold keeps the image on its current build whatever the update policy
	// (a config change still replaces it).
	Hold bool
	// Retain is how many previous builds of the image are kept.
	Retain int
	// Mirrors are other URLs of a url image's file: its bytes may come
	// from them, its checksum never does.
	Mirrors []string
	// Added is true for an image added through the API (AddedFile), not
	// declared in the config file.
	Added bool
	Line  int
}

// IsURL reports whether im is a direct-URL image.
func (im Image) IsURL() bool { return im.URL != "" }

// Image returns the image called name.
func (c *Config) Image(name string) (Image, bool) {
	i := sort.Search(len(c.Images), func(i int) bool { return c.Images[i].Name >= name })
	if i < len(c.Images) && c.Images[i].Name == name {
		return c.Images[i], true
	}
	return Image{}, false
}

// SetUpdate sets the global policy and every image's policy to p: it is how
// the command line's --update overrides the file.
func (c *Config) SetUpdate(p Policy) {
	c.Update = p
	for i := range c.Images {
		c.Images[i].Update = p
	}
}

// HTTPHosts returns the sorted "host:port" pairs for which the config holds
// a plain http URL (a source base_url, an image url or a checksum file url).
// Those were written by the operator, so the downloader may allow http for
// exactly them; everything else must be https.
func (c *Config) HTTPHosts() []string {
	var hosts []string
	add := func(raw string) {
		if h := httpHost(raw); h != "" && !slices.Contains(hosts, h) {
			hosts = append(hosts, h)
		}
	}
	for _, s := range c.Sources {
		add(s.BaseURL)
		for _, m := range s.Mirrors {
			add(m)
		}
	}
	for _, im := range c.Images {
		add(im.URL)
		add(im.ChecksumFileURL)
		for _, m := range im.Mirrors {
			add(m)
		}
	}
	for _, h := range c.ociHTTPHosts() {
		add("http://" + h)
	}
	slices.Sort(hosts)
	return hosts
}

// httpHost returns "host:port" for an http URL and "" otherwise.
func httpHost(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" || u.Host == "" {
		return ""
	}
	port := u.Port()
	if port == "" {
		port = "80"
	}
	return net.JoinHostPort(u.Hostname(), port)
}

// DefaultYAML is the built-in configuration as YAML, for `fetchd` to print
// as a starting point. Parsing it gives Default().
const DefaultYAML = `# fetchd built-in configuration: the three images the container needs.
dir: ./images          # relative to this file's directory; /images in the container (FETCHD_DIR)
update: notify         # never | notify | always
parallel: 3            # 1..16
connections: auto      # per download: auto, or 1 (one connection) to 16
max_image_size: 16GiB  # cap for images whose size the source does not announce
idle_timeout: 60s      # give up on a download that receives nothing for this long
images:
  ubuntu-24-lts.qcow2: {source: ubuntu, release: "24.04"}   # noble
  alpine-3.qcow2:      {source: alpine, release: latest-stable}
  debian-13.qcow2:     {source: debian, release: "13"}      # trixie
`

// Default returns the built-in configuration: the seed's three images in
// ./images (relative to the working directory).
func Default() *Config {
	dir, err := filepath.Abs(DefaultDir)
	if err != nil {
		// Only when the working directory is gone; keep a clean relative
		// path rather than guessing another directory.
		dir = filepath.Clean(DefaultDir)
	}
	return &Config{
		Dir:          dir,
		Update:       DefaultUpdate,
		Parallel:     DefaultParallel,
		MaxImageSize: DefaultMaxImageSize,
		IdleTimeout:  DefaultIdleTimeout,
		PluginLimits: DefaultPluginLimits(),
		Refresh:      DefaultRefresh,
		AutoDownload: true,
		Retain:       DefaultRetain,
		Sources:      map[string]Source{},
		Images: []Image{
			{Name: "alpine-3.qcow2", Source: "alpine", Release: "latest-stable", Update: DefaultUpdate, Retain: DefaultRetain, Line: 10},
			{Name: "debian-13.qcow2", Source: "debian", Release: "13", Update: DefaultUpdate, Retain: DefaultRetain, Line: 11},
			{Name: "ubuntu-24-lts.qcow2", Source: "ubuntu", Release: "24.04", Update: DefaultUpdate, Retain: DefaultRetain, Line: 9},
		},
	}
}
