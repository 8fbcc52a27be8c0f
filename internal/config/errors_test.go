package config

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"
)

// TestParseErrors pins every rule and the exact message an operator sees.
func TestParseErrors(t *testing.T) {
	t.Parallel()
	const img = "images:\n  a.qcow2:\n"
	tests := map[string]struct {
		yaml string
		want string
	}{
		"empty file":              {"", `fetchd.yaml: empty config file`},
		"only comments":           {"# nothing here\n", `fetchd.yaml: empty config file`},
		"empty document":          {"---\n", `fetchd.yaml:2: empty config file`},
		"null document":           {"~\n", `fetchd.yaml:1: empty config file`},
		"top level list":          {"- dir\n", `fetchd.yaml:1: the top level must be a mapping of settings (dir:, images:, …), got a list`},
		"top level string":        {"hello\n", `fetchd.yaml:1: the top level must be a mapping of settings (dir:, images:, …), got "hello"`},
		"two documents":           {"dir: a\n---\ndir: b\n", `fetchd.yaml:2: a second YAML document (---) starts here; fetchd reads one`},
		"syntax error":            {"dir: 'a\n", `fetchd.yaml:2: YAML syntax error: found unexpected end of stream`},
		"tab indentation":         {"images:\n\ta: 1\n", `fetchd.yaml:2: YAML syntax error: found character that cannot start any token`},
		"unknown top key":         {"dri: /x\n", `fetchd.yaml:1: unknown key "dri" (known: dir, update, parallel, connections, max_image_size, idle_timeout, plugin_path, plugin_limits, overlays, retain, sources, images, refresh, api, notify)`},
		"duplicate top key":       {"dir: a\nparallel: 2\ndir: b\n", `fetchd.yaml:3: duplicate key "dir" (first at line 1)`},
		"non-string key":          {"3: x\n", `fetchd.yaml:1: key 3 (a number) is not a string; quote it`},
		"alias":                   {"dir: &d x\nplugin_path: [*d]\n", `fetchd.yaml:2: plugin_path[0]: YAML aliases (*d) are not supported; write the value out`},
		"merge key":               {"images:\n  a.qcow2:\n    <<: {source: s}\n", `fetchd.yaml:3: images."a.qcow2": YAML merge keys (<<) are not supported; write the keys out`},
		"custom tag":              {"dir: !env HOME\n", `fetchd.yaml:1: dir: unsupported YAML tag !env`},
		"dir list":                {"dir: [a]\n", `fetchd.yaml:1: dir: want a string, got a list`},
		"dir number":              {"dir: 12\n", `fetchd.yaml:1: dir: want a string, got 12 (a number); quote it if you mean the text: "12"`},
		"dir null":                {"dir:\n", `fetchd.yaml:1: dir: want a string, got nothing (null)`},
		"dir empty":               {"dir: ''\n", `fetchd.yaml:1: dir: must not be empty`},
		"dir tilde":               {"dir: ~/images\n", `fetchd.yaml:1: dir: "~/images": ~ is not expanded; write the full path`},
		"update bad":              {"update: sometimes\n", `fetchd.yaml:1: update: want one of never, notify, always; got "sometimes"`},
		"update bool":             {"update: true\n", `fetchd.yaml:1: update: want a string, got true (a boolean); quote it if you mean the text: "true"`},
		"parallel zero":           {"parallel: 0\n", `fetchd.yaml:1: parallel: want 1 to 16, got 0`},
		"parallel 17":             {"parallel: 17\n", `fetchd.yaml:1: parallel: want 1 to 16, got 17`},
		"parallel string":         {"parallel: \"3\"\n", `fetchd.yaml:1: parallel: want a whole number, got "3"`},
		"parallel float":          {"parallel: 2.5\n", `fetchd.yaml:1: parallel: want a whole number, got 2.5 (a number)`},
		"parallel huge":           {"parallel: 99999999999999999999\n", `fetchd.yaml:1: parallel: want a whole number, got 99999999999999999999 (a number)`},
		"size decimal unit":       {"max_image_size: 16GB\n", `fetchd.yaml:1: max_image_size: "16GB": use KiB, MiB, GiB or TiB (powers of 1024)`},
		"size fraction":           {"max_image_size: 1.5GiB\n", `fetchd.yaml:1: max_image_size: "1.5GiB": want a number of bytes or a size like 512MiB or 16GiB`},
		"size zero":               {"max_image_size: 0\n", `fetchd.yaml:1: max_image_size: "0": must be more than 0 bytes`},
		"size negative":           {"max_image_size: -5\n", `fetchd.yaml:1: max_image_size: "-5": want a number of bytes or a size like 512MiB or 16GiB`},
		"size overflow":           {"max_image_size: 9000000TiB\n", `fetchd.yaml:1: max_image_size: "9000000TiB" is too large`},
		"size list":               {"max_image_size: [1]\n", `fetchd.yaml:1: max_image_size: want a size like 16GiB, got a list`},
		"idle bad":                {"idle_timeout: soon\n", `fetchd.yaml:1: idle_timeout: want a duration like 60s or 5m, got "soon"`},
		"idle number":             {"idle_timeout: 60\n", `fetchd.yaml:1: idle_timeout: want a duration like 60s or 5m, got 60 (a number)`},
		"idle too short":          {"idle_timeout: 500ms\n", `fetchd.yaml:1: idle_timeout: 500ms is too short; the minimum is 1s`},
		"plugin memory tiny":      {"plugin_limits: {memory: 1MiB}\n", `fetchd.yaml:1: plugin_limits.memory: 1MiB is too little for any plugin; the minimum is 64MiB`},
		"plugin cpu bad":          {"plugin_limits: {cpu: forever}\n", `fetchd.yaml:1: plugin_limits.cpu: want a duration like 60s or 5m, got "forever"`},
		"plugin limits unknown":   {"plugin_limits: {files: 3}\n", `fetchd.yaml:1: plugin_limits: unknown key "files" (known: memory, cpu)`},
		"plugin_path string":      {"plugin_path: /opt/p\n", `fetchd.yaml:1: plugin_path: want a list, got "/opt/p"`},
		"plugin_path item":        {"plugin_path:\n  - /a\n  - {x: 1}\n", `fetchd.yaml:3: plugin_path[1]: want a string, got a mapping`},
		"sources list":            {"sources: [ubuntu]\n", `fetchd.yaml:1: sources: want a mapping (key: value lines), got a list`},
		"source name upper":       {"sources:\n  Ubuntu: {}\n", `fetchd.yaml:2: sources: invalid source name "Ubuntu": want lowercase letters, digits and -, starting with a letter or digit`},
		"source name slash":       {"sources:\n  ../x: {}\n", `fetchd.yaml:2: sources: invalid source name "../x": want lowercase letters, digits and -, starting with a letter or digit`},
		"source unknown key":      {"sources:\n  ubuntu:\n    baseurl: https://x\n", `fetchd.yaml:3: sources.ubuntu: unknown key "baseurl" (known: base_url, keys, plugin, mirrors)`},
		"source duplicate":        {"sources:\n  ubuntu: {}\n  ubuntu: {}\n", `fetchd.yaml:3: sources: duplicate key "ubuntu" (first at line 2)`},
		"base_url ftp":            {"sources:\n  u: {base_url: 'ftp://x/'}\n", `fetchd.yaml:2: sources.u.base_url: "ftp://x/": want an https:// (or http://) URL`},
		"base_url no host":        {"sources:\n  u: {base_url: 'https:///x'}\n", `fetchd.yaml:2: sources.u.base_url: "https:///x": the URL has no host`},
		"base_url credentials":    {"sources:\n  u: {base_url: 'https://me:secret@x/'}\n", `fetchd.yaml:2: sources.u.base_url: "https://me:xxxxx@x/": the URL must not contain a user name or password`},
		"base_url query":          {"sources:\n  u: {base_url: 'https://x/?a=b'}\n", `fetchd.yaml:2: sources.u.base_url: "https://x/?a=b": a base URL must not have a query`},
		"base_url forced getter":  {"sources:\n  u: {base_url: 'git::https://x/'}\n", `fetchd.yaml:2: sources.u.base_url: "git::https://x/": want an https:// (or http://) URL`},
		"base_url bad port":       {"sources:\n  u: {base_url: 'https://x:port/'}\n", `fetchd.yaml:2: sources.u.base_url: not a valid URL: invalid port ":port" after host`},
		"key file missing":        {"sources:\n  u: {keys: [/nonexistent/k.asc]}\n", `fetchd.yaml:2: sources.u.keys[0]: key file /nonexistent/k.asc: open /nonexistent/k.asc: no such file or directory`},
		"key file is a dir":       {"sources:\n  u: {keys: [/]}\n", `fetchd.yaml:2: sources.u.keys[0]: key file /: not a regular file`},
		"key file device":         {"sources:\n  u: {keys: [/dev/null]}\n", `fetchd.yaml:2: sources.u.keys[0]: key file /dev/null: not a regular file`},
		"images list":             {"images: [a.qcow2]\n", `fetchd.yaml:1: images: want a mapping (key: value lines), got a list`},
		"image null":              {img, `fetchd.yaml:2: images."a.qcow2": needs either source (a source plugin) or url (a direct download)`},
		"image empty":             {"images:\n  a.qcow2: {}\n", `fetchd.yaml:2: images."a.qcow2": needs either source (a source plugin) or url (a direct download)`},
		"image string":            {"images:\n  a.qcow2: ubuntu\n", `fetchd.yaml:2: images."a.qcow2": want a mapping (key: value lines), got "ubuntu"`},
		"retain negative":         {"retain: -1\n", `fetchd.yaml:1: retain: want 0 to 100 previous builds, got -1`},
		"retain not a number":     {"retain: all\n", `fetchd.yaml:1: retain: want a whole number, got "all"`},
		"overlays not a list":     {"overlays: /overlays\n", `fetchd.yaml:1: overlays: want a list, got "/overlays"`},
		"image hold not a bool":   {"images:\n  a.qcow2:\n    source: alpine\n    release: edge\n    hold: yes please\n", `fetchd.yaml:5: images."a.qcow2".hold: want true or false, got "yes please"`},
		"image retain too big":    {"images:\n  a.qcow2:\n    source: alpine\n    release: edge\n    retain: 1000\n", `fetchd.yaml:5: images."a.qcow2".retain: want 0 to 100 previous builds, got 1000`},
		"image unknown key":       {"images:\n  alpine-3.qcow2:\n    source: alpine\n    relase: edge\n", `fetchd.yaml:4: images."alpine-3.qcow2": unknown key "relase" (known: source, release, arch, variant, url, checksum, format, update, ref, hold, retain, mirrors)`},
		"image duplicate key":     {"images:\n  a.qcow2:\n    source: s\n    release: r\n    source: t\n", `fetchd.yaml:5: images."a.qcow2": duplicate key "source" (first at line 3)`},
		"image duplicate":         {"images:\n  a.qcow2: {source: s, release: r}\n  a.qcow2: {source: s, release: r}\n", `fetchd.yaml:3: images: duplicate key "a.qcow2" (first at line 2)`},
		"image case duplicate":    {"images:\n  a.qcow2: {source: s, release: r}\n  A.qcow2: {source: s, release: r}\n", `fetchd.yaml:3: images: image names "A.qcow2" and "a.qcow2" (line 2) differ only in case; the image directory may be on a case-insensitive file system`},
		"image name slash":        {"images:\n  sub/a.qcow2: {source: s, release: r}\n", `fetchd.yaml:2: images: invalid image name "sub/a.qcow2": must be a plain file name, without / or \`},
		"image name backslash":    {"images:\n  'a\\b': {source: s, release: r}\n", `fetchd.yaml:2: images: invalid image name "a\\b": must be a plain file name, without / or \`},
		"image name dotdot":       {"images:\n  ..: {source: s, release: r}\n", `fetchd.yaml:2: images: invalid image name "..": ".." is not a file name`},
		"image name parent path":  {"images:\n  ../a.qcow2: {source: s, release: r}\n", `fetchd.yaml:2: images: invalid image name "../a.qcow2": must be a plain file name, without / or \`},
		"image name hidden":       {"images:\n  .fetchd: {source: s, release: r}\n", `fetchd.yaml:2: images: invalid image name ".fetchd": must not start with '.' (hidden files are not images; .fetchd is fetchd's own)`},
		"image name control":      {"images:\n  \"a\\tb\": {source: s, release: r}\n", `fetchd.yaml:2: images: invalid image name "a\tb": must not contain the control character U+0009`},
		"image name NUL":          {"images:\n  \"a\\0b\": {source: s, release: r}\n", `fetchd.yaml:2: images: invalid image name "a\x00b": must not contain the control character U+0000`},
		"image name space":        {"images:\n  'a ': {source: s, release: r}\n", `fetchd.yaml:2: images: invalid image name "a ": must not start or end with a space`},
		"image name number":       {"images:\n  2024: {source: s, release: r}\n", `fetchd.yaml:2: images: key 2024 (a number) is not a string; quote it`},
		"both source and url":     {"images:\n  a.qcow2:\n    source: s\n    release: r\n    url: https://x/a\n", `fetchd.yaml:5: images."a.qcow2": has both source and url; use one`},
		"source without release":  {"images:\n  a.qcow2: {source: s}\n", `fetchd.yaml:2: images."a.qcow2": a source image needs a release (e.g. release: "24.04"; fetchd list-sources shows them)`},
		"source with checksum":    {"images:\n  a.qcow2:\n    source: s\n    release: r\n    checksum: sha256:" + hex64 + "\n", `fetchd.yaml:5: images."a.qcow2": checksum is only for url images; the s plugin finds the image's checksum`},
		"source with format":      {"images:\n  a.qcow2:\n    source: s\n    release: r\n    format: raw\n", `fetchd.yaml:5: images."a.qcow2": format is only for url images; the s plugin finds the image's format`},
		"source name bad":         {"images:\n  a.qcow2: {source: Ubuntu, release: r}\n", `fetchd.yaml:2: images."a.qcow2".source: invalid source name "Ubuntu": want lowercase letters, digits and -, starting with a letter or digit`},
		"release list":            {"images:\n  a.qcow2: {source: s, release: [1]}\n", `fetchd.yaml:2: images."a.qcow2".release: want a string, got a list`},
		"release bool":            {"images:\n  a.qcow2: {source: s, release: true}\n", `fetchd.yaml:2: images."a.qcow2".release: want a string, got true (a boolean); quote it if you mean the text: "true"`},
		"release slash":           {"images:\n  a.qcow2: {source: s, release: ../../etc}\n", `fetchd.yaml:2: images."a.qcow2".release: "../../etc": only letters, digits and . _ + - are allowed`},
		"url without checksum":    {"images:\n  a.qcow2: {url: 'https://x/a.qcow2'}\n", `fetchd.yaml:2: images."a.qcow2": a url image needs a checksum (sha256:<hex>, or file:<URL of a SHA256SUMS-style file>)`},
		"url with release":        {"images:\n  a.qcow2:\n    url: https://x/a\n    release: r\n", `fetchd.yaml:4: images."a.qcow2": release is only for source images; a url image is downloaded as is`},
		"url directory":           {"images:\n  a.qcow2: {url: 'https://x/dir/', checksum: 'sha256:" + hex64 + "'}\n", `fetchd.yaml:2: images."a.qcow2".url: "https://x/dir/": the URL must name a file, not a directory`},
		"url double slash":        {"images:\n  a.qcow2: {url: 'https://x//a', checksum: 'sha256:" + hex64 + "'}\n", `fetchd.yaml:2: images."a.qcow2".url: "https://x//a": the URL path must not contain "//"`},
		"url reserved param":      {"images:\n  a.qcow2: {url: 'https://x/a?checksum=md5:1', checksum: 'sha256:" + hex64 + "'}\n", `fetchd.yaml:2: images."a.qcow2".url: "https://x/a?checksum=md5:1": the query parameter "checksum" is reserved`},
		"connections zero":        {"connections: 0\n", `fetchd.yaml:1: connections: want auto or a whole number from 1 to 16, got "0"`},
		"connections 17":          {"connections: 17\n", `fetchd.yaml:1: connections: want auto or a whole number from 1 to 16, got "17"`},
		"connections word":        {"connections: many\n", `fetchd.yaml:1: connections: want auto or a whole number from 1 to 16, got "many"`},
		"connections bool":        {"connections: true\n", `fetchd.yaml:1: connections: want auto or a whole number from 1 to 16, got true (a boolean)`},
		"connections list":        {"connections: [4]\n", `fetchd.yaml:1: connections: want auto or a whole number from 1 to 16, got a list`},
		"mirrors without base":    {"sources:\n  u:\n    mirrors: [https://m/]\n", `fetchd.yaml:3: sources.u.mirrors: mirrors need the base_url they copy: set base_url (the primary, e.g. the distribution's own server) next to them`},
		"mirrors string":          {"sources:\n  u: {base_url: 'https://p/', mirrors: https://m/}\n", `fetchd.yaml:2: sources.u.mirrors: want a list, got "https://m/"`},
		"mirror is primary":       {"sources:\n  u:\n    mirrors: [https://p]\n    base_url: https://p/\n", `fetchd.yaml:3: sources.u.mirrors[0]: "https://p" is the primary itself, not a mirror of it`},
		"mirror twice":            {"sources:\n  u:\n    base_url: https://p/\n    mirrors: [https://m/, https://m]\n", `fetchd.yaml:4: sources.u.mirrors[1]: "https://m" is listed twice (also sources.u.mirrors[0])`},
		"mirror ftp":              {"sources:\n  u: {base_url: 'https://p/', mirrors: ['ftp://m/']}\n", `fetchd.yaml:2: sources.u.mirrors[0]: "ftp://m/": want an https:// (or http://) URL`},
		"mirror query":            {"sources:\n  u: {base_url: 'https://p/', mirrors: ['https://m/?a=b']}\n", `fetchd.yaml:2: sources.u.mirrors[0]: "https://m/?a=b": a mirror's base URL must not have a query`},
		"mirror credentials":      {"sources:\n  u: {base_url: 'https://p/', mirrors: ['https://a:b@m/']}\n", `fetchd.yaml:2: sources.u.mirrors[0]: "https://a:xxxxx@m/": the URL must not contain a user name or password`},
		"too many mirrors":        {"sources:\n  u:\n    base_url: https://p/\n    mirrors: [https://m1/, https://m2/, https://m3/, https://m4/, https://m5/, https://m6/, https://m7/, https://m8/, https://m9/]\n", `fetchd.yaml:4: sources.u.mirrors[8]: at most 8 mirrors`},
		"image mirrors on source": {"images:\n  a.qcow2:\n    source: s\n    release: r\n    mirrors: [https://m/a]\n", `fetchd.yaml:5: images."a.qcow2": mirrors is only for url images; a source image's mirrors go under sources.s.mirrors`},
		"image mirror directory":  {"images:\n  a.qcow2: {url: 'https://x/a', checksum: 'sha256:" + hex64 + "', mirrors: ['https://m/dir/']}\n", `fetchd.yaml:2: images."a.qcow2".mirrors[0]: "https://m/dir/": the URL must name a file, not a directory`},
		"image mirror is url":     {"images:\n  a.qcow2: {url: 'https://x/a', checksum: 'sha256:" + hex64 + "', mirrors: ['https://x/a']}\n", `fetchd.yaml:2: images."a.qcow2".mirrors[0]: "https://x/a" is the primary itself, not a mirror of it`},
		"url fragment":            {"images:\n  a.qcow2: {url: 'https://x/a#f', checksum: 'sha256:" + hex64 + "'}\n", `fetchd.yaml:2: images."a.qcow2".url: "https://x/a#f": the URL must not have a #fragment`},
		"url file scheme":         {"images:\n  a.qcow2: {url: 'file:///etc/shadow', checksum: 'sha256:" + hex64 + "'}\n", `fetchd.yaml:2: images."a.qcow2".url: "file:///etc/shadow": want an https:// (or http://) URL`},
		"checksum short":          {"images:\n  a.qcow2: {url: 'https://x/a', checksum: 'sha256:abcd'}\n", `fetchd.yaml:2: images."a.qcow2".checksum: sha256 digest has 4 hex digits, want 64 (or file:<URL of a checksum file>)`},
		"checksum md5":            {"images:\n  a.qcow2: {url: 'https://x/a', checksum: 'md5:abcd'}\n", `fetchd.yaml:2: images."a.qcow2".checksum: unknown digest algorithm "md5" (want sha256 or sha512) (or file:<URL of a checksum file>)`},
		"checksum bare hex":       {"images:\n  a.qcow2: {url: 'https://x/a', checksum: '" + hex64 + "'}\n", `fetchd.yaml:2: images."a.qcow2".checksum: digest "e3b0c44298fc1c149afb…": want <algorithm>:<hex>, e.g. sha256:9f86d0… (or file:<URL of a checksum file>)`},
		"checksum file dir":       {"images:\n  a.qcow2: {url: 'https://x/a', checksum: 'file:https://x/'}\n", `fetchd.yaml:2: images."a.qcow2".checksum: checksum file: "https://x/": the URL must name a file, not a directory`},
		"format bad":              {"images:\n  a.qcow2: {url: 'https://x/a', checksum: 'sha256:" + hex64 + "', format: vmdk}\n", `fetchd.yaml:2: images."a.qcow2".format: want qcow2 or raw, got "vmdk"`},
		"image update bad":        {"images:\n  a.qcow2: {source: s, release: r, update: weekly}\n", `fetchd.yaml:2: images."a.qcow2".update: want one of never, notify, always; got "weekly"`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, err := Parse("fetchd.yaml", []byte(tc.yaml))
			if err == nil {
				t.Fatalf("Parse succeeded (%d images), want error %q", len(c.Images), tc.want)
			}
			var cerr *Error
			if !errors.As(err, &cerr) {
				t.Errorf("error %T is not a *config.Error", err)
			}
			if diff := cmp.Diff(tc.want, err.Error()); diff != "" {
				t.Errorf("message mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// hex64 is the sha256 of nothing.
const hex64 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// TestYAMLDuplicateKeysInNodes pins why the parser checks duplicates
// itself: yaml.v3 refuses them only when decoding into Go values, not into
// the node tree the parser walks.
func TestYAMLDuplicateKeysInNodes(t *testing.T) {
	t.Parallel()
	data := []byte("dir: a\ndir: b\n")
	var n yaml.Node
	if err := yaml.Unmarshal(data, &n); err != nil {
		t.Logf("yaml.v3 now refuses duplicate keys in nodes too: %v", err)
	}
	if _, err := Parse("fetchd.yaml", data); err == nil {
		t.Error("Parse accepted a duplicate key")
	}
}

func TestErrorFormat(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		err  *Error
		want string
	}{
		"everything":   {&Error{File: "f.yaml", Line: 3, Key: "dir", Msg: "bad"}, "f.yaml:3: dir: bad"},
		"no key":       {&Error{File: "f.yaml", Line: 3, Msg: "bad"}, "f.yaml:3: bad"},
		"no line":      {&Error{File: "f.yaml", Msg: "bad"}, "f.yaml: bad"},
		"built-in":     {&Error{Line: 2, Key: "k", Msg: "bad"}, "built-in config:2: k: bad"},
		"environment":  {&Error{Key: "$FETCHD_DIR", Msg: "bad"}, "$FETCHD_DIR: bad"},
		"wrapped":      {&Error{File: "f", Msg: "reading", Err: errors.New("boom")}, "f: reading: boom"},
		"only wrapped": {&Error{File: "f", Err: errors.New("boom")}, "f: boom"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tc.want, tc.err.Error()); diff != "" {
				t.Errorf("Error() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
