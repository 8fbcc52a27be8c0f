package ubuntu_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sandlabx/fetchd/plugins/ubuntu"
)

func TestDescribe(t *testing.T) {
	t.Parallel()
	d := ubuntu.New().Describe()
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	canonical := map[string][3]string{ // what an operator writes -> release, arch, variant
		"":         {"24.04", "amd64", "server"},
		"focal":    {"20.04", "amd64", "server"},
		"jammy":    {"22.04", "amd64", "server"},
		"noble":    {"24.04", "amd64", "server"},
		"resolute": {"26.04", "amd64", "server"},
		"lts":      {"26.04", "amd64", "server"},
		"24.04":    {"24.04", "amd64", "server"},
	}
	for in, want := range canonical {
		r, a, v, err := d.Canonical(in, "x86_64", "")
		if err != nil {
			t.Errorf("Canonical(%q): %v", in, err)
			continue
		}
		if diff := cmp.Diff(want, [3]string{r, a, v}); diff != "" {
			t.Errorf("Canonical(%q) (-want +got):\n%s", in, diff)
		}
	}
	var arches []string
	for _, a := range d.Arches {
		arches = append(arches, a.Name)
	}
	if diff := cmp.Diff([]string{"amd64", "arm64", "armhf", "ppc64el", "riscv64", "s390x"}, arches); diff != "" {
		t.Errorf("arches (-want +got):\n%s", diff)
	}
	for goArch, want := range map[string]string{"amd64": "amd64", "arm64": "arm64", "arm": "armhf", "ppc64le": "ppc64el", "riscv64": "riscv64", "s390x": "s390x"} {
		if _, a, _, err := d.Canonical("", goArch, ""); err != nil || a != want {
			t.Errorf("Go architecture %s: got %q, %v; want %s", goArch, a, err, want)
		}
	}
	if _, _, v, err := d.Canonical("", "amd64", "daily"); err != nil || v != "daily" {
		t.Errorf("variant daily: %q, %v", v, err)
	}
}
