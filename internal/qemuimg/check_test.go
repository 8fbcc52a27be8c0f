package qemuimg

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The testdata files are real `qemu-img check --output=json` output
// (qemu-img 7.2): exit 0, 3 and 2 respectively.
func TestParseCheckCaptured(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		file string
		want *CheckResult
	}{
		"clean": {"check-qcow2-clean.json", &CheckResult{
			Filename: "clean.qcow2", Format: "qcow2", ImageEndOffset: 393216, TotalClusters: 1024, AllocatedClusters: 1,
		}},
		"leaked cluster": {"check-qcow2-leaks.json", &CheckResult{
			Filename: "leak.qcow2", Format: "qcow2", Leaks: 1, ImageEndOffset: 393216, TotalClusters: 1024,
		}},
		"corrupt": {"check-qcow2-corrupt.json", &CheckResult{
			Filename: "corrupt.qcow2", Format: "qcow2", Corruptions: 2, ImageEndOffset: 393216, TotalClusters: 1024, AllocatedClusters: 1,
		}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseCheck(readTestdata(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ParseCheck (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseCheckErrors(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"empty":             ``,
		"stderr text":       `qemu-img: This image format does not support checks`,
		"no format":         `{"check-errors": 0}`,
		"no check-errors":   `{"format": "qcow2"}`,
		"negative leaks":    `{"format": "qcow2", "check-errors": 0, "leaks": -1}`,
		"negative errors":   `{"format": "qcow2", "check-errors": -3}`,
		"float corruptions": `{"format": "qcow2", "check-errors": 0, "corruptions": 1.5}`,
		"two objects":       `{"format": "qcow2", "check-errors": 0}{"format": "qcow2", "check-errors": 0}`,
	}
	for name, in := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if c, err := ParseCheck([]byte(in)); err == nil {
				t.Fatalf("ParseCheck(%q) = %+v, want an error", in, c)
			}
		})
	}
}

func TestCheckResultString(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		c    CheckResult
		want string
	}{
		"clean": {CheckResult{Status: CheckClean}, "clean"},
		"leaks": {CheckResult{Status: CheckLeaks, Leaks: 4}, "leaked clusters (4)"},
		"raw":   {CheckResult{Status: CheckUnsupported, Format: "raw"}, "no check for format raw"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if got := tc.c.String(); got != tc.want {
				t.Errorf("String() = %q, want %q", got, tc.want)
			}
		})
	}
}
