package config

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

var sourceNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)

// ValidSourceName reports whether name can name a source plugin.
func ValidSourceName(name string) bool { return len(name) <= 64 && sourceNameRE.MatchString(name) }

// CheckImageName returns an error when name cannot be an image file name:
// it must be a plain, visible file name of at most 255 bytes of valid
// UTF-8, without path separators, control characters or surrounding spaces.
func CheckImageName(name string) error {
	switch {
	case name == "":
		return errors.New("must not be empty")
	case name == "." || name == "..":
		return fmt.Errorf("%q is not a file name", name)
	case strings.ContainsAny(name, `/\`):
		// Before the hidden-file rule: "../x" is a path, not a hidden file.
		return errors.New("must be a plain file name, without / or \\")
	case strings.HasPrefix(name, "."):
		return errors.New("must not start with '.' (hidden files are not images; .fetchd is fetchd's own)")
	case len(name) > MaxNameBytes:
		return fmt.Errorf("is %d bytes long, the limit is %d", len(name), MaxNameBytes)
	case !utf8.ValidString(name):
		return errors.New("is not valid UTF-8")
	case strings.TrimSpace(name) != name:
		return errors.New("must not start or end with a space")
	}
	for _, r := range name {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return fmt.Errorf("must not contain the control character %U", r)
		}
	}
	return nil
}

// foldName is the key under which image names collide on a case-insensitive
// file system.
func foldName(name string) string { return strings.ToLower(strings.ToUpper(name)) }

// checkWord checks a release, arch or variant: these end up in the URLs and
// file names a plugin builds, so they are kept to a conservative alphabet.
func checkWord(s string) error {
	if len(s) > 64 {
		return fmt.Errorf("is %d bytes long, the limit is 64", len(s))
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._+-", r)) {
			return fmt.Errorf("%q: only letters, digits and . _ + - are allowed", s)
		}
	}
	return nil
}

var sizeRE = regexp.MustCompile(`^([0-9]+) ?(B|KiB|MiB|GiB|TiB)?$`)

// ParseSize parses a byte count such as 1048576, "512MiB" or "16GiB".
func ParseSize(s string) (int64, error) {
	m := sizeRE.FindStringSubmatch(s)
	if m == nil {
		if strings.HasSuffix(s, "B") && !strings.HasSuffix(s, "iB") {
			return 0, fmt.Errorf("%q: use KiB, MiB, GiB or TiB (powers of 1024)", s)
		}
		return 0, fmt.Errorf("%q: want a number of bytes or a size like 512MiB or 16GiB", s)
	}
	n, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is too large", s)
	}
	shift := map[string]uint{"": 0, "B": 0, "KiB": 10, "MiB": 20, "GiB": 30, "TiB": 40}[m[2]]
	if n > math.MaxInt64>>shift {
		return 0, fmt.Errorf("%q is too large", s)
	}
	n <<= shift
	if n <= 0 {
		return 0, fmt.Errorf("%q: must be more than 0 bytes", s)
	}
	return n, nil
}

// goGetterParams are query parameters go-getter consumes itself; a URL that
// carries them would change what go-getter does.
var goGetterParams = []string{"archive", "checksum", "filename"}

// checkURL validates a URL the operator wrote: http or https, a host, no
// credentials, no fragment, no "//" in the path, no go-getter parameters.
// With file set, the path must name a file (a non-empty base name).
func checkURL(raw string, file bool) error {
	u, err := url.Parse(raw)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) && ue.Err != nil {
			err = ue.Err
		}
		return fmt.Errorf("not a valid URL: %w", err)
	}
	switch {
	case u.Scheme != "https" && u.Scheme != "http":
		return fmt.Errorf("%q: want an https:// (or http://) URL", shorten(raw, 60))
	case u.Opaque != "" || u.Host == "" || u.Hostname() == "":
		return fmt.Errorf("%q: the URL has no host", shorten(raw, 60))
	case u.User != nil:
		return fmt.Errorf("%q: the URL must not contain a user name or password", u.Redacted())
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return fmt.Errorf("%q: the URL must not have a #fragment", shorten(raw, 60))
	case strings.Contains(u.Path, "//"):
		return fmt.Errorf("%q: the URL path must not contain \"//\"", shorten(raw, 60))
	}
	q := u.Query()
	for _, p := range goGetterParams {
		if q.Has(p) {
			return fmt.Errorf("%q: the query parameter %q is reserved", shorten(raw, 60), p)
		}
	}
	if file && (u.Path == "" || strings.HasSuffix(u.Path, "/") || path.Base(u.Path) == "." || path.Base(u.Path) == "..") {
		return fmt.Errorf("%q: the URL must name a file, not a directory", shorten(raw, 60))
	}
	return nil
}

// resolve makes p absolute, relative to base.
func resolve(base, p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(base, p)
}
