package main

import (
	"errors"
	"strings"
	"syscall"

	"google.golang.org/grpc/codes"

	"github.com/sandlabx/fetchd/internal/download"
	"github.com/sandlabx/fetchd/internal/engine"
	"github.com/sandlabx/fetchd/internal/lock"
	"github.com/sandlabx/fetchd/internal/netpolicy"
	"github.com/sandlabx/fetchd/internal/oci"
	"github.com/sandlabx/fetchd/internal/pluginhost"
	"github.com/sandlabx/fetchd/internal/qcow2"
	"github.com/sandlabx/fetchd/internal/qemuimg"
	"github.com/sandlabx/fetchd/internal/store"
	"github.com/sandlabx/fetchd/sdk/signature"
)

// hints turns typed errors into advice for the user.
func (x explainer) hints(err error) []string {
	var out []string
	for _, h := range []string{x.networkHint(err), x.permissionHint(err)} {
		if h != "" {
			out = append(out, h)
		}
	}
	var pe *pluginhost.Error
	if len(out) > 0 && errors.As(err, &pe) && pe.Kind == pluginhost.Timeout {
		return out // the network, not the plugin
	}
	return append(out, typedHints(err)...)
}

func typedHints(err error) []string {
	var (
		us  *engine.UnknownSourceError
		ps  *pluginhost.UnknownSourceError
		pe  *pluginhost.Error
		dm  *download.DigestMismatchError
		sz  *download.SizeError
		ns  *download.NoSpaceError
		ie  *download.InterruptedError
		ni  *qemuimg.NotInstalledError
		qr  *qemuimg.RefusedError
		ue  *qcow2.UnsafeError
		fm  *qcow2.FormatMismatchError
		be  *lock.BusyError
		se  *store.UnsafeError
		bl  *engine.BlockedError
		pol *netpolicy.PolicyError
		oae *oci.AuthError
		ose *oci.SignatureError
	)
	switch {
	case errors.As(err, &us):
		return []string{"run 'fetchd list-sources'; a third-party source needs its plugin in a plugin directory"}
	case errors.As(err, &ps):
		return []string{"run 'fetchd list-sources' to see every source and where it was loaded from"}
	case errors.As(err, &pe):
		switch pe.Kind {
		case pluginhost.NotAPlugin:
			if pe.Origin == "built-in" {
				return []string{"the built-in source could not start its plugin process; check that TMPDIR is writable and that fetchd's own executable can run"}
			}
			return []string{"a file named fetchd-plugin-<name> in a plugin directory must be a fetchd source plugin; rename or remove " + pe.Origin}
		case pluginhost.ProtocolMismatch:
			return []string{"rebuild the plugin with the fetchd sdk that matches this fetchd, or use a fetchd that speaks its protocol"}
		case pluginhost.Crashed:
			return []string{"this is a bug in the plugin " + pe.Origin}
		case pluginhost.Timeout:
			return []string{"the plugin did not answer in time; check the network, or the plugin may hang"}
		case pluginhost.InvalidAnswer:
			return []string{"the plugin broke the protocol's rules; its answer was not used"}
		case pluginhost.Failed:
			if h := signatureHint(pe); h != "" {
				return []string{h}
			}
		}
	case errors.As(err, &sz):
		if sz.Cap {
			return []string{"the image is larger than max_image_size and its source does not say how large it should be; raise max_image_size if that is right"}
		}
		return []string{"the server sent another size than upstream's metadata states: a truncated mirror, a proxy or an upload in progress; run sync again later, or use another mirror"}
	case errors.As(err, &dm):
		return []string{"upstream changed during download? run sync again; if it persists, the server or a proxy is serving other bytes than upstream's checksum says"}
	case errors.As(err, &ns):
		return []string{"free space on that filesystem, or point --dir/FETCHD_DIR at a larger one"}
	case errors.As(err, &ie):
		return []string{"the partial download is kept; run sync again to resume it"}
	case errors.As(err, &ni):
		return []string{"install qemu-img: apt-get install qemu-utils (Debian/Ubuntu) or apk add qemu-img (Alpine)"}
	case errors.As(err, &ue), errors.As(err, &fm), errors.As(err, &qr):
		return []string{"the downloaded file was refused before anything could boot it; the previous image, if any, is untouched"}
	case errors.As(err, &be):
		return []string{"wait for it to finish, or stop it; sync --lock-timeout bounds the wait"}
	case errors.As(err, &se):
		return []string{se.Hint}
	case errors.As(err, &bl):
		return []string{"move it out of the image directory; fetchd replaces only files"}
	case errors.As(err, &pol):
		return []string{"fetchd uses https only; plain http is allowed only for hosts you write as http:// in the config (base_url or url)"}
	case errors.As(err, &oae):
		return []string{"log in to the registry (docker login, or a config.json named by sources.oci.credentials) with an account that may read (or, to publish, write) this repository"}
	case errors.As(err, &ose):
		return []string{"the build was not installed: only builds signed by a key in sources.oci.keys are; publish with fetchd publish --sign-key, or check which key the publisher uses"}
	case errors.Is(err, syscall.EROFS):
		return []string{"fetchd writes its lock, state and downloads in the image directory: mount it read-write, or point --dir/FETCHD_DIR at a writable directory"}
	}
	return nil
}

// signatureHint says what to do about a plugin's refusal of a signature
// (the sdk/signature reasons the plugin's message carries).
func signatureHint(pe *pluginhost.Error) string {
	if pe.Code != codes.FailedPrecondition {
		return ""
	}
	msg := pe.Err.Error()
	keys := "sources." + pe.Source + ".keys"
	switch {
	case strings.Contains(msg, "no key to verify"):
		return "configure the keys that sign this release's checksum files: " + keys + " (a list for every release, or a mapping of release to list)"
	case strings.Contains(msg, string(signature.ReasonUnknownSigner)):
		return "the file is signed by a key this source was not given for this release: check " + keys + " (per release, if a mapping), or remove it to use the plugin's own keys"
	case strings.Contains(msg, string(signature.ReasonBadSignature)):
		return "the checksum file does not match its signature: the mirror or a proxy serves altered or mismatched files; do not use it, try upstream"
	case strings.Contains(msg, string(signature.ReasonKeyExpired)), strings.Contains(msg, string(signature.ReasonKeyRevoked)), strings.Contains(msg, string(signature.ReasonSignatureExpired)):
		return "the signing key or signature is no longer valid: get upstream's current key (a newer plugin, or " + keys + ")"
	case strings.Contains(msg, string(signature.ReasonWeakAlgorithm)):
		return "the signature uses an algorithm fetchd does not accept (MD5, SHA-1, a short RSA key, DSA); upstream must re-sign"
	}
	return ""
}
