package debian

import (
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"testing"
)

// testManifest builds a manifest like upstream's for trixie generic amd64
// build b, with the qcow2 upload's digest taken from image; edit may change
// the document before it is rendered.
func testManifest(t testing.TB, b string, image []byte, edit func(doc map[string]any)) []byte {
	t.Helper()
	sum := sha512.Sum512(image)
	ref := "trixie/" + b + "/debian-13-generic-amd64-" + b
	upload := func(format, ext string, digest []byte) map[string]any {
		return map[string]any{
			"apiVersion": "cloud.debian.org/v1alpha1",
			"kind":       "Upload",
			"metadata": map[string]any{
				"annotations": map[string]any{"cloud.debian.org/digest": "sha512:" + base64.RawStdEncoding.EncodeToString(digest)},
				"labels": map[string]any{
					"cloud.debian.org/vendor":              "generic",
					"cloud.debian.org/version":             b,
					"upload.cloud.debian.org/image-format": format,
					"upload.cloud.debian.org/type":         "release",
				},
			},
			"data": map[string]any{"provider": "cloud.debian.org", "ref": ref + ext},
		}
	}
	other := sha512.Sum512([]byte("raw"))
	doc := map[string]any{
		"apiVersion": "v1",
		"kind":       "List",
		"items": []any{
			map[string]any{
				"apiVersion": "cloud.debian.org/v1alpha1",
				"kind":       "Build",
				"metadata":   map[string]any{"labels": map[string]any{"cloud.debian.org/version": b}},
				"data": map[string]any{
					"info":     map[string]any{"arch": "amd64", "release": "trixie", "release_id": "13", "vendor": "generic", "version": b},
					"packages": []any{map[string]any{"name": "apt", "version": "3.0.3"}},
				},
			},
			upload("internal", ".tar.xz", other[:]),
			upload("raw", ".raw", other[:]),
			upload("qcow2", ".qcow2", sum[:]),
		},
	}
	if edit != nil {
		edit(doc)
	}
	data, err := json.MarshalIndent(doc, "", "    ")
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// item returns items[i] of a test manifest as a map.
func item(doc map[string]any, i int) map[string]any {
	return doc["items"].([]any)[i].(map[string]any)
}

func sub(m map[string]any, key string) map[string]any { return m[key].(map[string]any) }
