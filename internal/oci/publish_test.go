package oci_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/sandlabx/fetchd/internal/oci"
	"github.com/sandlabx/fetchd/internal/testing/registry"
)

var users = map[string]string{"publisher": "pub-pass", "reader": "read-pass"}

// TestPublishResolve publishes a build to a real registry (TLS, htpasswd),
// publishes it again (nothing uploaded), resolves it with and without keys
// and downloads the blob with the registry's credentials.
func TestPublishResolve(t *testing.T) {
	t.Parallel()
	reg := registry.Require(t, registry.Options{Auth: registry.Htpasswd, Users: users})
	dir, st, data := publisherDir(t, "debian-13.qcow2", "20261109-2641", 1<<20)
	key, kr := newKey(t, "Publisher")
	signer, err := oci.NewSigner(key.SecretArmored(), nil)
	if err != nil {
		t.Fatal(err)
	}
	pub := &oci.Publisher{Client: clientFor(t, reg, "publisher", "pub-pass"), Dir: dir, To: mustRef(t, reg.Host+"/images"), Signer: signer, FetchdVersion: "test"}

	first, err := pub.Publish(t.Context(), st, "debian-13.qcow2")
	if err != nil {
		t.Fatalf("publish: %v\n%s", err, reg.Log())
	}
	if first.Reused || first.Existing || first.Uploaded < int64(len(data)) {
		t.Errorf("first publish: %+v, want the image uploaded", first)
	}
	if got, want := first.Ref.String(), reg.Host+"/images/debian-13:20261109-2641"; got != want {
		t.Errorf("build ref %s, want %s", got, want)
	}
	uploads := reg.BlobUploads()
	again, err := pub.Publish(t.Context(), st, "debian-13.qcow2")
	if err != nil {
		t.Fatal(err)
	}
	if !again.Existing || again.Uploaded != 0 || again.Manifest != first.Manifest {
		t.Errorf("second publish: %+v, want the existing build and nothing uploaded", again)
	}
	if got := reg.BlobUploads(); got != uploads {
		t.Errorf("second publish: the registry completed %d more blob uploads, want 0", got-uploads)
	}

	consumer := clientFor(t, reg, "reader", "read-pass")
	ref := mustRef(t, reg.Host+"/images/debian-13:latest")
	res, err := consumer.Resolve(t.Context(), ref, kr)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	if res.Layer.Digest.Encoded() != hex.EncodeToString(sum[:]) || res.SignedBy != key.Fingerprint() || res.Ref.Digest != first.Manifest {
		t.Errorf("resolve: %+v", res)
	}
	if p := res.Provenance; p.Source != "debian" || p.Build != "20261109-2641" || p.DigestAlgorithm != "sha512" || !p.Verification.QemuImgCheck || p.Verification.Signature != "unsigned" {
		t.Errorf("provenance: %+v", p)
	}
	// The blob through the download transport, resumed at an offset.
	tr, err := consumer.Transport(ref)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, res.BlobURL, nil)
	req.Header.Set("Range", "bytes=1000-")
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(body, data[1000:]) {
		t.Errorf("ranged blob GET: %s, %d bytes", resp.Status, len(body))
	}

	t.Run("other key", func(t *testing.T) {
		_, other := newKey(t, "Stranger")
		_, err := consumer.Resolve(t.Context(), ref, other)
		var se *oci.SignatureError
		if !errors.As(err, &se) || !strings.Contains(err.Error(), "does not verify") {
			t.Errorf("err = %v, want a SignatureError", err)
		}
	})
	t.Run("wrong password", func(t *testing.T) {
		_, err := clientFor(t, reg, "reader", "nope").Resolve(t.Context(), ref, nil)
		var ae *oci.AuthError
		if !errors.As(err, &ae) || !strings.Contains(err.Error(), "refused the credentials") {
			t.Errorf("err = %v, want an AuthError", err)
		}
	})
	t.Run("file changed on disk", func(t *testing.T) {
		// Same size and modification time, other bytes: the write moved
		// the file's ctime, so its stamp no longer matches.
		path := dir + "/debian-13.qcow2"
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		other := bytes.Clone(data)
		other[4096] ^= 0xff
		if err := os.Chmod(path, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, other, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(path, fi.ModTime(), fi.ModTime()); err != nil {
			t.Fatal(err)
		}
		_, err = pub.Publish(t.Context(), st, "debian-13.qcow2")
		if err == nil || !strings.Contains(err.Error(), "changed since fetchd verified it") {
			t.Errorf("err = %v, want the file refused", err)
		}
	})
}

// TestResolveExpiredToken runs the registry with token authentication and
// a token service that hands out expired tokens.
func TestResolveExpiredToken(t *testing.T) {
	t.Parallel()
	reg := registry.Require(t, registry.Options{Auth: registry.Token, Users: users})
	dir, st, _ := publisherDir(t, "debian-13.qcow2", "20261109-2641", 64<<10)
	pub := &oci.Publisher{Client: clientFor(t, reg, "publisher", "pub-pass"), Dir: dir, To: mustRef(t, reg.Host+"/images"), FetchdVersion: "test"}
	if _, err := pub.Publish(t.Context(), st, "debian-13.qcow2"); err != nil {
		t.Fatalf("publish with tokens: %v", err)
	}
	ref := mustRef(t, reg.Host+"/images/debian-13:latest")
	if _, err := clientFor(t, reg, "reader", "read-pass").Resolve(t.Context(), ref, nil); err != nil {
		t.Fatalf("resolve with a valid token: %v", err)
	}
	reg.Tokens.SetExpired(true)
	_, err := clientFor(t, reg, "reader", "read-pass").Resolve(t.Context(), ref, nil)
	var ae *oci.AuthError
	if !errors.As(err, &ae) || !strings.Contains(err.Error(), "invalid_token") {
		t.Errorf("err = %v, want an AuthError saying invalid_token", err)
	}
	_, err = clientFor(t, reg, "reader", "nope").Resolve(t.Context(), ref, nil)
	if !errors.As(err, &ae) {
		t.Errorf("wrong password at the token service: err = %v, want an AuthError", err)
	}
	t.Logf("expired: %v", err)
}
