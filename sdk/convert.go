package sdk

import (
	sourcev1 "github.com/sandlabx/fetchd/internal/gen/fetchd/source/v1"
	"github.com/sandlabx/fetchd/internal/wire"
	"github.com/sandlabx/fetchd/sdk/checksum"
)

// The converters between SDK types and protocol messages, both ways: the
// plugin side's (to proto) and the host's (from proto, lent to
// internal/pluginhost through internal/wire). Unknown enum values become
// values the validators refuse, never defaults.

func init() {
	wire.DescribeToProto = describeToProto
	wire.DescribeFromProto = describeFromProto
	wire.ArtifactToProto = artifactToProto
	wire.ArtifactFromProto = artifactFromProto
	wire.CodeOfKind = codeOf
	wire.ServeBuiltin = serveBuiltin
}

func describeToProto(d Description) *sourcev1.DescribeResponse {
	out := &sourcev1.DescribeResponse{
		Name:           d.Name,
		Summary:        d.Summary,
		PluginVersion:  d.Version,
		DefaultBaseUrl: d.DefaultBaseURL,
		DefaultRelease: d.DefaultRelease,
		DefaultVariant: d.DefaultVariant,
	}
	for _, r := range d.Releases {
		out.Releases = append(out.Releases, &sourcev1.Release{Name: r.Name, Aliases: r.Aliases, Eol: r.EOL, Summary: r.Summary})
	}
	for _, a := range d.Arches {
		out.Arches = append(out.Arches, &sourcev1.Arch{Name: a.Name, Aliases: a.Aliases})
	}
	for _, v := range d.Variants {
		out.Variants = append(out.Variants, &sourcev1.Variant{Name: v.Name, Summary: v.Summary})
	}
	return out
}

func artifactToProto(a Artifact) *sourcev1.Artifact {
	return &sourcev1.Artifact{
		Url:               a.URL,
		FileName:          a.FileName,
		Version:           a.Version,
		Format:            formatToProto(a.Format),
		Size:              a.Size,
		Checksum:          &sourcev1.Checksum{Algorithm: algorithmToProto(a.Digest.Algorithm), Hex: a.Digest.Hex},
		ChecksumUrl:       a.ChecksumURL,
		ImageSignatureUrl: a.ImageSignatureURL,
		Signature: &sourcev1.Signature{
			Status:         signatureStatusToProto(a.Signature.Status),
			KeyFingerprint: a.Signature.KeyFingerprint,
			SignatureUrl:   a.Signature.SignatureURL,
			KeyOrigin:      keyOriginToProto(a.Signature.KeyOrigin),
			Detail:         a.Signature.Detail,
		},
		Release: a.Release,
		Arch:    a.Arch,
		Variant: a.Variant,
	}
}

func formatToProto(f Format) sourcev1.Format {
	switch f {
	case FormatQCOW2:
		return sourcev1.Format_FORMAT_QCOW2
	case FormatRaw:
		return sourcev1.Format_FORMAT_RAW
	}
	return sourcev1.Format_FORMAT_UNSPECIFIED
}

func algorithmToProto(a checksum.Algorithm) sourcev1.HashAlgorithm {
	switch a {
	case checksum.SHA256:
		return sourcev1.HashAlgorithm_HASH_ALGORITHM_SHA256
	case checksum.SHA512:
		return sourcev1.HashAlgorithm_HASH_ALGORITHM_SHA512
	}
	return sourcev1.HashAlgorithm_HASH_ALGORITHM_UNSPECIFIED
}

func signatureStatusToProto(s SignatureStatus) sourcev1.SignatureStatus {
	switch s {
	case SignatureVerified:
		return sourcev1.SignatureStatus_SIGNATURE_STATUS_VERIFIED
	case SignatureUnsigned:
		return sourcev1.SignatureStatus_SIGNATURE_STATUS_UNSIGNED
	}
	return sourcev1.SignatureStatus_SIGNATURE_STATUS_UNSPECIFIED
}

func keyOriginToProto(o KeyOrigin) sourcev1.KeyOrigin {
	switch o {
	case KeyEmbedded:
		return sourcev1.KeyOrigin_KEY_ORIGIN_EMBEDDED
	case KeyOperator:
		return sourcev1.KeyOrigin_KEY_ORIGIN_OPERATOR
	}
	return sourcev1.KeyOrigin_KEY_ORIGIN_UNSPECIFIED
}

func describeFromProto(m *sourcev1.DescribeResponse) Description {
	d := Description{
		Name:           m.GetName(),
		Summary:        m.GetSummary(),
		Version:        m.GetPluginVersion(),
		DefaultBaseURL: m.GetDefaultBaseUrl(),
		DefaultRelease: m.GetDefaultRelease(),
		DefaultVariant: m.GetDefaultVariant(),
	}
	for _, r := range m.GetReleases() {
		d.Releases = append(d.Releases, Release{Name: r.GetName(), Aliases: r.GetAliases(), EOL: r.GetEol(), Summary: r.GetSummary()})
	}
	for _, a := range m.GetArches() {
		d.Arches = append(d.Arches, Arch{Name: a.GetName(), Aliases: a.GetAliases()})
	}
	for _, v := range m.GetVariants() {
		d.Variants = append(d.Variants, Variant{Name: v.GetName(), Summary: v.GetSummary()})
	}
	return d
}

func artifactFromProto(m *sourcev1.Artifact) Artifact {
	sig := m.GetSignature()
	return Artifact{
		URL:               m.GetUrl(),
		FileName:          m.GetFileName(),
		Version:           m.GetVersion(),
		Format:            formatFromProto(m.GetFormat()),
		Size:              m.GetSize(),
		Digest:            checksum.Digest{Algorithm: algorithmFromProto(m.GetChecksum().GetAlgorithm()), Hex: m.GetChecksum().GetHex()},
		ChecksumURL:       m.GetChecksumUrl(),
		ImageSignatureURL: m.GetImageSignatureUrl(),
		Signature: Signature{
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

func formatFromProto(f sourcev1.Format) Format {
	switch f {
	case sourcev1.Format_FORMAT_QCOW2:
		return FormatQCOW2
	case sourcev1.Format_FORMAT_RAW:
		return FormatRaw
	}
	return Format(f.String())
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

func signatureStatusFromProto(s sourcev1.SignatureStatus) SignatureStatus {
	switch s {
	case sourcev1.SignatureStatus_SIGNATURE_STATUS_VERIFIED:
		return SignatureVerified
	case sourcev1.SignatureStatus_SIGNATURE_STATUS_UNSIGNED:
		return SignatureUnsigned
	}
	return SignatureStatus(s.String())
}

func keyOriginFromProto(o sourcev1.KeyOrigin) KeyOrigin {
	switch o {
	case sourcev1.KeyOrigin_KEY_ORIGIN_EMBEDDED:
		return KeyEmbedded
	case sourcev1.KeyOrigin_KEY_ORIGIN_OPERATOR:
		return KeyOperator
	case sourcev1.KeyOrigin_KEY_ORIGIN_UNSPECIFIED:
		return ""
	}
	return KeyOrigin(o.String())
}
