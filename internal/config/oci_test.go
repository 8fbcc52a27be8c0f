package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseOCI(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	pub, err := os.ReadFile(filepath.Join("testdata", "placeholder-key.asc"))
	if err != nil {
		t.Fatal(err)
	}
	key := writeFile(t, filepath.Join(dir, "publisher.asc"), string(pub))
	file := filepath.Join(dir, "fetchd.yaml")
	c, err := Parse(file, []byte(`
sources:
  oci:
    repository: http://registry.lab:5000/images
    credentials: docker/config.json
    keys: [publisher.asc]
images:
  ubuntu-24-lts.qcow2: {source: oci, ref: registry.lab:5443/images/ubuntu-24-lts:latest}
  alpine-3.qcow2: {source: oci}
`))
	if err != nil {
		t.Fatal(err)
	}
	want := OCISource{Repository: "http://registry.lab:5000/images", Credentials: filepath.Join(dir, "docker/config.json")}
	if diff := cmp.Diff(want, c.Sources["oci"].OCI); diff != "" {
		t.Errorf("sources.oci (-want +got):\n%s", diff)
	}
	if got := c.Sources["oci"].Keys; len(got) != 1 || got[0] != key {
		t.Errorf("keys = %v", got)
	}
	refs := map[string]string{}
	for _, im := range c.Images {
		r, err := c.OCIRef(im)
		if err != nil {
			t.Fatal(err)
		}
		refs[im.Name] = r.String()
	}
	wantRefs := map[string]string{
		"alpine-3.qcow2":      "http://registry.lab:5000/images/alpine-3:latest",
		"ubuntu-24-lts.qcow2": "registry.lab:5443/images/ubuntu-24-lts:latest",
	}
	if diff := cmp.Diff(wantRefs, refs); diff != "" {
		t.Errorf("refs (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"registry.lab:5000"}, c.HTTPHosts()); diff != "" {
		t.Errorf("HTTPHosts (-want +got):\n%s", diff)
	}
}

func TestParseOCIErrors(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct{ yaml, want string }{
		"no ref, no repository": {"images:\n  a.qcow2: {source: oci}\n", `fetchd.yaml:2: images."a.qcow2": a source oci image needs a ref`},
		"bad ref":               {"images:\n  a.qcow2: {source: oci, ref: 'ftp://r/x'}\n", `fetchd.yaml:2: images."a.qcow2".ref: reference "ftp://r/x": only http:// and https://`},
		"ref on a plugin image": {"images:\n  a.qcow2: {source: debian, release: '13', ref: r/x}\n", `fetchd.yaml:2: images."a.qcow2": ref is only for source: oci images`},
		"release on oci":        {"images:\n  a.qcow2: {source: oci, ref: r/x, release: '13'}\n", `fetchd.yaml:2: images."a.qcow2": release is not used by source oci`},
		"repository with a tag": {"sources:\n  oci:\n    repository: r/images:latest\n", `fetchd.yaml:3: sources.oci.repository: "r/images:latest": a repository root takes no tag`},
		"base_url on oci":       {"sources:\n  oci:\n    base_url: https://r\n", `fetchd.yaml:3: sources.oci: unknown key "base_url" (known: repository, credentials, keys)`},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse("fetchd.yaml", []byte(tc.yaml))
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("err = %v\nwant prefix %s", err, tc.want)
			}
		})
	}
}
