// Package replica writes a replica of cloud-images.ubuntu.com for tests:
// the Ubuntu plugin's own tests and fetchd's end-to-end tests, which serve
// it with internal/replica.Serve and point the ubuntu source's base_url at
// the server.
//
// Write lays out, under a root directory that stands for the base URL, the
// files and directory names upstream uses:
//
//	releases/streams/v1/index.json (+ .sjson)                      simplestreams index of released builds
//	releases/streams/v1/com.ubuntu.cloud:released:download.json    products com.ubuntu.cloud:server:<version>:<arch>
//	releases/<codename>/release-<serial>/                          one release build, every architecture:
//	    ubuntu-<version>-server-cloudimg-<arch>.img                  the qcow2 (simplestreams ftype disk1.img)
//	    ubuntu-<version>-server-cloudimg-<arch>.manifest, .squashfs, -lxd.tar.xz, ...
//	    SHA256SUMS, MD5SUMS                                          "<hex> *<name>", sorted by digest
//	    SHA256SUMS.gpg                                               detached signature over SHA256SUMS
//	releases/<codename>/release -> release-<newest serial>
//	releases/<version> -> <codename>
//	releases/server/releases -> ..                                 so item paths (server/releases/...) resolve
//	daily/streams/v1/index.json, com.ubuntu.cloud:daily:download.json   products com.ubuntu.cloud.daily:server:<version>:<arch>
//	<codename>/<serial>/<codename>-server-cloudimg-<arch>.img        daily builds, with their SHA256SUMS(.gpg)
//	<codename>/current -> <newest serial>
//	daily/server/<codename> -> ../../<codename>
//	index.html in every directory                                  nginx-style listings
//
// Every release has several builds whose serials order in ways a resolver
// gets wrong: 20261030 < 20261030.1, and 20261113.9 < 20261113.10 although
// byte-wise sorting and the JSON documents' key order say otherwise. The
// releases are 18.04 (in the stream only as an old, unsupported product
// with an i386 build), 20.04, 22.04, 24.04 and 26.04, each with amd64,
// arm64, armhf, ppc64el, riscv64 and s390x in both variants.
//
// SHA256SUMS.gpg and the .sjson files are signed with a throwaway key
// (Options.Key, or a new one): tests give its public key to the plugin with
// ubuntu.WithKeyring or as the operator's trusted keys.
//
// Layout.Newest says what a correct Resolve must return; Layout.Publish adds
// a newer build in place (new directory, then streams, then links), for
// tests of "outdated" and of upstream changing between resolve and
// download. Tests that break the tree on purpose rewrite files under
// Layout.Root and call Layout.Resign to keep SHA256SUMS signed.
package replica
