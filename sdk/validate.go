package sdk

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode"

	"github.com/sandlabx/fetchd/internal/urlrule"
)

// Limits on what a Description may hold; real sources are far below them.
const (
	maxReleases = 256
	maxArches   = 32
	maxVariants = 256
	maxAliases  = 16
	maxSize     = 1 << 40 // 1 TiB: no base image is larger
)

var (
	nameRE    = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,31}$`)
	variantRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)
	tokenRE   = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._+~-]{0,63}$`)
	versionRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._+~:-]{0,127}$`)
	fprRE     = regexp.MustCompile(`^[0-9A-F]{40}$`)
)

// ValidationError says which field of a plugin's answer broke which rule.
type ValidationError struct {
	Field string
	Msg   string
}

func (e *ValidationError) Error() string { return e.Field + ": " + e.Msg }

func invalid(field, format string, args ...any) error {
	return &ValidationError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// ValidName reports whether name is a valid source name,
// [a-z0-9][a-z0-9-]* and at most 32 characters.
func ValidName(name string) bool { return nameRE.MatchString(name) }

// Validate checks a Description against the rules in the protocol; fetchd
// refuses a plugin whose Description fails. Serve checks it at start, so an
// author sees the problem before fetchd does.
func (d Description) Validate() error {
	if !nameRE.MatchString(d.Name) {
		return invalid("name", "%q is not a source name ([a-z0-9][a-z0-9-]*, at most 32 characters)", clip(d.Name))
	}
	if err := humanText("summary", d.Summary, 200); err != nil {
		return err
	}
	if !versionRE.MatchString(d.Version) || len(d.Version) > 64 {
		return invalid("version", "%q is not a version (printable, no spaces, at most 64 characters)", clip(d.Version))
	}
	if len(d.Releases) == 0 || len(d.Releases) > maxReleases {
		return invalid("releases", "%d releases, want 1 to %d", len(d.Releases), maxReleases)
	}
	seen := map[string]string{}
	claim := func(field, n string) error {
		if !tokenRE.MatchString(n) {
			return invalid(field, "%q is not a valid name (letters, digits, . _ + ~ -, at most 64)", clip(n))
		}
		if prev, ok := seen[n]; ok {
			return invalid(field, "%q already used by %s", n, prev)
		}
		seen[n] = field
		return nil
	}
	for i, r := range d.Releases {
		field := fmt.Sprintf("releases[%d]", i)
		if err := claim(field+".name", r.Name); err != nil {
			return err
		}
		if len(r.Aliases) > maxAliases {
			return invalid(field+".aliases", "%d aliases, at most %d", len(r.Aliases), maxAliases)
		}
		for j, a := range r.Aliases {
			if err := claim(fmt.Sprintf("%s.aliases[%d]", field, j), a); err != nil {
				return err
			}
		}
		if r.EOL != "" {
			if _, err := time.Parse(time.DateOnly, r.EOL); err != nil {
				return invalid(field+".eol", "%q is not a YYYY-MM-DD date", clip(r.EOL))
			}
		}
		if err := humanText(field+".summary", r.Summary, 200); err != nil {
			return err
		}
	}
	if len(d.Arches) == 0 || len(d.Arches) > maxArches {
		return invalid("arches", "%d architectures, want 1 to %d", len(d.Arches), maxArches)
	}
	seen = map[string]string{}
	for i, a := range d.Arches {
		field := fmt.Sprintf("arches[%d]", i)
		if err := claim(field+".name", a.Name); err != nil {
			return err
		}
		if len(a.Aliases) > maxAliases {
			return invalid(field+".aliases", "%d aliases, at most %d", len(a.Aliases), maxAliases)
		}
		for j, al := range a.Aliases {
			if err := claim(fmt.Sprintf("%s.aliases[%d]", field, j), al); err != nil {
				return err
			}
		}
	}
	if len(d.Variants) > maxVariants {
		return invalid("variants", "%d variants, at most %d", len(d.Variants), maxVariants)
	}
	seenVariant := map[string]bool{}
	for i, v := range d.Variants {
		field := fmt.Sprintf("variants[%d]", i)
		if !variantRE.MatchString(v.Name) {
			return invalid(field+".name", "%q is not a variant name ([a-z0-9][a-z0-9._-]*, at most 64)", clip(v.Name))
		}
		if seenVariant[v.Name] {
			return invalid(field+".name", "%q listed twice", v.Name)
		}
		seenVariant[v.Name] = true
		if err := humanText(field+".summary", v.Summary, 200); err != nil {
			return err
		}
	}
	if u, err := url.Parse(d.DefaultBaseURL); err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil {
		return invalid("default_base_url", "%q is not an https:// URL", clip(d.DefaultBaseURL))
	}
	if _, err := d.release(d.DefaultRelease); err != nil || d.DefaultRelease == "" {
		return invalid("default_release", "%q does not name a release", clip(d.DefaultRelease))
	}
	switch {
	case len(d.Variants) == 0 && d.DefaultVariant != "":
		return invalid("default_variant", "%q set but no variants are listed", clip(d.DefaultVariant))
	case len(d.Variants) > 0 && !seenVariant[d.DefaultVariant]:
		return invalid("default_variant", "%q does not name a variant", clip(d.DefaultVariant))
	}
	return nil
}

// Canonical turns what an operator wrote (names, aliases, or empty for the
// default) into the canonical release, architecture and variant names. The
// error wraps ErrNotFound and lists what the source offers.
func (d Description) Canonical(release, arch, variant string) (r, a, v string, err error) {
	if release == "" {
		release = d.DefaultRelease
	}
	rel, err := d.release(release)
	if err != nil {
		return "", "", "", err
	}
	a, err = d.arch(arch)
	if err != nil {
		return "", "", "", err
	}
	v, err = d.variant(variant)
	if err != nil {
		return "", "", "", err
	}
	return rel.Name, a, v, nil
}

// CanonicalRelease returns the canonical name of the release called name
// (a name or an alias); the error wraps ErrNotFound and lists what the
// source offers.
func (d Description) CanonicalRelease(name string) (string, error) {
	r, err := d.release(name)
	return r.Name, err
}

func (d Description) release(name string) (Release, error) {
	for _, r := range d.Releases {
		if r.Name == name {
			return r, nil
		}
		for _, a := range r.Aliases {
			if a == name {
				return r, nil
			}
		}
	}
	var have []string
	for _, r := range d.Releases {
		s := r.Name
		if len(r.Aliases) > 0 {
			s += " (" + strings.Join(r.Aliases, ", ") + ")"
		}
		have = append(have, s)
	}
	return Release{}, fmt.Errorf("release %q is not offered by %s (it has: %s): %w", clip(name), d.Name, strings.Join(have, "; "), ErrNotFound)
}

func (d Description) arch(name string) (string, error) {
	var have []string
	for _, a := range d.Arches {
		if a.Name == name {
			return a.Name, nil
		}
		for _, al := range a.Aliases {
			if al == name {
				return a.Name, nil
			}
		}
		s := a.Name
		if len(a.Aliases) > 0 {
			s += " (" + strings.Join(a.Aliases, ", ") + ")"
		}
		have = append(have, s)
	}
	if name == "" {
		return "", fmt.Errorf("no architecture given: %w", ErrInvalidArgument)
	}
	return "", fmt.Errorf("architecture %q is not offered by %s (it has: %s): %w", clip(name), d.Name, strings.Join(have, ", "), ErrNotFound)
}

func (d Description) variant(name string) (string, error) {
	if len(d.Variants) == 0 {
		if name == "" {
			return "", nil
		}
		return "", fmt.Errorf("variant %q: %s has no variants: %w", clip(name), d.Name, ErrNotFound)
	}
	if name == "" {
		return d.DefaultVariant, nil
	}
	var have []string
	for _, v := range d.Variants {
		if v.Name == name {
			return v.Name, nil
		}
		have = append(have, v.Name)
	}
	return "", fmt.Errorf("variant %q is not offered by %s (it has: %s): %w", clip(name), d.Name, strings.Join(have, ", "), ErrNotFound)
}

// Validate checks an Artifact against the rules in the protocol. baseURL is
// the effective base URL of the request (http:// artifact URLs are allowed
// only on its host and port when it is http://); d is the source's
// Description, whose canonical names the artifact must use. fetchd refuses
// an artifact that fails; Serve checks it before sending, so an author sees
// the problem first.
func (a Artifact) Validate(baseURL string, d Description) error {
	if _, err := urlrule.Check(a.URL, baseURL); err != nil {
		return invalid("url", "%v", err)
	}
	if err := ValidFileName(a.FileName); err != nil {
		return invalid("file_name", "%v", err)
	}
	if !versionRE.MatchString(a.Version) {
		return invalid("version", "%q is not a build identifier (printable, no spaces, at most 128 characters)", clip(a.Version))
	}
	if a.Format != FormatQCOW2 && a.Format != FormatRaw {
		return invalid("format", "%q is not a known format (qcow2, raw)", clip(string(a.Format)))
	}
	if a.Size < 0 || a.Size > maxSize {
		return invalid("size", "%d is out of range (0 for unknown, at most 1 TiB)", a.Size)
	}
	if err := a.Digest.Validate(); err != nil {
		return invalid("checksum", "%v", err)
	}
	if u, err := url.Parse(a.ChecksumURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return invalid("checksum_url", "%q is not an http(s) URL", clip(a.ChecksumURL))
	}
	if err := a.Signature.validate(); err != nil {
		return err
	}
	if a.ImageSignatureURL != "" {
		if _, err := urlrule.Check(a.ImageSignatureURL, baseURL); err != nil {
			return invalid("image_signature_url", "%v", err)
		}
	}
	if _, err := d.release(a.Release); err != nil || !isReleaseName(d, a.Release) {
		return invalid("release", "%q is not a canonical release name of %s", clip(a.Release), d.Name)
	}
	if got, err := d.arch(a.Arch); err != nil || got != a.Arch {
		return invalid("arch", "%q is not a canonical architecture name of %s", clip(a.Arch), d.Name)
	}
	if got, err := d.variant(a.Variant); err != nil || got != a.Variant || (a.Variant == "" && len(d.Variants) > 0) {
		return invalid("variant", "%q is not a variant of %s", clip(a.Variant), d.Name)
	}
	return nil
}

func isReleaseName(d Description, name string) bool {
	for _, r := range d.Releases {
		if r.Name == name {
			return true
		}
	}
	return false
}

func (s Signature) validate() error {
	if err := humanText("signature.detail", s.Detail, 200); err != nil {
		return err
	}
	switch s.Status {
	case SignatureVerified:
		if !fprRE.MatchString(s.KeyFingerprint) {
			return invalid("signature.key_fingerprint", "%q is not 40 uppercase hex digits", clip(s.KeyFingerprint))
		}
		if u, err := url.Parse(s.SignatureURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return invalid("signature.signature_url", "%q is not an http(s) URL", clip(s.SignatureURL))
		}
		if s.KeyOrigin != KeyEmbedded && s.KeyOrigin != KeyOperator {
			return invalid("signature.key_origin", "%q is not embedded or operator", clip(string(s.KeyOrigin)))
		}
	case SignatureUnsigned:
		if s.KeyFingerprint != "" || s.SignatureURL != "" || s.KeyOrigin != "" {
			return invalid("signature", "unsigned but names a key or signature")
		}
		if s.Detail == "" {
			return invalid("signature.detail", "unsigned without saying why")
		}
	default:
		return invalid("signature.status", "%q is not verified or unsigned", clip(string(s.Status)))
	}
	return nil
}

// ValidFileName checks that name is a plain file name: not empty, no "/",
// "\" or NUL, no control characters, no leading ".", at most 255 bytes.
func ValidFileName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("empty file name")
	case len(name) > 255:
		return fmt.Errorf("file name longer than 255 bytes")
	case strings.ContainsAny(name, "/\\\x00"):
		return fmt.Errorf("file name %q contains a path separator or NUL", clip(name))
	case strings.HasPrefix(name, "."):
		return fmt.Errorf("file name %q starts with a dot", clip(name))
	}
	for _, r := range name {
		if unicode.IsControl(r) || r == unicode.ReplacementChar {
			return fmt.Errorf("file name %q contains a control character or invalid UTF-8", clip(name))
		}
	}
	return nil
}

func humanText(field, s string, max int) error {
	if len(s) > max {
		return invalid(field, "longer than %d bytes", max)
	}
	for _, r := range s {
		if unicode.IsControl(r) || r == unicode.ReplacementChar {
			return invalid(field, "contains a control character or invalid UTF-8")
		}
	}
	return nil
}

// clip shortens s for an error message.
func clip(s string) string {
	const n = 80
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
