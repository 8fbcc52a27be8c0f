package checksum_test

import (
	"errors"
	"fmt"

	"github.com/sandlabx/fetchd/sdk/checksum"
)

// An Ubuntu SHA256SUMS file, as served next to the images.
const sha256sums = `ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb *ubuntu-24.04-server-cloudimg-amd64.img
3e23e8160039594a33894f6564e1b1348bbd7a0088d42c4acb73eeaed59c009d *ubuntu-24.04-server-cloudimg-arm64.img
`

func ExampleFind() {
	d, err := checksum.Find([]byte(sha256sums), checksum.SHA256, "ubuntu-24.04-server-cloudimg-amd64.img")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(d)
	// Output:
	// sha256:ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb
}

// A name that is not in the file, even as a substring of another, is an
// error that lists similar names.
func ExampleFind_notFound() {
	_, err := checksum.Find([]byte(sha256sums), checksum.SHA256, "ubuntu-24.04-server-cloudimg-amd64")
	var nf *checksum.NotFoundError
	if errors.As(err, &nf) {
		fmt.Println(nf.Similar)
	}
	fmt.Println(err)
	// Output:
	// [ubuntu-24.04-server-cloudimg-amd64.img ubuntu-24.04-server-cloudimg-arm64.img]
	// no sha256 digest for "ubuntu-24.04-server-cloudimg-amd64" among 2 entries; similar names: "ubuntu-24.04-server-cloudimg-amd64.img", "ubuntu-24.04-server-cloudimg-arm64.img"
}

// Alpine publishes one <image>.sha512 per image, holding only the digest.
func ExampleParseBare() {
	body := []byte("1f40fc92da241694750979ee6cf582f2d5d7d28e18335de05abc54d0560e0f5302860c652bf08d560252aa5e74210546f369fbbbce8c12cfc7957b2652fe9a75\n")
	d, err := checksum.ParseBare(body, checksum.SHA512, "nocloud_alpine-3.19.1-x86_64-uefi-cloudinit-r0.qcow2")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(d.Short())
	// Output:
	// sha512:1f40fc92da24…
}

// Parse keeps every sha256 and sha512 line, in file order, for a plugin that
// needs more than one name.
func ExampleParse() {
	f, err := checksum.Parse([]byte("# Fedora\nSHA256 (Fedora-Cloud-Base-Generic-42-1.1.x86_64.qcow2) = 2e7d2c03a9507ae265ecf5b5356885a53393a2029d241394997265a1a25aefc6\n"), checksum.SHA256)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, e := range f.Entries {
		fmt.Println(e.Line, e.Name, e.Digest.Short())
	}
	// Output:
	// 2 Fedora-Cloud-Base-Generic-42-1.1.x86_64.qcow2 sha256:2e7d2c03a950…
}
