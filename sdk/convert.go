package sdk

import (
	sourcev1 "github.com/sandlabx/fetchd/internal/gen/fetchd/source/v1"
	"github.com/sandlabx/fetchd/sdk/checksum"
)

// The plugin side's converters from SDK types to protocol messages. The
// host's converters, the other way round, are in internal/pluginhost.

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
