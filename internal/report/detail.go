package report

import (
	"errors"
	"strings"

	"github.com/sandlabx/fetchd/internal/qcow2"
	"github.com/sandlabx/fetchd/internal/qemuimg"
)

// ErrorDetail is the parts of err a short message leaves out: the file
// a check read, the command run and its whole output. --json and --debug
// show them.
func ErrorDetail(err error) []string {
	var (
		ue  *qcow2.UnsafeError
		fm  *qcow2.FormatMismatchError
		qr  *qemuimg.RefusedError
		ce  *qemuimg.CommandError
		out []string
	)
	switch {
	case errors.As(err, &ue) && ue.Path != "":
		out = append(out, "file: "+ue.Path)
	case errors.As(err, &fm) && fm.Path != "":
		out = append(out, "file: "+fm.Path)
	case errors.As(err, &qr) && qr.Path != "":
		out = append(out, "file: "+qr.Path)
	}
	if errors.As(err, &ce) {
		out = append(out, "command: "+strings.Join(ce.Args, " "))
		if ce.Stderr != "" {
			out = append(out, "output: "+ce.Stderr)
		}
	}
	return out
}
