package pluginhost

import (
	sourcev1 "github.com/sandlabx/fetchd/internal/gen/fetchd/source/v1"
	"github.com/sandlabx/fetchd/sdk"
	"github.com/sandlabx/fetchd/sdk/checksum"
)

// The host's converters from protocol messages to SDK types. Unknown enum
// values become values the validators refuse, never defaults.

func describeFromProto(m *sourcev1.DescribeResponse) sdk.Description {
	d := sdk.Description{
		Name:           m.GetName(),
		Summary:        m.GetSummary(),
		Version:        m.GetPluginVersion(),
		DefaultBaseURL: m.GetDefaultBaseUrl(),
		DefaultRelease: m.GetDefaultRelease(),
		DefaultVariant: m.GetDefaultVariant(),
	}
	for _, r := range m.GetReleases() {
		d.Releases = append(d.Releases, sdk.Release{Name: r.GetName(), Aliases: r.GetAliases(), EOL: r.GetEol(), Summary: r.GetSummary()})
	}
	for _, a := range m.GetArches() {
		d.Arches = append(d.Arches, sdk.Arch{Name: a.GetName(), Aliases: a.GetAliases()})
	}
	for _, v := range m.GetVariants() {
		d.Variants = append(d.Variants, sdk.Variant{Name: v.GetName(), Summary: v.GetSummary()})
	}
	return d
}

func artifactFromProto(m *sourcev1.Artifact) sdk.Artifact {
	sig := m.GetSignature()
	return sdk.Artifact{
		URL:               m.GetUrl(),
		FileName:          m.GetFileName(),
		Version:           m.GetVersion(),
		Format:            formatFromProto(m.GetFormat()),
		Size:              m.GetSize(),
		Digest:            checksum.Digest{Algorithm: algorithmFromProto(m.GetChecksum().GetAlgorithm()), Hex: m.GetChecksum().GetHex()},
		ChecksumURL:       m.GetChecksumUrl(),
		ImageSignatureURL: m.GetImageSignatureUrl(),
		Signature: sdk.Signature{
			Status:         signatureStatusFromProto(sig.GetStatus()),
			KeyFingerprint: sig.GetKeyFingerprint(),
			SignatureURL:   sig.GetSignatureUrl(),
			KeyOrigin:      keyOriginFromProto(sig.GetKeyOrigin()),
			Detail:         sig.GetDetail(),
		},
		Release: m.GetRelease(),
		Arch:    m.GetArch(),
		Variant: m.GetVariant(),
	}
}

func formatFromProto(f sourcev1.Format) sdk.Format {
	switch f {
	case sourcev1.Format_FORMAT_QCOW2:
		return sdk.FormatQCOW2
	case sourcev1.Format_FORMAT_RAW:
		return sdk.FormatRaw
	}
	return sdk.Format(f.String())
}

func algorithmFromProto(a sourcev1.HashAlgorithm) checksum.Algorithm {
	switch a {
	case sourcev1.HashAlgorithm_HASH_ALGORITHM_SHA256:
		return checksum.SHA256
	case sourcev1.HashAlgorithm_HASH_ALGORITHM_SHA512:
		return checksum.SHA512
	}
	return checksum.Algorithm(a.String())
}

func signatureStatusFromProto(s sourcev1.SignatureStatus) sdk.SignatureStatus {
	switch s {
	case sourcev1.SignatureStatus_SIGNATURE_STATUS_VERIFIED:
		return sdk.SignatureVerified
	case sourcev1.SignatureStatus_SIGNATURE_STATUS_UNSIGNED:
		return sdk.SignatureUnsigned
	}
	return sdk.SignatureStatus(s.String())
}

func keyOriginFromProto(o sourcev1.KeyOrigin) sdk.KeyOrigin {
	switch o {
	case sourcev1.KeyOrigin_KEY_ORIGIN_EMBEDDED:
		return sdk.KeyEmbedded
	case sourcev1.KeyOrigin_KEY_ORIGIN_OPERATOR:
		return sdk.KeyOperator
	case sourcev1.KeyOrigin_KEY_ORIGIN_UNSPECIFIED:
		return ""
	}
	return sdk.KeyOrigin(o.String())
}
