package alpine

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseVariant(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		want Variant
		msg  string
	}{
		"nocloud-uefi-cloudinit":  {want: Variant{"nocloud", "uefi", "cloudinit"}},
		"generic-bios-tiny":       {want: Variant{"generic", "bios", "tiny"}},
		"aws-uefi-tiny":           {msg: `cloud "aws" is not one of nocloud, generic`},
		"nocloud-efi-tiny":        {msg: `firmware "efi"`},
		"nocloud-uefi-ignition":   {msg: `bootstrap "ignition"`},
		"nocloud-uefi":            {msg: "want <cloud>-<firmware>-<bootstrap>"},
		"nocloud-uefi-tiny-metal": {msg: "want <cloud>-<firmware>-<bootstrap>"},
		"":                        {msg: "want <cloud>-<firmware>-<bootstrap>"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseVariant(name)
			if tc.msg != "" {
				if err == nil || !strings.Contains(err.Error(), tc.msg) {
					t.Fatalf("ParseVariant = %v, %v; want an error containing %q", got, err, tc.msg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if got.String() != name {
				t.Errorf("String() = %q, want %q", got.String(), name)
			}
		})
	}
}

func TestDescribeVariantsParse(t *testing.T) {
	t.Parallel()
	d := New().Describe()
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	if len(d.Variants) != 8 {
		t.Errorf("%d variants, want 8 (2 clouds × 2 firmwares × 2 bootstraps)", len(d.Variants))
	}
	for _, v := range d.Variants {
		if _, err := ParseVariant(v.Name); err != nil {
			t.Errorf("Describe offers %q: %v", v.Name, err)
		}
	}
}
