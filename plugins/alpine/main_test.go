package alpine_test

import (
	"context"
	"testing"

	"github.com/sandlabx/fetchd/internal/replica"
	"github.com/sandlabx/fetchd/plugins/alpine"
	areplica "github.com/sandlabx/fetchd/plugins/alpine/replica"
	"github.com/sandlabx/fetchd/sdk"
	"github.com/sandlabx/fetchd/sdk/sdktest"
)

func TestMain(m *testing.M) { sdktest.Main(m, alpine.New()) }

// tree writes a replica for one test; subtests share it read-only and
// break it per server with hooks.
func tree(t *testing.T) *areplica.Layout {
	t.Helper()
	l, err := areplica.Write(t.TempDir(), areplica.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// resolve calls Resolve directly, as sdk.Serve would after canonicalizing.
func resolve(ctx context.Context, f sdk.Fetcher, base, release, arch, variant string, keys ...[]byte) (sdk.Artifact, error) {
	return alpine.New().Resolve(ctx, sdk.ResolveRequest{
		Release: release, Arch: arch, Variant: variant, BaseURL: base, TrustedKeys: keys, Fetcher: f,
	})
}

// serve starts a server over the layout's tree.
func serve(t *testing.T, l *areplica.Layout) *replica.Server {
	t.Helper()
	return replica.Serve(t, l.Root)
}
