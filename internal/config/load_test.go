package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sandlabx/fetchd/sdk/signature/sigtest"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func writeFile(t *testing.T, name, data string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return name
}

// TestLoadLookupOrder pins --config, then $FETCHD_CONFIG, then the system
// file, then the built-in default. Each file sets a different parallel so
// the test can tell which one was read.
func TestLoadLookupOrder(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	explicit := writeFile(t, filepath.Join(dir, "explicit.yaml"), "parallel: 1\n")
	fromEnv := writeFile(t, filepath.Join(dir, "env.yaml"), "parallel: 2\n")
	system := writeFile(t, filepath.Join(dir, "etc", "fetchd.yaml"), "parallel: 4\n")
	missingSystem := filepath.Join(dir, "etc", "missing.yaml")
	tests := map[string]struct {
		explicit, env, system string
		wantFile              string
		wantParallel          int
	}{
		"explicit wins":      {explicit, fromEnv, system, explicit, 1},
		"env next":           {"", fromEnv, system, fromEnv, 2},
		"system file next":   {"", "", system, system, 4},
		"built-in otherwise": {"", "", missingSystem, "", DefaultParallel},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, err := load(tc.explicit, env(map[string]string{"FETCHD_CONFIG": tc.env}), tc.system)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]any{tc.wantFile, tc.wantParallel}, []any{c.File, c.Parallel}); diff != "" {
				t.Errorf("file, parallel mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLoadNotFound(t *testing.T) {
	t.Parallel()
	missing := filepath.Join(t.TempDir(), "nope.yaml")
	tests := map[string]struct {
		explicit string
		env      map[string]string
		want     string
	}{
		"--config":       {missing, nil, "config file not found: " + missing + " (from --config)"},
		"$FETCHD_CONFIG": {"", map[string]string{"FETCHD_CONFIG": missing}, "config file not found: " + missing + " (from $FETCHD_CONFIG)"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := Load(tc.explicit, env(tc.env))
			var nf *NotFoundError
			if !errors.As(err, &nf) {
				t.Fatalf("Load error = %v, want a *NotFoundError", err)
			}
			if diff := cmp.Diff(tc.want, err.Error()); diff != "" {
				t.Errorf("message mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLoadFileProblems(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	big := writeFile(t, filepath.Join(dir, "big.yaml"), "# "+strings.Repeat("x", MaxFileBytes)+"\n")
	tests := map[string]struct {
		path string
		want string
	}{
		"directory": {dir, dir + ": cannot read config file: read " + dir + ": is a directory"},
		"too large": {big, big + ": config file is larger than 1 MiB"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := Load(tc.path, nil)
			if err == nil {
				t.Fatal("Load succeeded")
			}
			if diff := cmp.Diff(tc.want, err.Error()); diff != "" {
				t.Errorf("message mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestLoadRelativePaths pins that paths in a file are relative to the
// file's directory, not to the working directory.
func TestLoadRelativePaths(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	key, err := os.ReadFile(filepath.Join("testdata", "placeholder-key.asc"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "conf", "keys", "k.asc"), string(key))
	file := writeFile(t, filepath.Join(dir, "conf", "fetchd.yaml"),
		"dir: ../imgs\nplugin_path: [plugins, /abs/p]\nsources:\n  u: {keys: [keys/k.asc]}\n")
	c, err := Load(file, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := []any{c.Dir, c.PluginPath, c.Sources["u"].Keys, string(c.Sources["u"].KeyData[0])}
	want := []any{
		filepath.Join(dir, "imgs"),
		[]string{filepath.Join(dir, "conf", "plugins"), "/abs/p"},
		[]string{filepath.Join(dir, "conf", "keys", "k.asc")},
		string(key),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("paths mismatch (-want +got):\n%s", diff)
	}
}

func TestLoadKeyFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "empty.asc"), "")
	writeFile(t, filepath.Join(dir, "big.asc"), strings.Repeat("k", MaxFileBytes+1))
	writeFile(t, filepath.Join(dir, "max.asc"), strings.Repeat("k", MaxFileBytes))
	good, err := os.ReadFile(filepath.Join("testdata", "placeholder-key.asc"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "good.asc"), string(good))
	writeFile(t, filepath.Join(dir, "secret.asc"), string(sigtest.MustNewKey("s", "s@example.invalid").SecretArmored()))
	fifo := filepath.Join(dir, "fifo.asc")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := map[string]struct {
		key  string
		want string // "" = success
	}{
		"a public key":  {"good.asc", ""},
		"exactly 1 MiB": {"max.asc", "key file " + filepath.Join(dir, "max.asc") + ": not an OpenPGP public key: neither an armored nor a binary OpenPGP key"},
		"a secret key":  {"secret.asc", "key file " + filepath.Join(dir, "secret.asc") + ": not an OpenPGP public key: refusing a secret key"},
		"empty":         {"empty.asc", "key file " + filepath.Join(dir, "empty.asc") + " is empty"},
		"too large":     {"big.asc", "key file " + filepath.Join(dir, "big.asc") + ": larger than 1 MiB"},
		"fifo":          {"fifo.asc", "key file " + fifo + ": not a regular file"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			file := filepath.Join(dir, name+".yaml")
			_, err := Parse(file, []byte("sources:\n  u:\n    keys: ["+tc.key+"]\n"))
			want := ""
			if tc.want != "" {
				want = file + ":3: sources.u.keys[0]: " + tc.want
			}
			got := ""
			if err != nil {
				got = err.Error()
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("error mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestApplyEnv(t *testing.T) {
	t.Parallel()
	cwd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	type result struct {
		Dir           string
		Parallel      int
		EnvPluginPath []string
		AutoDownload  bool
	}
	base := result{Dir: "/file/images", Parallel: 3, AutoDownload: true}
	tests := map[string]struct {
		env  map[string]string
		want result
		err  string
	}{
		"nothing set":         {nil, base, ""},
		"FETCHD_DIR":          {map[string]string{"FETCHD_DIR": "/images"}, result{"/images", 3, nil, true}, ""},
		"FETCHD_DIR relative": {map[string]string{"FETCHD_DIR": "imgs"}, result{filepath.Join(cwd, "imgs"), 3, nil, true}, ""},
		"FETCHD_PARALLEL":     {map[string]string{"FETCHD_PARALLEL": "16"}, result{"/file/images", 16, nil, true}, ""},
		"FETCHD_PARALLEL 0":   {map[string]string{"FETCHD_PARALLEL": "0"}, base, `$FETCHD_PARALLEL: want a whole number from 1 to 16, got "0"`},
		"FETCHD_PARALLEL x":   {map[string]string{"FETCHD_PARALLEL": "three"}, base, `$FETCHD_PARALLEL: want a whole number from 1 to 16, got "three"`},
		"FETCHD_PLUGIN_PATH": {
			map[string]string{"FETCHD_PLUGIN_PATH": "/a::rel:"},
			result{"/file/images", 3, []string{"/a", filepath.Join(cwd, "rel")}, true}, "",
		},
		"AUTO_DOWNLOAD false": {map[string]string{"AUTO_DOWNLOAD_IMAGES": "false"}, result{"/file/images", 3, nil, false}, ""},
		"AUTO_DOWNLOAD 0":     {map[string]string{"AUTO_DOWNLOAD_IMAGES": "0"}, result{"/file/images", 3, nil, false}, ""},
		"AUTO_DOWNLOAD No":    {map[string]string{"AUTO_DOWNLOAD_IMAGES": "No"}, result{"/file/images", 3, nil, false}, ""},
		"AUTO_DOWNLOAD TRUE":  {map[string]string{"AUTO_DOWNLOAD_IMAGES": "TRUE"}, base, ""},
		"AUTO_DOWNLOAD 1":     {map[string]string{"AUTO_DOWNLOAD_IMAGES": "1"}, base, ""},
		"AUTO_DOWNLOAD yes":   {map[string]string{"AUTO_DOWNLOAD_IMAGES": "yes"}, base, ""},
		"AUTO_DOWNLOAD maybe": {map[string]string{"AUTO_DOWNLOAD_IMAGES": "maybe"}, base, `$AUTO_DOWNLOAD_IMAGES: want true or false, got "maybe"`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c := &Config{Dir: "/file/images", Parallel: 3, AutoDownload: true}
			err := c.ApplyEnv(env(tc.env))
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
				var cerr *Error
				if !errors.As(err, &cerr) {
					t.Errorf("error %T is not a *config.Error", err)
				}
			}
			if diff := cmp.Diff(tc.err, gotErr); diff != "" {
				t.Errorf("error mismatch (-want +got):\n%s", diff)
			}
			if err != nil {
				return
			}
			got := result{c.Dir, c.Parallel, c.EnvPluginPath, c.AutoDownload}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("config mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestLoadAppliesEnv checks that Load applies the environment after the
// file, so FETCHD_DIR wins over dir:.
func TestLoadAppliesEnv(t *testing.T) {
	t.Parallel()
	file := writeFile(t, filepath.Join(t.TempDir(), "f.yaml"), "dir: /from/file\nparallel: 2\n")
	c, err := Load(file, env(map[string]string{"FETCHD_DIR": "/images", "AUTO_DOWNLOAD_IMAGES": "false"}))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]any{"/images", 2, false}, []any{c.Dir, c.Parallel, c.AutoDownload}); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}

func TestCheckImageName(t *testing.T) {
	t.Parallel()
	tests := map[string]bool{
		"ubuntu-24-lts.qcow2":    true,
		"a":                      true,
		"ünïcødé.img":            true,
		"a b.qcow2":              true,
		strings.Repeat("x", 255): true,
		strings.Repeat("x", 256): false,
		"":                       false,
		".":                      false,
		"..":                     false,
		".hidden":                false,
		"a/b":                    false,
		`a\b`:                    false,
		"a\x00b":                 false,
		"a\x7fb":                 false,
		"a\u0085b":               false,
		"\xff.img":               false,
		" a":                     false,
		"a\n":                    false,
	}
	for name, valid := range tests {
		if err := CheckImageName(name); (err == nil) != valid {
			t.Errorf("CheckImageName(%q) = %v, want valid=%v", name, err, valid)
		}
	}
}

func TestParseSize(t *testing.T) {
	t.Parallel()
	tests := map[string]int64{
		"1":                   1,
		"1048576":             1 << 20,
		"1B":                  1,
		"4KiB":                4 << 10,
		"512MiB":              512 << 20,
		"16GiB":               16 << 30,
		"16 GiB":              16 << 30,
		"2TiB":                2 << 40,
		"8388607TiB":          8388607 << 40,
		"8388608TiB":          -1, // 2^63: overflows
		"9223372036854775807": 1<<63 - 1,
		"9223372036854775808": -1,
		"0":                   -1,
		"0GiB":                -1,
		"-1":                  -1,
		"16GB":                -1,
		"16gib":               -1,
		"1.5GiB":              -1,
		"GiB":                 -1,
		"":                    -1,
		"0x10":                -1,
	}
	for s, want := range tests {
		got, err := ParseSize(s)
		if want < 0 {
			if err == nil {
				t.Errorf("ParseSize(%q) = %d, want an error", s, got)
			}
			continue
		}
		if err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", s, got, err, want)
		}
	}
}

func TestKeysPerReleaseAndPinnedPlugin(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a := sigtest.MustNewKey("release a", "a@example.invalid")
	b := sigtest.MustNewKey("release b", "b@example.invalid")
	writeFile(t, filepath.Join(dir, "a.asc"), string(a.PublicArmored()))
	writeFile(t, filepath.Join(dir, "b.asc"), string(b.PublicArmored()))
	file := writeFile(t, filepath.Join(dir, "fetchd.yaml"), `sources:
  fedora:
    plugin: bin/fetchd-plugin-fedora
    keys:
      "41": [a.asc]
      "42": [a.asc, b.asc]
`)
	c, err := Load(file, nil)
	if err != nil {
		t.Fatal(err)
	}
	src := c.Sources["fedora"]
	got := []any{src.Plugin, src.PluginLine, src.KeyReleases(), len(src.KeysFor("41")), len(src.KeysFor("42")), src.KeysFor("40"), src.ReleaseKeys["42"].Line, src.HasKeys()}
	want := []any{filepath.Join(dir, "bin", "fetchd-plugin-fedora"), 3, []string{"41", "42"}, 1, 2, [][]byte(nil), 6, true}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}

	list := Source{KeyData: [][]byte{[]byte("k")}}
	if len(list.KeysFor("any")) != 1 || list.KeyReleases() != nil {
		t.Error("a keys list applies to every release")
	}

	for name, tc := range map[string]struct{ yaml, want string }{
		"unquoted number":  {"sources:\n  f:\n    keys:\n      41: [a.asc]\n", `fetchd.yaml:4: sources.f.keys: key 41 (a number) is not a string; quote it`},
		"empty list":       {"sources:\n  f:\n    keys:\n      \"41\": []\n", `fetchd.yaml:4: sources.f.keys.41: no key files: leave the release out to use the plugin's own keys`},
		"bad release":      {"sources:\n  f:\n    keys:\n      \"4 1\": [a.asc]\n", `fetchd.yaml:4: sources.f.keys: release "4 1": only letters, digits and . _ + - are allowed`},
		"missing key file": {"sources:\n  f:\n    keys:\n      \"41\": [nope.asc]\n", `fetchd.yaml:4: sources.f.keys.41[0]: key file ` + filepath.Join(dir, "nope.asc") + `: open ` + filepath.Join(dir, "nope.asc") + `: no such file or directory`},
		"plugin not text":  {"sources:\n  f:\n    plugin: [x]\n", `fetchd.yaml:3: sources.f.plugin: want a string, got a list`},
	} {
		_, err := Parse(filepath.Join(dir, "fetchd.yaml"), []byte(tc.yaml))
		got := ""
		if err != nil {
			got = strings.ReplaceAll(err.Error(), dir+"/fetchd.yaml", "fetchd.yaml")
		}
		if got != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", name, got, tc.want)
		}
	}
}

func TestConnectionsFromEnv(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		env  string
		want int
		err  string
	}{
		"unset": {"", 4, ""},
		"auto":  {"auto", 0, ""},
		"one":   {"1", 1, ""},
		"max":   {"16", 16, ""},
		"over":  {"17", 4, `$FETCHD_CONNECTIONS: want auto or a whole number from 1 to 16, got "17"`},
		"word":  {"fast", 4, `$FETCHD_CONNECTIONS: want auto or a whole number from 1 to 16, got "fast"`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c := &Config{Connections: 4}
			err := c.ApplyEnv(env(map[string]string{"FETCHD_CONNECTIONS": tc.env}))
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
			}
			if diff := cmp.Diff(tc.err, gotErr); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
			if c.Connections != tc.want {
				t.Errorf("Connections %d, want %d", c.Connections, tc.want)
			}
		})
	}
}
