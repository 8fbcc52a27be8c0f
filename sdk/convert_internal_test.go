package sdk

import (
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	sourcev1 "github.com/sandlabx/fetchd/internal/gen/fetchd/source/v1"
	"github.com/sandlabx/fetchd/sdk/checksum"
)

// TestConvertersRoundTrip: every field survives SDK -> protocol -> SDK,
// both ways the plugin and the host use them.
func TestConvertersRoundTrip(t *testing.T) {
	t.Parallel()
	d := Description{
		Name: "lab", Summary: "s", Version: "1.0",
		Releases:       []Release{{Name: "1", Aliases: []string{"one"}, EOL: "2030-01-01", Summary: "first"}, {Name: "2"}},
		Arches:         []Arch{{Name: "x86_64", Aliases: []string{"amd64"}}},
		Variants:       []Variant{{Name: "cloud", Summary: "c"}},
		DefaultBaseURL: "https://lab.example", DefaultRelease: "one", DefaultVariant: "cloud",
	}
	if diff := cmp.Diff(d, describeFromProto(describeToProto(d))); diff != "" {
		t.Errorf("description (-want +got):\n%s", diff)
	}
	for _, a := range []Artifact{
		{
			URL: "https://lab.example/1/x.qcow2", FileName: "x.qcow2", Version: "1.2", Format: FormatQCOW2, Size: 12,
			Digest:      checksum.Digest{Algorithm: checksum.SHA512, Hex: "ab"},
			ChecksumURL: "https://lab.example/1/SUMS", ImageSignatureURL: "https://lab.example/1/x.qcow2.asc",
			Signature: Verified("0123456789ABCDEF0123456789ABCDEF01234567", "https://lab.example/1/SUMS.asc", KeyOperator, "by lab"),
			Release:   "1", Arch: "x86_64", Variant: "cloud",
		},
		{Format: FormatRaw, Digest: checksum.Digest{Algorithm: checksum.SHA256}, Signature: Unsigned("nothing"), Release: "2"},
		{Format: FormatQCOW2, Digest: checksum.Digest{Algorithm: checksum.SHA256}, Signature: Verified("F", "u", KeyEmbedded, "")},
	} {
		if diff := cmp.Diff(a, artifactFromProto(artifactToProto(a))); diff != "" {
			t.Errorf("artifact (-want +got):\n%s", diff)
		}
	}
	// Unknown enum values come back as values the validators refuse.
	odd := artifactFromProto(&sourcev1.Artifact{Format: 9, Checksum: &sourcev1.Checksum{Algorithm: 7}, Signature: &sourcev1.Signature{Status: 5, KeyOrigin: 4}})
	if odd.Format == FormatQCOW2 || odd.Format == FormatRaw || odd.Digest.Algorithm.Known() || odd.Signature.Status == SignatureVerified || odd.Signature.Status == SignatureUnsigned {
		t.Errorf("unknown enums read as known values: %+v", odd)
	}
}

// TestErrorCodes: the one table, both ways, and messages without the
// kind's own text at the end.
func TestErrorCodes(t *testing.T) {
	t.Parallel()
	for _, e := range codeTable {
		if got := kindOfCode(e.code); got != e.kind {
			t.Errorf("code %v reads back as %v, want %v", e.code, got, e.kind)
		}
	}
	err := toStatus(fmt.Errorf("https://m/SUMS: no line for x: %w", ErrBadMetadata))
	if st, _ := status.FromError(err); st.Code() != codes.FailedPrecondition || st.Message() != "https://m/SUMS: no line for x" {
		t.Errorf("toStatus = %v %q", st.Code(), st.Message())
	}
	if st, _ := status.FromError(toStatus(errors.New("plain"))); st.Code() != codes.Internal {
		t.Errorf("an error of no kind travels as %v", st.Code())
	}
}
