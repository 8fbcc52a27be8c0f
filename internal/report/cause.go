package report

import (
	"errors"

	"github.com/sandlabx/fetchd/internal/download"
	"github.com/sandlabx/fetchd/internal/netpolicy"
	"github.com/sandlabx/fetchd/internal/pluginhost"
	"github.com/sandlabx/fetchd/internal/qcow2"
	"github.com/sandlabx/fetchd/internal/qemuimg"
	"github.com/sandlabx/fetchd/internal/urlrule"
	"github.com/sandlabx/fetchd/sdk/signature"
)

// Refusal causes: which check refused an image. Metrics count refusals by
// these names.
const (
	CauseDigest       = "digest"        // the bytes do not have upstream's digest
	CauseSize         = "size"          // the size disagrees with upstream's, or exceeds the cap
	CauseSignature    = "signature"     // an OpenPGP signature did not verify
	CauseHeader       = "qcow2_header"  // the pure-Go header inspection refused the image
	CauseFormat       = "format"        // the content is not the announced format
	CauseQemuImg      = "qemu_img"      // qemu-img info or check refused the image
	CauseURLPolicy    = "url_policy"    // a URL or redirect broke the network policy
	CausePluginAnswer = "plugin_answer" // a plugin's answer broke the protocol's rules
)

// Causes lists every refusal cause.
var Causes = []string{CauseDigest, CauseSize, CauseSignature, CauseHeader, CauseFormat, CauseQemuImg, CauseURLPolicy, CausePluginAnswer}

// CauseWords names a refusal cause's check in words ("qcow2 header"), as
// in "refused by the qcow2 header check" (the web UI uses the same words).
func CauseWords(cause string) string {
	switch cause {
	case CauseHeader:
		return "qcow2 header"
	case CauseQemuImg:
		return "qemu-img"
	case CauseURLPolicy:
		return "URL policy"
	case CausePluginAnswer:
		return "plugin answer"
	}
	return cause
}

// RefusalCause says which check refused err, or "" when err is not a
// refusal (a network failure, a crash, a full disk).
func RefusalCause(err error) string {
	if err == nil {
		return ""
	}
	var (
		dm  *download.DigestMismatchError
		se  *download.SizeError
		ve  *signature.VerifyError
		ue  *qcow2.UnsafeError
		fm  *qcow2.FormatMismatchError
		qr  *qemuimg.RefusedError
		pol *netpolicy.PolicyError
		ur  *urlrule.Error
		pe  *pluginhost.Error
	)
	switch {
	case errors.As(err, &dm):
		return CauseDigest
	case errors.As(err, &se):
		return CauseSize
	case errors.As(err, &ve):
		return CauseSignature
	case errors.As(err, &ue):
		return CauseHeader
	case errors.As(err, &fm):
		return CauseFormat
	case errors.As(err, &qr):
		return CauseQemuImg
	case errors.As(err, &pol), errors.As(err, &ur):
		return CauseURLPolicy
	case errors.As(err, &pe) && pe.Kind == pluginhost.InvalidAnswer:
		return CausePluginAnswer
	}
	return ""
}
