package qemuimg

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
)

// Info is what `qemu-img info --output=json` says about an image.
type Info struct {
	Filename    string
	Format      string
	VirtualSize uint64
	ActualSize  int64
	ClusterSize int64
	DirtyFlag   bool
	// Encrypted is true when qemu-img says "encrypted": true or reports
	// encryption parameters (format-specific.data.encrypt).
	Encrypted bool
	// Backing is true when any backing file key is present
	// (backing-filename, full-backing-filename, backing-filename-format,
	// backing-image), even with an empty or null value.
	Backing             bool
	BackingFilename     string
	FullBackingFilename string
	BackingFormat       string
	// HasDataFile is true when format-specific.data.data-file is present;
	// DataFile is its value.
	HasDataFile bool
	DataFile    string
	DataFileRaw bool
	// Corrupt is format-specific.data.corrupt (the qcow2 corrupt bit).
	Corrupt bool
	// Compat is the qcow2 compatibility level: "0.10" (v2) or "1.1" (v3).
	Compat string
	// FormatSpecificType is format-specific.type ("" when absent).
	FormatSpecificType string
	Snapshots          int
	// Children are the names of the image's child nodes (qemu-img ≥ 8
	// reports them: "file" for the image's own file).
	Children []string
}

type infoJSON struct {
	Filename            *string         `json:"filename"`
	Format              *string         `json:"format"`
	VirtualSize         *uint64         `json:"virtual-size"`
	ActualSize          int64           `json:"actual-size"`
	ClusterSize         int64           `json:"cluster-size"`
	DirtyFlag           bool            `json:"dirty-flag"`
	Encrypted           bool            `json:"encrypted"`
	BackingFilename     json.RawMessage `json:"backing-filename"`
	FullBackingFilename json.RawMessage `json:"full-backing-filename"`
	BackingFormat       json.RawMessage `json:"backing-filename-format"`
	BackingImage        json.RawMessage `json:"backing-image"`
	Snapshots           []struct{}      `json:"snapshots"`
	FormatSpecific      *struct {
		Type string `json:"type"`
		Data struct {
			Compat      string          `json:"compat"`
			DataFile    json.RawMessage `json:"data-file"`
			DataFileRaw bool            `json:"data-file-raw"`
			Corrupt     bool            `json:"corrupt"`
			Encrypt     json.RawMessage `json:"encrypt"`
		} `json:"data"`
	} `json:"format-specific"`
	Children []struct {
		Name string `json:"name"`
	} `json:"children"`
}

// ParseInfo parses the output of `qemu-img info --output=json`: exactly one
// JSON object with at least "format" and "virtual-size". Unknown keys are
// ignored (newer qemu-img adds some).
func ParseInfo(data []byte) (*Info, error) {
	var j infoJSON
	if err := decodeOne(data, &j); err != nil {
		return nil, fmt.Errorf("parse qemu-img info output: %w", err)
	}
	if j.Format == nil || *j.Format == "" {
		return nil, errors.New("parse qemu-img info output: no format")
	}
	if j.VirtualSize == nil {
		return nil, errors.New("parse qemu-img info output: no virtual-size")
	}
	info := &Info{
		Format:      *j.Format,
		VirtualSize: *j.VirtualSize,
		ActualSize:  j.ActualSize,
		ClusterSize: j.ClusterSize,
		DirtyFlag:   j.DirtyFlag,
		Encrypted:   j.Encrypted,
		Snapshots:   len(j.Snapshots),
	}
	if j.Filename != nil {
		info.Filename = *j.Filename
	}
	info.Backing = j.BackingFilename != nil || j.FullBackingFilename != nil || j.BackingFormat != nil || j.BackingImage != nil
	info.BackingFilename = rawString(j.BackingFilename)
	info.FullBackingFilename = rawString(j.FullBackingFilename)
	info.BackingFormat = rawString(j.BackingFormat)
	if fs := j.FormatSpecific; fs != nil {
		info.FormatSpecificType = fs.Type
		info.Compat = fs.Data.Compat
		info.HasDataFile = fs.Data.DataFile != nil
		info.DataFile = rawString(fs.Data.DataFile)
		info.DataFileRaw = fs.Data.DataFileRaw
		info.Corrupt = fs.Data.Corrupt
		if fs.Data.Encrypt != nil {
			info.Encrypted = true
		}
	}
	for _, c := range j.Children {
		info.Children = append(info.Children, c.Name)
	}
	return info, nil
}

// rawString is the string in a raw JSON value, or the raw text itself
// when it is not a string (null, a number): presence is what matters to
// the checks, and the text still shows in messages.
func rawString(m json.RawMessage) string {
	if m == nil {
		return ""
	}
	var s string
	if err := json.Unmarshal(m, &s); err == nil {
		return s
	}
	return string(m)
}

// CheckInfo refuses an image whose info shows a format other than format,
// a backing file, an external data file, encryption, the corrupt bit, or
// a child node other than its own file. The error is a *RefusedError.
func CheckInfo(info *Info, format string) error {
	refuse := func(format string, a ...any) error {
		return &RefusedError{Path: info.Filename, Op: "info", Reason: fmt.Sprintf(format, a...)}
	}
	switch {
	case info.Format != format:
		return refuse("format is %q, want %q", info.Format, format)
	case info.FormatSpecificType != "" && info.FormatSpecificType != format:
		return refuse("format-specific type is %q, want %q", info.FormatSpecificType, format)
	case info.Backing:
		return refuse("backing file %q (format %q): images with a backing file are refused", firstNonEmpty(info.FullBackingFilename, info.BackingFilename), info.BackingFormat)
	case info.HasDataFile:
		return refuse("external data file %q: images with an external data file are refused", info.DataFile)
	case info.Encrypted:
		return refuse("image is encrypted: encrypted images are refused")
	case info.Corrupt:
		return refuse("image is marked corrupt")
	}
	for _, c := range info.Children {
		if c != "file" {
			return refuse("child node %q: only the image's own file is accepted", c)
		}
	}
	return nil
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// Info runs `qemu-img info --output=json -f <format> <absolute path>` and
// returns the parsed info after CheckInfo. format is "qcow2" or "raw".
func (r *Runner) Info(ctx context.Context, path, format string) (*Info, error) {
	if err := checkFormat(format); err != nil {
		return nil, fmt.Errorf("qemu-img info %s: %w", path, err)
	}
	abs, err := absImage(path)
	if err != nil {
		return nil, fmt.Errorf("qemu-img info: %w", err)
	}
	return r.info(ctx, image{arg: abs, name: abs}, format)
}

// InfoOpen is Info on an open file, passed to qemu-img as its descriptor
// (see CheckOpen).
func (r *Runner) InfoOpen(ctx context.Context, f *os.File, format string) (*Info, error) {
	if err := checkFormat(format); err != nil {
		return nil, fmt.Errorf("qemu-img info %s: %w", f.Name(), err)
	}
	return r.info(ctx, image{arg: fdArg, name: f.Name(), f: f}, format)
}

func (r *Runner) info(ctx context.Context, img image, format string) (*Info, error) {
	abs := img.name
	res, err := r.run(ctx, img, "info", "--output=json", "-f", format, img.arg)
	if err != nil {
		return nil, err // names the file in its command line
	}
	if res.exitCode != 0 {
		return nil, &CommandError{Args: res.args, ExitCode: res.exitCode, Stderr: res.stderr}
	}
	info, err := ParseInfo(res.stdout)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", abs, err)
	}
	// qemu-img reports the name it was given; say which file was refused
	// in our terms.
	info.Filename = abs
	if err := CheckInfo(info, format); err != nil {
		return nil, err
	}
	return info, nil
}
