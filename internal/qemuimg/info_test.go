package qemuimg

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The testdata files are real `qemu-img info --output=json` output
// (qemu-img 7.2, Debian 12).
func TestParseInfoCaptured(t *testing.T) {
	t.Parallel()
	qcow2 := func(f func(*Info)) *Info {
		i := &Info{Format: "qcow2", VirtualSize: 64 << 20, ClusterSize: 65536, Compat: "1.1", FormatSpecificType: "qcow2"}
		f(i)
		return i
	}
	tests := map[string]struct {
		file   string
		want   *Info
		refuse string // CheckInfo(…, want.Format) error substring; "" = accepted
	}{
		"clean qcow2": {
			file: "info-qcow2-clean.json",
			want: qcow2(func(i *Info) { i.Filename, i.ActualSize = "clean.qcow2", 331776 }),
		},
		"qcow2 v2": {
			file: "info-qcow2-v2.json",
			want: qcow2(func(i *Info) { i.Filename, i.ActualSize, i.Compat = "v2.qcow2", 200704, "0.10" }),
		},
		"qcow2 with a snapshot": {
			file: "info-qcow2-snapshot.json",
			want: qcow2(func(i *Info) { i.Filename, i.ActualSize, i.Snapshots = "clean.qcow2", 339968, 1 }),
		},
		"backing file": {
			file: "info-qcow2-backing.json",
			want: qcow2(func(i *Info) {
				i.Filename, i.ActualSize = "backing.qcow2", 200704
				i.Backing, i.BackingFilename, i.FullBackingFilename, i.BackingFormat = true, "/tmp/capture.Msy6/back.raw", "/tmp/capture.Msy6/back.raw", "raw"
			}),
			refuse: `backing file "/tmp/capture.Msy6/back.raw" (format "raw"): images with a backing file are refused`,
		},
		"external data file": {
			file: "info-qcow2-datafile.json",
			want: qcow2(func(i *Info) {
				i.Filename, i.ActualSize = "datafile.qcow2", 200704
				i.HasDataFile, i.DataFile = true, "/tmp/capture.Msy6/data.raw"
			}),
			refuse: `external data file "/tmp/capture.Msy6/data.raw"`,
		},
		"luks encrypted": {
			file:   "info-qcow2-luks.json",
			want:   qcow2(func(i *Info) { i.Filename, i.ActualSize, i.Encrypted = "luks.qcow2", 2297856, true }),
			refuse: "image is encrypted",
		},
		"corrupt bit": {
			file:   "info-qcow2-corrupt-bit.json",
			want:   qcow2(func(i *Info) { i.Filename, i.ActualSize, i.Corrupt = "cbit.qcow2", 86016, true }),
			refuse: "marked corrupt",
		},
		"raw": {
			file: "info-raw.json",
			want: &Info{Filename: "disk.raw", Format: "raw", VirtualSize: 64 << 20, ActualSize: 4096},
		},
		"qcow2 opened as raw": {
			file: "info-raw-of-qcow2.json",
			want: &Info{Filename: "clean.qcow2", Format: "raw", VirtualSize: 393216, ActualSize: 331776},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseInfo(readTestdata(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ParseInfo (-want +got):\n%s", diff)
			}
			err = CheckInfo(got, tc.want.Format)
			if tc.refuse == "" {
				if err != nil {
					t.Fatalf("CheckInfo refused: %v", err)
				}
				return
			}
			if _, ok := errors.AsType[*RefusedError](err); !ok || !strings.Contains(err.Error(), tc.refuse) {
				t.Fatalf("CheckInfo = %v, want a *RefusedError containing %q", err, tc.refuse)
			}
		})
	}
}

func TestParseInfoErrors(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"empty":               ``,
		"not json":            `qemu-img: Could not open 'x'`,
		"array":               `[]`,
		"no format":           `{"virtual-size": 1}`,
		"empty format":        `{"format": "", "virtual-size": 1}`,
		"no virtual size":     `{"format": "qcow2"}`,
		"negative size":       `{"format": "qcow2", "virtual-size": -1}`,
		"string size":         `{"format": "qcow2", "virtual-size": "1"}`,
		"trailing object":     `{"format": "qcow2", "virtual-size": 1} {"format": "raw", "virtual-size": 1}`,
		"trailing garbage":    `{"format": "qcow2", "virtual-size": 1} x`,
		"snapshots not array": `{"format": "qcow2", "virtual-size": 1, "snapshots": 3}`,
		"duplicate key":       `{"format": "qcow2", "virtual-size": 1, "backing-filename": "/etc/shadow", "backing-filename": null}`,
		"case-folded key":     `{"format": "qcow2", "virtual-size": 1, "format": "raw", "FORMAT": "qcow2"}`,
		"nested duplicate":    `{"format": "qcow2", "virtual-size": 1, "format-specific": {"data": {"data-file": "/x", "Data-File": null}}}`,
		"kelvin-sign fold":    `{"format": "qcow2", "virtual-size": 1, "bacKing-filename": 1, "backing-filename": 2}`,
	}
	for name, in := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if info, err := ParseInfo([]byte(in)); err == nil {
				t.Fatalf("ParseInfo(%q) = %+v, want an error", in, info)
			}
		})
	}
}

func TestCheckInfoRefuses(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		json   string
		format string
		want   string
	}{
		"format mismatch":                  {`{"format": "raw", "virtual-size": 1}`, "qcow2", `format is "raw", want "qcow2"`},
		"format-specific type mismatch":    {`{"format": "qcow2", "virtual-size": 1, "format-specific": {"type": "qed", "data": {}}}`, "qcow2", "format-specific type"},
		"null backing filename":            {`{"format": "qcow2", "virtual-size": 1, "backing-filename": null}`, "qcow2", "backing file"},
		"empty backing filename":           {`{"format": "qcow2", "virtual-size": 1, "backing-filename": ""}`, "qcow2", "backing file"},
		"backing format only":              {`{"format": "qcow2", "virtual-size": 1, "backing-filename-format": "raw"}`, "qcow2", "backing file"},
		"backing image only":               {`{"format": "qcow2", "virtual-size": 1, "backing-image": {}}`, "qcow2", "backing file"},
		"null data file":                   {`{"format": "qcow2", "virtual-size": 1, "format-specific": {"type": "qcow2", "data": {"data-file": null}}}`, "qcow2", "external data file"},
		"encrypted flag":                   {`{"format": "qcow2", "virtual-size": 1, "encrypted": true}`, "qcow2", "encrypted"},
		"data-file child of qemu-img 8":    {`{"format": "qcow2", "virtual-size": 1, "children": [{"name": "file"}, {"name": "data-file"}]}`, "qcow2", `child node "data-file"`},
		"raw with format-specific as luks": {`{"format": "raw", "virtual-size": 1, "format-specific": {"type": "luks", "data": {}}}`, "raw", "format-specific type"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			info, err := ParseInfo([]byte(tc.json))
			if err != nil {
				t.Fatal(err)
			}
			err = CheckInfo(info, tc.format)
			if _, ok := errors.AsType[*RefusedError](err); !ok || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("CheckInfo = %v, want a *RefusedError containing %q", err, tc.want)
			}
		})
	}
}

func TestCheckInfoAcceptsFileChild(t *testing.T) {
	t.Parallel()
	info, err := ParseInfo([]byte(`{"format": "qcow2", "virtual-size": 1, "children": [{"name": "file", "info": {}}], "new-key": 1}`))
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckInfo(info, "qcow2"); err != nil {
		t.Fatal(err)
	}
}
