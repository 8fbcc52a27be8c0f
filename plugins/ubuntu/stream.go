package ubuntu

import (
	"fmt"

	"github.com/sandlabx/fetchd/sdk"
)

// stream is where one variant's builds are listed: a simplestreams mirror
// under the base URL.
type stream struct {
	// dir is the mirror's root under the base URL: streams/v1/ lives in it
	// and item paths are relative to it.
	dir string
	// contentID names the products document in the index.
	contentID string
	// productPrefix starts every product id: <prefix>:<version>:<arch>.
	productPrefix string
	// label, when set, is the only version label used: the released stream
	// labels release builds "release" (pre-release builds, if any, have
	// other labels and other directories).
	label string
	// release says which file and directory names the variant uses.
	release bool
}

var (
	releasedStream = stream{
		dir:           "releases",
		contentID:     "com.ubuntu.cloud:released:download",
		productPrefix: "com.ubuntu.cloud:server",
		label:         "release",
		release:       true,
	}
	dailyStream = stream{
		dir:           "daily",
		contentID:     "com.ubuntu.cloud:daily:download",
		productPrefix: "com.ubuntu.cloud.daily:server",
	}
)

func streamFor(variant string) (stream, error) {
	switch variant {
	case variantServer:
		return releasedStream, nil
	case variantDaily:
		return dailyStream, nil
	}
	return stream{}, fmt.Errorf("variant %q is not offered by ubuntu (it has: %s, %s): %w", variant, variantServer, variantDaily, sdk.ErrNotFound)
}

// productID is the simplestreams product id of a release and architecture.
func (st stream) productID(version, arch string) string {
	return st.productPrefix + ":" + version + ":" + arch
}

// fileName is the qcow2 image's name: ubuntu-24.04-server-cloudimg-amd64.img
// in release directories, noble-server-cloudimg-amd64.img in daily ones.
func (st stream) fileName(r release, arch string) string {
	if st.release {
		return "ubuntu-" + r.version + "-server-cloudimg-" + arch + ".img"
	}
	return r.codename + "-server-cloudimg-" + arch + ".img"
}

// buildDir is the name of a build's directory: release-<serial> for
// release builds, <serial> for daily ones.
func (st stream) buildDir(serial string) string {
	if st.release {
		return "release-" + serial
	}
	return serial
}
