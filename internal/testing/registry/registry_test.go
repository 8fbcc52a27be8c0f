package registry_test

import (
	"bytes"
	"crypto/tls"
	"net/http"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/registry/remote"
	"oras.land/oras-go/v2/registry/remote/auth"

	"github.com/sandlabx/fetchd/internal/testing/registry"
)

// TestRegistryAuth pushes and pulls a blob through each authentication
// mode, and checks that a wrong password and an expired token are refused
// by the real registry.
func TestRegistryAuth(t *testing.T) {
	t.Parallel()
	for name, mode := range map[string]registry.Auth{"htpasswd": registry.Htpasswd, "token": registry.Token} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			reg := registry.Require(t, registry.Options{Auth: mode, Users: map[string]string{"alice": "s3cret"}})
			blob := []byte("a blob for " + name)
			desc := ocispec.Descriptor{MediaType: "application/octet-stream", Digest: digest.FromBytes(blob), Size: int64(len(blob))}

			repo := repoFor(t, reg, "alice", "s3cret")
			if err := repo.Push(t.Context(), desc, bytes.NewReader(blob)); err != nil {
				t.Fatalf("push: %v\n%s", err, reg.Log())
			}
			if ok, err := repo.Exists(t.Context(), desc); err != nil || !ok {
				t.Fatalf("exists after push: %v, %v", ok, err)
			}
			if got := reg.BlobUploads(); got != 1 {
				t.Errorf("access log shows %d blob uploads, want 1", got)
			}

			bad := repoFor(t, reg, "alice", "wrong")
			if _, err := bad.Exists(t.Context(), desc); err == nil || !strings.Contains(err.Error(), "401") && !strings.Contains(strings.ToLower(err.Error()), "unauthorized") {
				t.Errorf("wrong password: err = %v, want a 401", err)
			}
			if reg.Tokens != nil {
				reg.Tokens.SetExpired(true)
				expired := repoFor(t, reg, "alice", "s3cret")
				if _, err := expired.Exists(t.Context(), desc); err == nil {
					t.Errorf("expired token: no error")
				}
			}
		})
	}
}

func repoFor(t *testing.T, reg *registry.Registry, user, pass string) *remote.Repository {
	t.Helper()
	repo, err := remote.NewRepository(reg.Host + "/test/repo")
	if err != nil {
		t.Fatal(err)
	}
	repo.Client = &auth.Client{
		Client:     &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: reg.CA.Pool()}}},
		Credential: auth.StaticCredential(reg.Host, auth.Credential{Username: user, Password: pass}),
		Cache:      auth.NewCache(),
	}
	return repo
}
