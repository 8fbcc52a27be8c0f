package debian

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/sandlabx/fetchd/sdk"
)

// buildRE matches a dated build directory: YYYYMMDD-N, N being the build
// pipeline's counter (four digits since 2020; more allowed).
var buildRE = regexp.MustCompile(`^([0-9]{8})-[0-9]{1,10}$`)

// ParseBuild checks that s names a dated build (YYYYMMDD-N with a real
// date) and returns it. Errors wrap sdk.ErrBadMetadata.
func ParseBuild(s string) (string, error) {
	m := buildRE.FindStringSubmatch(s)
	if m == nil {
		return "", fmt.Errorf("%q is not a dated build (YYYYMMDD-N): %w", clip(s), sdk.ErrBadMetadata)
	}
	if _, err := time.Parse("20060102", m[1]); err != nil {
		return "", fmt.Errorf("%q is not a dated build: %q is not a date: %w", s, m[1], sdk.ErrBadMetadata)
	}
	return s, nil
}

// PinnedRef checks that ref, a manifest's data.ref, is exactly where the
// pinned qcow2 image of r/variant/arch must be:
//
//	<codename>/<build>/debian-<N>-<variant>-<arch>-<build>.qcow2             (release builds)
//	<codename>/daily/<build>/debian-<N>-<variant>-<arch>-daily-<build>.qcow2 (daily builds)
//
// and returns the build ("20250210-2019"). A ref anywhere else (another
// release, variant or arch, latest/, a path with "..") is refused: the
// manifest would be pointing at some other image. Errors wrap
// sdk.ErrBadMetadata.
func PinnedRef(r release, variant, arch, ref string) (string, error) {
	prefix := r.dir() + "/"
	rest, ok := strings.CutPrefix(ref, prefix)
	if !ok {
		return "", fmt.Errorf("image ref %q is not under %q: %w", clip(ref), prefix, sdk.ErrBadMetadata)
	}
	dir, file, ok := strings.Cut(rest, "/")
	if !ok || strings.Contains(file, "/") {
		return "", fmt.Errorf("image ref %q: want %s<build>/<file>: %w", clip(ref), prefix, sdk.ErrBadMetadata)
	}
	build, err := ParseBuild(dir)
	if err != nil {
		return "", fmt.Errorf("image ref %q: build directory %w", clip(ref), err)
	}
	if want := r.family(variant, arch) + "-" + build + ".qcow2"; file != want {
		return "", fmt.Errorf("image ref %q names file %q, want %q: %w", clip(ref), clip(file), want, sdk.ErrBadMetadata)
	}
	return build, nil
}
