package qemuimg

import (
	"context"
	"errors"
	"fmt"
	"os"
)

// Exit codes of `qemu-img check`.
const (
	CheckExitClean    = 0
	CheckExitError    = 1 // could not check (or check errors)
	CheckExitCorrupt  = 2
	CheckExitLeaks    = 3 // leaked clusters only
	CheckExitNoChecks = 63
)

// CheckStatus summarizes an accepted check.
type CheckStatus string

const (
	// CheckClean: no corruption, no leak.
	CheckClean CheckStatus = "clean"
	// CheckLeaks: only leaked clusters (space allocated and unused). Harmless
	// to the guest; reported, not repaired.
	CheckLeaks CheckStatus = "leaked clusters"
	// CheckUnsupported: the format has no consistency check (raw).
	CheckUnsupported CheckStatus = "no check for format"
)

// CheckResult is the outcome of `qemu-img check --output=json`.
type CheckResult struct {
	Status             CheckStatus
	Filename           string
	Format             string
	CheckErrors        int64
	Corruptions        int64
	Leaks              int64
	CorruptionsFixed   int64
	LeaksFixed         int64
	ImageEndOffset     int64
	TotalClusters      int64
	AllocatedClusters  int64
	FragmentedClusters int64
	CompressedClusters int64
}

// String is a one-line summary such as "clean" or "leaked clusters (1)".
func (c *CheckResult) String() string {
	switch c.Status {
	case CheckLeaks:
		return fmt.Sprintf("%s (%d)", c.Status, c.Leaks)
	case CheckUnsupported:
		return fmt.Sprintf("%s %s", c.Status, c.Format)
	}
	return string(c.Status)
}

type checkJSON struct {
	Filename           string  `json:"filename"`
	Format             *string `json:"format"`
	CheckErrors        *int64  `json:"check-errors"`
	Corruptions        int64   `json:"corruptions"`
	Leaks              int64   `json:"leaks"`
	CorruptionsFixed   int64   `json:"corruptions-fixed"`
	LeaksFixed         int64   `json:"leaks-fixed"`
	ImageEndOffset     int64   `json:"image-end-offset"`
	TotalClusters      int64   `json:"total-clusters"`
	AllocatedClusters  int64   `json:"allocated-clusters"`
	FragmentedClusters int64   `json:"fragmented-clusters"`
	CompressedClusters int64   `json:"compressed-clusters"`
}

// ParseCheck parses the output of `qemu-img check --output=json`: exactly
// one JSON object with at least "format" and "check-errors", and no
// negative count. Status is left empty: it comes from the exit code.
func ParseCheck(data []byte) (*CheckResult, error) {
	var j checkJSON
	if err := decodeOne(data, &j); err != nil {
		return nil, fmt.Errorf("parse qemu-img check output: %w", err)
	}
	if j.Format == nil || *j.Format == "" {
		return nil, errors.New("parse qemu-img check output: no format")
	}
	if j.CheckErrors == nil {
		return nil, errors.New("parse qemu-img check output: no check-errors")
	}
	c := &CheckResult{
		Filename: j.Filename, Format: *j.Format, CheckErrors: *j.CheckErrors,
		Corruptions: j.Corruptions, Leaks: j.Leaks, CorruptionsFixed: j.CorruptionsFixed, LeaksFixed: j.LeaksFixed,
		ImageEndOffset: j.ImageEndOffset, TotalClusters: j.TotalClusters, AllocatedClusters: j.AllocatedClusters,
		FragmentedClusters: j.FragmentedClusters, CompressedClusters: j.CompressedClusters,
	}
	for name, v := range map[string]int64{
		"check-errors": c.CheckErrors, "corruptions": c.Corruptions, "leaks": c.Leaks,
		"corruptions-fixed": c.CorruptionsFixed, "leaks-fixed": c.LeaksFixed,
		"image-end-offset": c.ImageEndOffset, "total-clusters": c.TotalClusters,
		"allocated-clusters": c.AllocatedClusters, "fragmented-clusters": c.FragmentedClusters,
		"compressed-clusters": c.CompressedClusters,
	} {
		if v < 0 {
			return nil, fmt.Errorf("parse qemu-img check output: negative %s %d", name, v)
		}
	}
	return c, nil
}

// Check runs `qemu-img check -f <format> --output=json <absolute path>`
// (never -r: fetchd does not repair untrusted images) and reads its exit
// code:
//   - 0 clean → CheckClean;
//   - 3 leaked clusters only → CheckLeaks (accepted, reported);
//   - 63 no check for the format → CheckUnsupported, for raw only (qcow2
//     always has a check: 63 there is refused);
//   - 2 corruptions → *RefusedError wrapping the *CommandError;
//   - 1 (could not check) or anything else → *CommandError.
//
// An accepted result must agree with its exit code (no corruptions or
// check errors; leaks only with 3), else the run is refused.
func (r *Runner) Check(ctx context.Context, path, format string) (*CheckResult, error) {
	if err := checkFormat(format); err != nil {
		return nil, fmt.Errorf("qemu-img check %s: %w", path, err)
	}
	abs, err := absImage(path)
	if err != nil {
		return nil, fmt.Errorf("qemu-img check: %w", err)
	}
	return r.check(ctx, image{arg: abs, name: abs}, format)
}

// CheckOpen is Check on an open file: qemu-img gets the descriptor itself
// (as /proc/self/fd/3), so it checks exactly the inode fetchd hashed,
// whatever happens to its name; messages name f.Name().
func (r *Runner) CheckOpen(ctx context.Context, f *os.File, format string) (*CheckResult, error) {
	if err := checkFormat(format); err != nil {
		return nil, fmt.Errorf("qemu-img check %s: %w", f.Name(), err)
	}
	return r.check(ctx, image{arg: fdArg, name: f.Name(), f: f}, format)
}

func (r *Runner) check(ctx context.Context, img image, format string) (*CheckResult, error) {
	abs := img.name
	res, err := r.run(ctx, img, "check", "-f", format, "--output=json", img.arg)
	if err != nil {
		return nil, err // names the file in its command line
	}
	cmdErr := &CommandError{Args: res.args, ExitCode: res.exitCode, Stderr: res.stderr}
	switch res.exitCode {
	case CheckExitNoChecks:
		if format != "raw" {
			cmdErr.Reason = fmt.Sprintf("qemu-img says format %s has no check", format)
			return nil, cmdErr
		}
		return &CheckResult{Status: CheckUnsupported, Filename: abs, Format: format}, nil
	case CheckExitCorrupt:
		reason := "image is corrupt"
		if c, err := ParseCheck(res.stdout); err == nil {
			reason = fmt.Sprintf("image is corrupt (%d corruptions)", c.Corruptions)
		}
		return nil, &RefusedError{Path: abs, Op: "check", Reason: reason, Err: cmdErr}
	case CheckExitClean, CheckExitLeaks:
	default:
		return nil, cmdErr
	}
	c, err := ParseCheck(res.stdout)
	if err != nil {
		cmdErr.Reason = err.Error()
		return nil, cmdErr
	}
	c.Filename = abs
	c.Status = CheckClean
	if res.exitCode == CheckExitLeaks {
		c.Status = CheckLeaks
	}
	switch {
	case c.Format != format:
		cmdErr.Reason = fmt.Sprintf("checked format %q, want %q", c.Format, format)
	case c.Corruptions != 0 || c.CheckErrors != 0:
		cmdErr.Reason = fmt.Sprintf("%d corruptions and %d check errors reported with exit code %d", c.Corruptions, c.CheckErrors, res.exitCode)
	case (c.Leaks != 0) != (res.exitCode == CheckExitLeaks):
		cmdErr.Reason = fmt.Sprintf("%d leaks reported with exit code %d", c.Leaks, res.exitCode)
	default:
		return c, nil
	}
	return nil, cmdErr
}
