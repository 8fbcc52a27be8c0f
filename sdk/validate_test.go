package sdk

import (
	"errors"
	"strings"
	"testing"

	"github.com/sandlabx/fetchd/sdk/checksum"
)

func testDescription() Description {
	return Description{
		Name:           "demo",
		Summary:        "demo source",
		Version:        "1.2.3",
		Releases:       []Release{{Name: "1.0", Aliases: []string{"old"}, EOL: "2027-01-31"}, {Name: "2.0", Aliases: []string{"stable"}}},
		Arches:         []Arch{{Name: "x86_64", Aliases: []string{"amd64"}}, {Name: "aarch64", Aliases: []string{"arm64"}}},
		Variants:       []Variant{{Name: "cloud"}, {Name: "tiny"}},
		DefaultBaseURL: "https://images.example.org",
		DefaultRelease: "stable",
		DefaultVariant: "cloud",
	}
}

func TestDescriptionValidate(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		edit func(*Description)
		want string // "" = valid
	}{
		"valid":                    {func(*Description) {}, ""},
		"name with slash":          {func(d *Description) { d.Name = "a/b" }, `name: "a/b" is not a source name`},
		"uppercase name":           {func(d *Description) { d.Name = "Demo" }, "is not a source name"},
		"long name":                {func(d *Description) { d.Name = strings.Repeat("a", 33) }, "is not a source name"},
		"summary with newline":     {func(d *Description) { d.Summary = "a\nb" }, "summary: contains a control character"},
		"no version":               {func(d *Description) { d.Version = "" }, "version:"},
		"no releases":              {func(d *Description) { d.Releases = nil }, "releases: 0 releases"},
		"alias twice":              {func(d *Description) { d.Releases[1].Aliases = []string{"old"} }, `"old" already used by releases[0].aliases[0]`},
		"alias equals a name":      {func(d *Description) { d.Releases[1].Aliases = []string{"1.0"} }, `"1.0" already used`},
		"bad eol":                  {func(d *Description) { d.Releases[0].EOL = "soon" }, "is not a YYYY-MM-DD date"},
		"release with space":       {func(d *Description) { d.Releases[0].Name = "1 0" }, "is not a valid name"},
		"no arches":                {func(d *Description) { d.Arches = nil }, "arches: 0 architectures"},
		"variant twice":            {func(d *Description) { d.Variants = append(d.Variants, Variant{Name: "tiny"}) }, `"tiny" listed twice`},
		"http base url":            {func(d *Description) { d.DefaultBaseURL = "http://images.example.org" }, "is not an https:// URL"},
		"default release unknown":  {func(d *Description) { d.DefaultRelease = "9" }, `default_release: "9" does not name a release`},
		"default variant unknown":  {func(d *Description) { d.DefaultVariant = "huge" }, "does not name a variant"},
		"default variant, no list": {func(d *Description) { d.Variants = nil }, "set but no variants are listed"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			d := testDescription()
			tc.edit(&d)
			err := d.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("Validate() = %v, want nil", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("Validate() = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestCanonical(t *testing.T) {
	t.Parallel()
	d := testDescription()
	r, a, v, err := d.Canonical("", "amd64", "")
	if err != nil || r != "2.0" || a != "x86_64" || v != "cloud" {
		t.Errorf("Canonical(defaults) = %q %q %q %v", r, a, v, err)
	}
	r, a, v, err = d.Canonical("old", "aarch64", "tiny")
	if err != nil || r != "1.0" || a != "aarch64" || v != "tiny" {
		t.Errorf("Canonical(aliases) = %q %q %q %v", r, a, v, err)
	}
	for _, bad := range [][3]string{{"3.0", "amd64", ""}, {"", "sparc", ""}, {"", "amd64", "huge"}} {
		if _, _, _, err := d.Canonical(bad[0], bad[1], bad[2]); !errors.Is(err, ErrNotFound) {
			t.Errorf("Canonical(%q) = %v, want ErrNotFound", bad, err)
		}
	}
	if _, _, _, err := d.Canonical("", "", ""); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("Canonical without arch = %v, want ErrInvalidArgument", err)
	}
}

func testArtifact() Artifact {
	return Artifact{
		URL:         "https://images.example.org/2.0/demo-2.0-x86_64.qcow2",
		FileName:    "demo-2.0-x86_64.qcow2",
		Version:     "2.0.20260101",
		Format:      FormatQCOW2,
		Size:        1 << 20,
		Digest:      checksum.Digest{Algorithm: checksum.SHA512, Hex: strings.Repeat("a", 128)},
		ChecksumURL: "https://images.example.org/2.0/SHA512SUMS",
		Signature:   Verified(strings.Repeat("AB", 20), "https://images.example.org/2.0/SHA512SUMS.gpg", KeyEmbedded, "ok"),
		Release:     "2.0",
		Arch:        "x86_64",
		Variant:     "cloud",
	}
}

func TestArtifactValidate(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		edit func(*Artifact)
		base string
		want string
	}{
		"valid":                    {func(*Artifact) {}, "", ""},
		"http on configured base":  {func(a *Artifact) { a.URL = "http://127.0.0.1:8080/x.qcow2" }, "http://127.0.0.1:8080", ""},
		"file url":                 {func(a *Artifact) { a.URL = "file:///etc/shadow" }, "", `scheme "file" not allowed`},
		"http elsewhere":           {func(a *Artifact) { a.URL = "http://evil.example/x.qcow2" }, "http://127.0.0.1:8080", "http:// is allowed only"},
		"file name with slash":     {func(a *Artifact) { a.FileName = "a/b.qcow2" }, "", "contains a path separator"},
		"file name dot dot":        {func(a *Artifact) { a.FileName = ".." }, "", "starts with a dot"},
		"hidden file name":         {func(a *Artifact) { a.FileName = ".x" }, "", "starts with a dot"},
		"empty version":            {func(a *Artifact) { a.Version = "" }, "", "version:"},
		"unknown format":           {func(a *Artifact) { a.Format = "vmdk" }, "", `"vmdk" is not a known format`},
		"negative size":            {func(a *Artifact) { a.Size = -1 }, "", "size:"},
		"short digest":             {func(a *Artifact) { a.Digest.Hex = a.Digest.Hex[:127] }, "", "has 127 hex digits, want 128"},
		"uppercase digest":         {func(a *Artifact) { a.Digest.Hex = strings.Repeat("A", 128) }, "", "not lowercase hex"},
		"md5":                      {func(a *Artifact) { a.Digest.Algorithm = "md5" }, "", "unknown digest algorithm"},
		"no checksum url":          {func(a *Artifact) { a.ChecksumURL = "" }, "", "checksum_url"},
		"verified without key":     {func(a *Artifact) { a.Signature.KeyFingerprint = "" }, "", "key_fingerprint"},
		"verified without origin":  {func(a *Artifact) { a.Signature.KeyOrigin = "" }, "", "key_origin"},
		"unsigned naming a key":    {func(a *Artifact) { a.Signature.Status = SignatureUnsigned }, "", "unsigned but names a key"},
		"unknown signature status": {func(a *Artifact) { a.Signature.Status = "trusted" }, "", `"trusted" is not verified or unsigned`},
		"alias as release":         {func(a *Artifact) { a.Release = "stable" }, "", "is not a canonical release name"},
		"alias as arch":            {func(a *Artifact) { a.Arch = "amd64" }, "", "is not a canonical architecture name"},
		"no variant":               {func(a *Artifact) { a.Variant = "" }, "", "is not a variant"},
		"image signature url":      {func(a *Artifact) { a.ImageSignatureURL = a.URL + ".asc" }, "", ""},
		"image signature file url": {func(a *Artifact) { a.ImageSignatureURL = "file:///etc/passwd" }, "", `image_signature_url: url "file:///etc/passwd" refused: scheme "file" not allowed`},
		"image signature http elsewhere": {func(a *Artifact) { a.ImageSignatureURL = "http://evil.example/x.asc" }, "http://127.0.0.1:8080",
			"image_signature_url: url \"http://evil.example/x.asc\" refused: http:// is allowed only"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			a := testArtifact()
			tc.edit(&a)
			err := a.Validate(tc.base, testDescription())
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("Validate() = %v, want nil", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("Validate() = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestToStatusCodes(t *testing.T) {
	t.Parallel()
	for kind, want := range map[error]string{
		ErrNotFound:            "NotFound",
		ErrInvalidArgument:     "InvalidArgument",
		ErrUnavailable:         "Unavailable",
		ErrBadMetadata:         "FailedPrecondition",
		ErrUnimplemented:       "Unimplemented",
		errors.New("whatever"): "Internal",
	} {
		err := toStatus(errorf("wrapped: %w", kind))
		if !strings.Contains(err.Error(), "code = "+want) {
			t.Errorf("toStatus(%v) = %v, want code %s", kind, err, want)
		}
	}
}

func errorf(format string, err error) error {
	return &wrapped{msg: strings.Replace(format, "%w", err.Error(), 1), err: err}
}

type wrapped struct {
	msg string
	err error
}

func (w *wrapped) Error() string { return w.msg }
func (w *wrapped) Unwrap() error { return w.err }
