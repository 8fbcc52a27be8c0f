package config

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Load finds and reads the configuration: the file explicitPath if not "",
// else $FETCHD_CONFIG if set, else SystemPath if it exists, else the
// built-in Default. Then it applies the environment (see ApplyEnv).
// getenv is usually os.Getenv; nil means an empty environment.
//
// A file named by explicitPath or $FETCHD_CONFIG that does not exist is a
// *NotFoundError; every other problem with the file is an *Error.
func Load(explicitPath string, getenv func(string) string) (*Config, error) {
	return load(explicitPath, getenv, SystemPath)
}

func load(explicitPath string, getenv func(string) string, systemPath string) (*Config, error) {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	var c *Config
	var err error
	switch env := getenv("FETCHD_CONFIG"); {
	case explicitPath != "":
		c, err = loadFile(explicitPath, "--config")
	case env != "":
		c, err = loadFile(env, "$FETCHD_CONFIG")
	default:
		switch _, serr := os.Stat(systemPath); {
		case serr == nil:
			c, err = loadFile(systemPath, "")
		case errors.Is(serr, fs.ErrNotExist):
			c = Default()
		default:
			err = &Error{File: systemPath, Msg: "cannot read config file", Err: serr}
		}
	}
	if err != nil {
		return nil, err
	}
	if err := c.ApplyEnv(getenv); err != nil {
		return nil, err
	}
	return c, nil
}

// loadFile reads and parses one config file. It may be a pipe
// (--config <(…)), so it is read, up to MaxFileBytes, not stat'ed.
func loadFile(name, from string) (*Config, error) {
	f, err := os.Open(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, &NotFoundError{Path: name, From: from}
	}
	if err != nil {
		return nil, &Error{File: name, Msg: "cannot read config file", Err: err}
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return nil, &Error{File: name, Msg: "cannot read config file", Err: err}
	}
	if len(data) > MaxFileBytes {
		return nil, &Error{File: name, Msg: "config file is larger than 1 MiB"}
	}
	return Parse(name, data)
}

// ApplyEnv applies the environment overrides, which win over the file:
//
//	FETCHD_DIR            the image directory (relative to the working directory)
//	FETCHD_PARALLEL       1..16
//	FETCHD_CONNECTIONS    auto or 1..16
//	FETCHD_PLUGIN_PATH    colon-separated plugin directories, searched before
//	                      plugin_path (EnvPluginPath); empty elements are skipped
//	FETCHD_OVERLAYS       colon-separated overlay directories, replacing overlays
//	FETCHD_REBASE_OVERLAYS true, 1 or yes: rebase VM disks that use a name onto
//	                      its current build before moving it (default: hold)
//	AUTO_DOWNLOAD_IMAGES  false, 0 or no: report status, download nothing;
//	                      true, 1, yes or unset: download (case-insensitive)
//
// An empty variable counts as unset. A bad value is an *Error naming the
// variable.
func (c *Config) ApplyEnv(getenv func(string) string) error {
	if v := getenv("FETCHD_DIR"); v != "" {
		dir, err := filepath.Abs(v)
		if err != nil {
			return &Error{Key: "$FETCHD_DIR", Msg: "cannot make the path absolute", Err: err}
		}
		c.Dir = dir
	}
	if v := getenv("FETCHD_PARALLEL"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxParallel {
			return &Error{Key: "$FETCHD_PARALLEL", Msg: "want a whole number from 1 to " + strconv.Itoa(MaxParallel) + ", got " + strconv.Quote(shorten(v, 40))}
		}
		c.Parallel = n
	}
	if v := getenv("FETCHD_CONNECTIONS"); v != "" {
		n, err := ParseConnections(v)
		if err != nil {
			return &Error{Key: "$FETCHD_CONNECTIONS", Msg: err.Error()}
		}
		c.Connections = n
	}
	if v := getenv("FETCHD_PLUGIN_PATH"); v != "" {
		c.EnvPluginPath = nil
		for _, d := range strings.Split(v, ":") {
			if d == "" {
				continue // an empty element must not mean "the working directory"
			}
			abs, err := filepath.Abs(d)
			if err != nil {
				return &Error{Key: "$FETCHD_PLUGIN_PATH", Msg: "cannot make " + strconv.Quote(d) + " absolute", Err: err}
			}
			c.EnvPluginPath = append(c.EnvPluginPath, abs)
		}
	}
	if err := c.applyOverlaysEnv(getenv); err != nil {
		return err
	}
	switch v := getenv("AUTO_DOWNLOAD_IMAGES"); strings.ToLower(strings.TrimSpace(v)) {
	case "", "true", "1", "yes":
		c.AutoDownload = true
	case "false", "0", "no":
		c.AutoDownload = false
		c.AutoDownloadSetting = "AUTO_DOWNLOAD_IMAGES=" + v
	default:
		return &Error{Key: "$AUTO_DOWNLOAD_IMAGES", Msg: "want true or false, got " + strconv.Quote(shorten(v, 40))}
	}
	return nil
}
