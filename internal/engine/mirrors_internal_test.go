package engine

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sandlabx/fetchd/internal/config"
	"github.com/sandlabx/fetchd/internal/pluginhost"
	"github.com/sandlabx/fetchd/sdk"
)

func TestMirrorURLs(t *testing.T) {
	t.Parallel()
	trees := []string{"https://primary/ubuntu/", "https://m1/pub/ubuntu", "http://m2:8080/u"}
	tests := map[string]struct {
		url  string
		want []string
	}{
		"under the primary": {
			url:  "https://primary/ubuntu/releases/x.img",
			want: []string{"https://m1/pub/ubuntu/releases/x.img", "http://m2:8080/u/releases/x.img"},
		},
		"under a mirror": {
			url:  "https://m1/pub/ubuntu/releases/x.img",
			want: []string{"https://primary/ubuntu/releases/x.img", "http://m2:8080/u/releases/x.img"},
		},
		"elsewhere":               {url: "https://cdn.example/x.img"},
		"a prefix of a path name": {url: "https://primary/ubuntu-old/x.img"},
		"the base itself":         {url: "https://primary/ubuntu/"},
		"query kept": {
			url:  "https://primary/ubuntu/x.img?v=2",
			want: []string{"https://m1/pub/ubuntu/x.img?v=2", "http://m2:8080/u/x.img?v=2"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tc.want, mirrorURLs(tc.url, trees)); diff != "" {
				t.Errorf("mirrorURLs (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDownloadPlan(t *testing.T) {
	t.Parallel()
	e := &Engine{Config: &config.Config{Connections: 6, Sources: map[string]config.Source{
		"ubuntu": {BaseURL: "https://p/u", Mirrors: []string{"https://m/u"}},
		"debian": {BaseURL: "https://p/d"},
	}}}
	tests := map[string]struct {
		im      config.Image
		art     sdk.Artifact
		conns   int
		mirrors []string
	}{
		"source with mirrors": {
			im: config.Image{Source: "ubuntu"}, art: sdk.Artifact{URL: "https://p/u/a.img"},
			conns: 6, mirrors: []string{"https://m/u/a.img"},
		},
		"source without mirrors": {im: config.Image{Source: "debian"}, art: sdk.Artifact{URL: "https://p/d/a.img"}, conns: 6},
		"url image": {
			im: config.Image{URL: "https://x/a.img", Mirrors: []string{"https://y/a.img"}}, art: sdk.Artifact{URL: "https://x/a.img"},
			conns: 6, mirrors: []string{"https://y/a.img"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			conns, mirrors := e.downloadPlan(tc.im, tc.art)
			if conns != tc.conns {
				t.Errorf("connections %d, want %d", conns, tc.conns)
			}
			if diff := cmp.Diff(tc.mirrors, mirrors); diff != "" {
				t.Errorf("mirrors (-want +got):\n%s", diff)
			}
		})
	}
}

// byBase answers per base URL, as a plugin reading metadata from there
// would.
type byBase map[string]struct {
	art sdk.Artifact
	err error
}

func (b byBase) Resolve(_ context.Context, req pluginhost.Request) (sdk.Artifact, error) {
	a, ok := b[req.BaseURL]
	if !ok {
		return sdk.Artifact{}, errors.New("not asked for " + req.BaseURL)
	}
	return a.art, a.err
}

func TestFromMirrors(t *testing.T) {
	t.Parallel()
	signed := sdk.Artifact{URL: "https://m1/u/a.img", Signature: sdk.Signature{Status: sdk.SignatureVerified}}
	unsigned := sdk.Artifact{URL: "https://m1/u/a.img", Signature: sdk.Unsigned("checksum over https")}
	primaryErr := errors.New("primary: HTTP 503")
	sc := config.Source{BaseURL: "https://p/u", Mirrors: []string{"https://m1/u", "https://m2/u"}}
	failedFetch := func() *docRecorder {
		var r docRecorder
		r.onFetch("https://p/u/streams/v1/index.json", nil, errors.New("503"))
		return &r
	}
	tests := map[string]struct {
		src     byBase
		rec     *docRecorder
		sc      config.Source
		want    string // URL answered, or "" for an error
		wantErr string
	}{
		"a signed answer from the first mirror": {
			src: byBase{"https://m1/u": {art: signed}}, rec: failedFetch(), sc: sc, want: signed.URL,
		},
		"the first mirror fails, the second answers": {
			src: byBase{"https://m1/u": {err: errors.New("m1 down")}, "https://m2/u": {art: signed}}, rec: failedFetch(), sc: sc, want: signed.URL,
		},
		"unsigned answers are not taken": {
			src: byBase{"https://m1/u": {art: unsigned}, "https://m2/u": {art: unsigned}}, rec: failedFetch(), sc: sc,
			wantErr: "not signed, so only the primary can vouch for the digest",
		},
		"the plugin refused without a failed fetch: mirrors not asked": {
			src: byBase{"https://m1/u": {art: signed}}, rec: &docRecorder{}, sc: sc, wantErr: "primary: HTTP 503",
		},
		"no mirrors": {src: byBase{}, rec: failedFetch(), sc: config.Source{BaseURL: "https://p/u"}, wantErr: "primary: HTTP 503"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := &Engine{}
			art, err := e.fromMirrors(t.Context(), tc.src, pluginhost.Request{BaseURL: tc.sc.BaseURL}, tc.sc, tc.rec, primaryErr)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !errors.Is(err, primaryErr) {
					t.Fatalf("fromMirrors = %v, %v; want an error with %q wrapping the primary's", art, err, tc.wantErr)
				}
				return
			}
			if err != nil || art.URL != tc.want {
				t.Fatalf("fromMirrors = %v, %v; want %s", art.URL, err, tc.want)
			}
		})
	}
}
