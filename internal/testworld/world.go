// Package testworld lays out replicas of all three upstreams (Ubuntu,
// Debian, Alpine) side by side with real qcow2 images, for fetchd's
// end-to-end tests and benchmarks: serve the root, point each source's
// base_url at its directory, and `fetchd sync` installs the three default
// images exactly as it would from the real mirrors.
package testworld

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	alpinereplica "github.com/sandlabx/fetchd/plugins/alpine/replica"
	debianreplica "github.com/sandlabx/fetchd/plugins/debian/replica"
	ubuntureplica "github.com/sandlabx/fetchd/plugins/ubuntu/replica"
	"github.com/sandlabx/fetchd/sdk/signature/sigtest"
)

// World is the three replicas under one root.
type World struct {
	Root   string
	Ubuntu *ubuntureplica.Layout
	Debian *debianreplica.Layout
	Alpine *alpinereplica.Layout
	// UbuntuKeyFile holds the public half of the key that signs the Ubuntu
	// replica's SHA256SUMS: the operator-configured key of the tests (the
	// built-in source trusts Canonical's key, which cannot sign a replica).
	UbuntuKeyFile string
	// AlpineKeyFile holds the public half of the key that signs the Alpine
	// replica's image .asc files. Config leaves it out (as the built-in
	// default does: Alpine's key is not confirmed); tests that check image
	// signatures configure it.
	AlpineKeyFile string
	// StrangerKeyFile holds a public key that signs nothing in the world:
	// the wrong key an operator might configure.
	StrangerKeyFile string
}

// Write lays out root/ubuntu, root/debian and root/alpine. content gives
// the bytes of every image file (a testutil.Qcow2Factory's Content makes
// them real and distinct).
func Write(root string, content func(string) ([]byte, error)) (*World, error) {
	w := &World{Root: root}
	var err error
	if w.Ubuntu, err = ubuntureplica.Write(filepath.Join(root, "ubuntu"), ubuntureplica.Options{Content: content}); err != nil {
		return nil, fmt.Errorf("ubuntu replica: %w", err)
	}
	if w.Debian, err = debianreplica.Write(filepath.Join(root, "debian"), debianreplica.Options{Content: content, Releases: []string{"13"}}); err != nil {
		return nil, fmt.Errorf("debian replica: %w", err)
	}
	if w.Alpine, err = alpinereplica.Write(filepath.Join(root, "alpine"), alpinereplica.Options{Content: content}); err != nil {
		return nil, fmt.Errorf("alpine replica: %w", err)
	}
	stranger, err := sigtest.NewKey("Stranger, test only", "stranger@example.invalid")
	if err != nil {
		return nil, err
	}
	w.UbuntuKeyFile = filepath.Join(root, "ubuntu-replica-key.asc")
	w.AlpineKeyFile = filepath.Join(root, "alpine-replica-key.asc")
	w.StrangerKeyFile = filepath.Join(root, "stranger-key.asc")
	for file, key := range map[string][]byte{
		w.UbuntuKeyFile:   w.Ubuntu.Key().PublicArmored(),
		w.AlpineKeyFile:   w.Alpine.Key.PublicArmored(),
		w.StrangerKeyFile: stranger.PublicArmored(),
	} {
		if err := os.WriteFile(file, key, 0o644); err != nil {
			return nil, err
		}
	}
	return w, nil
}

// Config returns a fetchd.yaml for the three default images, with each
// source's base_url under baseURL (where root is served) and the Ubuntu
// replica's key as the operator's trusted key.
func (w *World) Config(baseURL, dir string) string {
	baseURL = strings.TrimRight(baseURL, "/")
	return fmt.Sprintf(`dir: %s
sources:
  ubuntu:
    base_url: %s/ubuntu
    keys: [%s]
  debian:
    base_url: %s/debian
  alpine:
    base_url: %s/alpine
images:
  ubuntu-24-lts.qcow2: {source: ubuntu, release: "24.04"}
  alpine-3.qcow2:      {source: alpine, release: latest-stable}
  debian-13.qcow2:     {source: debian, release: "13"}
`, dir, baseURL, w.UbuntuKeyFile, baseURL, baseURL)
}
