package debian

import (
	"errors"
	"strings"
	"testing"

	"github.com/sandlabx/fetchd/sdk"
)

func TestPinnedRef(t *testing.T) {
	t.Parallel()
	trixie, _ := lookupRelease("13")
	forky, _ := lookupRelease("14")
	tests := map[string]struct {
		rel             release
		variant, arch   string
		ref             string
		want            string
		wantErrContains string
	}{
		"release build":       {rel: trixie, variant: "generic", arch: "amd64", ref: "trixie/20261109-2641/debian-13-generic-amd64-20261109-2641.qcow2", want: "20261109-2641"},
		"five-digit counter":  {rel: trixie, variant: "nocloud", arch: "arm64", ref: "trixie/20261126-10000/debian-13-nocloud-arm64-20261126-10000.qcow2", want: "20261126-10000"},
		"daily build":         {rel: forky, variant: "genericcloud", arch: "arm64", ref: "forky/daily/20261126-2669/debian-14-genericcloud-arm64-daily-20261126-2669.qcow2", want: "20261126-2669"},
		"another release":     {rel: trixie, variant: "generic", arch: "amd64", ref: "bookworm/20261109-2634/debian-12-generic-amd64-20261109-2634.qcow2", wantErrContains: `is not under "trixie/"`},
		"codename as prefix":  {rel: trixie, variant: "generic", arch: "amd64", ref: "trixie-backports/20261109-2641/debian-13-backports-generic-amd64-20261109-2641.qcow2", wantErrContains: `is not under "trixie/"`},
		"another variant":     {rel: trixie, variant: "generic", arch: "amd64", ref: "trixie/20261109-2641/debian-13-nocloud-amd64-20261109-2641.qcow2", wantErrContains: `want "debian-13-generic-amd64-20261109-2641.qcow2"`},
		"another arch":        {rel: trixie, variant: "generic", arch: "amd64", ref: "trixie/20261109-2641/debian-13-generic-arm64-20261109-2641.qcow2", wantErrContains: "names file"},
		"raw, not qcow2":      {rel: trixie, variant: "generic", arch: "amd64", ref: "trixie/20261109-2641/debian-13-generic-amd64-20261109-2641.raw", wantErrContains: "names file"},
		"build mismatch":      {rel: trixie, variant: "generic", arch: "amd64", ref: "trixie/20261109-2641/debian-13-generic-amd64-20261109-2635.qcow2", wantErrContains: "names file"},
		"latest":              {rel: trixie, variant: "generic", arch: "amd64", ref: "trixie/latest/debian-13-generic-amd64.qcow2", wantErrContains: `"latest" is not a dated build`},
		"daily for a release": {rel: trixie, variant: "generic", arch: "amd64", ref: "trixie/daily/20261125-2665/debian-13-generic-amd64-daily-20261125-2665.qcow2", wantErrContains: "want trixie/<build>/<file>"},
		"release for daily":   {rel: forky, variant: "generic", arch: "amd64", ref: "forky/20261126-2669/debian-14-generic-amd64-20261126-2669.qcow2", wantErrContains: `is not under "forky/daily/"`},
		"dot-dot":             {rel: trixie, variant: "generic", arch: "amd64", ref: "trixie/../debian-13-generic-amd64-20261109-2641.qcow2", wantErrContains: `".." is not a dated build`},
		"deeper path":         {rel: trixie, variant: "generic", arch: "amd64", ref: "trixie/20261109-2641/x/debian-13-generic-amd64-20261109-2641.qcow2", wantErrContains: "want trixie/<build>/<file>"},
		"absolute":            {rel: trixie, variant: "generic", arch: "amd64", ref: "/trixie/20261109-2641/debian-13-generic-amd64-20261109-2641.qcow2", wantErrContains: "is not under"},
		"url":                 {rel: trixie, variant: "generic", arch: "amd64", ref: "https://evil.example/trixie/20261109-2641/debian-13-generic-amd64-20261109-2641.qcow2", wantErrContains: "is not under"},
		"query":               {rel: trixie, variant: "generic", arch: "amd64", ref: "trixie/20261109-2641/debian-13-generic-amd64-20261109-2641.qcow2?archive=false", wantErrContains: "names file"},
		"not a date":          {rel: trixie, variant: "generic", arch: "amd64", ref: "trixie/20261340-2641/debian-13-generic-amd64-20261340-2641.qcow2", wantErrContains: `"20261340" is not a date`},
		"short date":          {rel: trixie, variant: "generic", arch: "amd64", ref: "trixie/2026110-2641/debian-13-generic-amd64-2026110-2641.qcow2", wantErrContains: "not a dated build"},
		"empty":               {rel: trixie, variant: "generic", arch: "amd64", ref: "", wantErrContains: "is not under"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := PinnedRef(tc.rel, tc.variant, tc.arch, tc.ref)
			if tc.wantErrContains != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErrContains) || !errors.Is(err, sdk.ErrBadMetadata) {
					t.Fatalf("PinnedRef(%q) = %q, %v; want an ErrBadMetadata containing %q", tc.ref, got, err, tc.wantErrContains)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("PinnedRef(%q) = %q, %v; want %q", tc.ref, got, err, tc.want)
			}
		})
	}
}
