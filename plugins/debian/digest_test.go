package debian

import (
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/sandlabx/fetchd/sdk"
)

func TestDecodeDigest(t *testing.T) {
	t.Parallel()
	sum := sha512.Sum512([]byte("debian"))
	hexSum := hex.EncodeToString(sum[:])
	raw := base64.RawStdEncoding.EncodeToString(sum[:])
	// A digest whose base64 uses '+' and '/' (and its URL-safe spelling).
	var plus [64]byte
	for i := range plus {
		plus[i] = 0xfb
	}
	plusB64 := base64.RawStdEncoding.EncodeToString(plus[:])
	// The last character of 86 carries 2 data bits and 4 padding bits:
	// flipping a padding bit gives a second spelling of the same digest.
	last := strings.IndexByte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", raw[85])
	nonCanonical := raw[:85] + string("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[last^1])

	tests := map[string]struct {
		in      string
		want    string // hex
		wantErr string
	}{
		"unpadded, as upstream writes it": {in: "sha512:" + raw, want: hexSum},
		"padded":                          {in: "sha512:" + raw + "==", want: hexSum},
		"standard alphabet":               {in: "sha512:" + plusB64, want: strings.Repeat("fb", 64)},
		"url-safe alphabet":               {in: "sha512:" + strings.NewReplacer("+", "-", "/", "_").Replace(plusB64), wantErr: "not a standard base64 character"},
		"no algorithm":                    {in: raw, wantErr: "want sha512:<base64>"},
		"sha256":                          {in: "sha256:" + raw[:43], wantErr: `algorithm "sha256", want sha512`},
		"uppercase algorithm":             {in: "SHA512:" + raw, wantErr: `algorithm "SHA512"`},
		"too short":                       {in: "sha512:" + raw[:85], wantErr: "85 base64 characters, want 86"},
		"too long":                        {in: "sha512:" + raw + "A", wantErr: "87 base64 characters"},
		"one pad":                         {in: "sha512:" + raw + "=", wantErr: "87 base64 characters"},
		"pad in the middle":               {in: "sha512:" + raw[:40] + "==" + raw[42:], wantErr: "illegal base64 data"},
		"line break":                      {in: "sha512:" + raw[:40] + "\n" + raw[41:], wantErr: "not a standard base64 character"},
		"space":                           {in: "sha512: " + raw[1:], wantErr: "not a standard base64 character"},
		"non-zero trailing bits":          {in: "sha512:" + nonCanonical, wantErr: "illegal base64 data"},
		"hex instead of base64":           {in: "sha512:" + hexSum, wantErr: "128 base64 characters"},
		"empty":                           {in: "", wantErr: "no cloud.debian.org/digest annotation"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := DecodeDigest(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !errors.Is(err, sdk.ErrBadMetadata) {
					t.Fatalf("DecodeDigest(%q) = %v, %v; want an ErrBadMetadata containing %q", tc.in, got, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("DecodeDigest(%q): %v", tc.in, err)
			}
			if got.Algorithm != "sha512" || got.Hex != tc.want {
				t.Errorf("DecodeDigest(%q) = %v, want sha512:%s", tc.in, got, tc.want)
			}
		})
	}
}
