package debian

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sandlabx/fetchd/sdk"
)

func TestParseManifest(t *testing.T) {
	t.Parallel()
	const b = "20261109-2641"
	img := []byte("image")
	good := testManifest(t, b, img, nil)
	tests := map[string]struct {
		data    []byte
		want    *Manifest
		wantErr string
	}{
		"upstream's shape": {
			data: good,
			want: &Manifest{
				Build: BuildInfo{Version: b, Arch: "amd64", Release: "trixie", Vendor: "generic"},
				Uploads: []Upload{
					{Format: "internal", Ref: "trixie/" + b + "/debian-13-generic-amd64-" + b + ".tar.xz", Digest: upload(t, good, 1).Digest, Version: b},
					{Format: "raw", Ref: "trixie/" + b + "/debian-13-generic-amd64-" + b + ".raw", Digest: upload(t, good, 2).Digest, Version: b},
					{Format: "qcow2", Ref: "trixie/" + b + "/debian-13-generic-amd64-" + b + ".qcow2", Digest: upload(t, good, 3).Digest, Version: b},
				},
			},
		},
		"html error page":    {data: []byte("\n<!DOCTYPE html><html><body>404</body></html>"), wantErr: "looks like an HTML page"},
		"empty":              {data: nil, wantErr: "empty document"},
		"not json":           {data: []byte("apiVersion: v1\n"), wantErr: "not JSON"},
		"truncated":          {data: good[:len(good)/2], wantErr: "not JSON"},
		"two documents":      {data: append(append([]byte{}, good...), good...), wantErr: "data after the value"},
		"nested 100k deep":   {data: []byte(strings.Repeat(`{"a":`, 100_000)), wantErr: "nested deeper than 32 levels"},
		"over the size cap":  {data: []byte(`{"items": [` + strings.Repeat(`{"kind":"x"},`, 4<<20/13) + `{}]}`), wantErr: "more than the 4194304-byte limit"},
		"array":              {data: []byte(`[]`), wantErr: "json: cannot unmarshal"},
		"no apiVersion":      {data: []byte(`{"kind":"List","items":[]}`), wantErr: `no "apiVersion" or "kind"`},
		"another apiVersion": {data: []byte(`{"apiVersion":"v2","kind":"List","items":[]}`), wantErr: `apiVersion "v2" kind "List"`},
		"another kind":       {data: []byte(`{"apiVersion":"v1","kind":"Build","items":[]}`), wantErr: `kind "Build"`},
		"no items":           {data: []byte(`{"apiVersion":"v1","kind":"List"}`), wantErr: `no "Build" item (0 items)`},
		"no build": {
			data:    testManifest(t, b, img, func(doc map[string]any) { doc["items"] = doc["items"].([]any)[1:] }),
			wantErr: `no "Build" item (3 items)`,
		},
		"two builds": {
			data:    testManifest(t, b, img, func(doc map[string]any) { doc["items"] = append(doc["items"].([]any), item(doc, 0)) }),
			wantErr: `2 "Build" items`,
		},
		"build without version": {
			data:    testManifest(t, b, img, func(doc map[string]any) { delete(sub(sub(item(doc, 0), "data"), "info"), "version") }),
			wantErr: "no data.info.version",
		},
		"build without data": {
			data:    testManifest(t, b, img, func(doc map[string]any) { delete(item(doc, 0), "data") }),
			wantErr: "items[0] (Build): data: missing",
		},
		"upload with a numeric ref": {
			data:    testManifest(t, b, img, func(doc map[string]any) { sub(item(doc, 3), "data")["ref"] = 7 }),
			wantErr: "items[3] (Upload): data",
		},
		"duplicate key": {
			data:    []byte(`{"apiVersion":"v1","kind":"List","kind":"List","items":[]}`),
			wantErr: `key "kind" appears twice`,
		},
		"keys differing in case": {
			data:    []byte(`{"apiVersion":"v1","kind":"List","items":[{"kind":"Upload","data":{"ref":"a","Ref":"b"}}]}`),
			wantErr: `keys "ref" and "Ref" in one object differ only in case`,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseManifest(tc.data)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !errors.Is(err, sdk.ErrBadMetadata) {
					t.Fatalf("ParseManifest: got %v, want an ErrBadMetadata containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseManifest: %v", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ParseManifest (-want +got):\n%s", diff)
			}
		})
	}
}

func upload(t *testing.T, data []byte, i int) Upload {
	t.Helper()
	m, err := ParseManifest(data)
	if err != nil {
		t.Fatal(err)
	}
	return m.Uploads[i-1]
}

func TestManifestImage(t *testing.T) {
	t.Parallel()
	q := Upload{Format: "qcow2", Ref: "trixie/b/x.qcow2", Digest: "sha512:A"}
	raw := Upload{Format: "raw", Ref: "trixie/b/x.raw", Digest: "sha512:B"}
	tests := map[string]struct {
		uploads []Upload
		want    Upload
		wantErr error
		wantMsg string
	}{
		"one among others":     {uploads: []Upload{raw, q}, want: q},
		"identical duplicates": {uploads: []Upload{q, raw, q}, want: q},
		"none":                 {uploads: []Upload{raw, {Ref: "ami-1"}}, wantErr: sdk.ErrNotFound, wantMsg: `no Upload item of image format qcow2 (upload formats: "raw", (no upload.cloud.debian.org/image-format label))`},
		"no uploads":           {wantErr: sdk.ErrNotFound, wantMsg: "upload formats: none"},
		"two refs":             {uploads: []Upload{q, {Format: "qcow2", Ref: "trixie/c/x.qcow2", Digest: q.Digest}}, wantErr: sdk.ErrBadMetadata, wantMsg: "2 different Upload items of image format qcow2"},
		"two digests":          {uploads: []Upload{q, {Format: "qcow2", Ref: q.Ref, Digest: "sha512:C"}}, wantErr: sdk.ErrBadMetadata, wantMsg: `"sha512:C"`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := (&Manifest{Uploads: tc.uploads}).Image("qcow2")
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) || !strings.Contains(err.Error(), tc.wantMsg) {
					t.Fatalf("Image: got %v, want %v containing %q", err, tc.wantErr, tc.wantMsg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Image (-want +got):\n%s", diff)
			}
		})
	}
}
