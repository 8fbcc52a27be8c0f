package oci_test

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"io"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/registry/remote"

	"github.com/sandlabx/fetchd/internal/oci"
	"github.com/sandlabx/fetchd/internal/testing/registry"
)

// TestContainerDisk publishes a build as a KubeVirt containerDisk too and
// reads it back: an image manifest whose one tar layer holds disk/<name>
// with the build's bytes, owned by KubeVirt's qemu user.
func TestContainerDisk(t *testing.T) {
	t.Parallel()
	reg := registry.Require(t, registry.Options{Auth: registry.Htpasswd, Users: users})
	dir, st, data := publisherDir(t, "debian-13.qcow2", "20261109-2641", 256<<10)
	client := clientFor(t, reg, "publisher", "pub-pass")
	pub := &oci.Publisher{Client: client, Dir: dir, To: mustRef(t, reg.Host+"/images"), ContainerDisk: true, FetchdVersion: "test"}
	res, err := pub.Publish(t.Context(), st, "debian-13.qcow2")
	if err != nil {
		t.Fatal(err)
	}
	if res.ContainerDisk == nil || res.ContainerDisk.Tag != "20261109-2641-containerdisk" {
		t.Fatalf("containerDisk ref %v", res.ContainerDisk)
	}
	repo, err := client.Repository(mustRef(t, reg.Host+"/images/debian-13"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tag := range []string{"20261109-2641-containerdisk", "latest-containerdisk"} {
		desc, rc, err := repo.FetchReference(t.Context(), tag)
		if err != nil {
			t.Fatalf("%s: %v", tag, err)
		}
		mdata, err := content.ReadAll(rc, desc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		var m ocispec.Manifest
		if err := json.Unmarshal(mdata, &m); err != nil || len(m.Layers) != 1 || m.Layers[0].MediaType != ocispec.MediaTypeImageLayer {
			t.Fatalf("%s: manifest %s (%v)", tag, mdata, err)
		}
		var cfg ocispec.Image
		if err := json.Unmarshal(fetch(t, repo, m.Config), &cfg); err != nil || cfg.OS != "linux" || cfg.Architecture != "amd64" ||
			len(cfg.RootFS.DiffIDs) != 1 || cfg.RootFS.DiffIDs[0] != m.Layers[0].Digest {
			t.Errorf("%s: config %+v (%v)", tag, cfg, err)
		}
		tr := tar.NewReader(bytes.NewReader(fetch(t, repo, m.Layers[0])))
		var names []string
		for {
			h, err := tr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			names = append(names, h.Name)
			if h.Name == "disk/debian-13.qcow2" {
				got, _ := io.ReadAll(tr)
				if !bytes.Equal(got, data) || h.Uid != 107 || h.Gid != 107 {
					t.Errorf("disk/debian-13.qcow2: %d bytes, uid %d gid %d; want the build's %d bytes, 107:107", len(got), h.Uid, h.Gid, len(data))
				}
			}
		}
		if len(names) != 2 || names[0] != "disk/" || names[1] != "disk/debian-13.qcow2" {
			t.Errorf("%s: tar holds %q, want disk/ and disk/debian-13.qcow2", tag, names)
		}
	}
	uploads := reg.BlobUploads()
	if again, err := pub.Publish(t.Context(), st, "debian-13.qcow2"); err != nil || again.Uploaded != 0 {
		t.Errorf("second publish: %+v, %v; want nothing uploaded", again, err)
	}
	if n := reg.BlobUploads() - uploads; n != 0 {
		t.Errorf("second publish completed %d blob uploads", n)
	}
}

func fetch(t *testing.T, repo *remote.Repository, d ocispec.Descriptor) []byte {
	t.Helper()
	rc, err := repo.Fetch(t.Context(), d)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := content.ReadAll(rc, d)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
