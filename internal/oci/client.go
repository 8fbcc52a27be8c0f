package oci

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"

	"oras.land/oras-go/v2/registry/remote"
	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/credentials"
	"oras.land/oras-go/v2/registry/remote/errcode"

	"github.com/sandlabx/fetchd/internal/netpolicy"
)

// Client talks to registries under the host's network policy, with
// credentials from Docker's config.json (and the credential helpers it
// names) or from the config file the operator gave. Credentials live in
// this process only: they are never passed to a plugin.
type Client struct {
	// Policy is the host's network policy. A registry written as http://
	// must be in its AllowHTTP; every other one is https.
	Policy netpolicy.Policy
	// CredentialsFile is a Docker-style config.json; "" means Docker's own
	// ($DOCKER_CONFIG/config.json, else ~/.docker/config.json), which may
	// be missing (anonymous access).
	CredentialsFile string

	once    sync.Once
	initErr error
	store   credentials.Store
	http    *http.Client // follows redirects, under the policy
	hop     *http.Client // one hop at a time: redirects go back to the caller
	cache   auth.Cache
	// challenges records the last 401 challenge per registry host, to say
	// why a token was refused.
	challenges sync.Map
}

func (c *Client) init() error {
	c.once.Do(func() {
		c.initErr = c.setup()
	})
	return c.initErr
}

func (c *Client) setup() error {
	var err error
	if c.CredentialsFile != "" {
		if _, serr := os.Stat(c.CredentialsFile); serr != nil {
			return fmt.Errorf("registry credentials file: %w", serr)
		}
		c.store, err = credentials.NewStore(c.CredentialsFile, credentials.StoreOptions{})
	} else {
		c.store, err = credentials.NewStoreFromDocker(credentials.StoreOptions{})
	}
	if err != nil {
		return fmt.Errorf("registry credentials %s: %w", c.credentialsName(), err)
	}
	base, err := c.Policy.Client()
	if err != nil {
		return err
	}
	rec := &challengeRecorder{base: base.Transport, c: c}
	c.http = &http.Client{Transport: rec, CheckRedirect: base.CheckRedirect}
	c.hop = &http.Client{Transport: rec, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	c.cache = auth.NewCache()
	return nil
}

func (c *Client) credentialsName() string {
	if c.CredentialsFile != "" {
		return "from " + c.CredentialsFile
	}
	return "from Docker's config.json"
}

// credential is the auth.CredentialFunc: the store's answer for the host.
func (c *Client) credential(ctx context.Context, hostport string) (auth.Credential, error) {
	cred, err := credentials.Credential(c.store)(ctx, hostport)
	if err != nil {
		return auth.EmptyCredential, fmt.Errorf("credentials for %s %s: %w", hostport, c.credentialsName(), err)
	}
	return cred, nil
}

func (c *Client) authClient(h *http.Client) *auth.Client {
	ac := &auth.Client{Client: h, Credential: c.credential, Cache: c.cache}
	ac.SetUserAgent(c.Policy.WithDefaults().UserAgent)
	return ac
}

// Repository returns the oras repository ref names.
func (c *Client) Repository(ref Ref) (*remote.Repository, error) {
	if err := c.init(); err != nil {
		return nil, err
	}
	if err := c.checkScheme(ref); err != nil {
		return nil, err
	}
	repo, err := remote.NewRepository(ref.Repo())
	if err != nil {
		return nil, fmt.Errorf("repository %s: %w", ref.Repo(), err)
	}
	repo.PlainHTTP = ref.PlainHTTP
	repo.Client = c.authClient(c.http)
	repo.MaxMetadataBytes = MaxManifestBytes
	return repo, nil
}

// checkScheme refuses plain http unless the policy allows it for the host
// (the operator wrote the registry as http://).
func (c *Client) checkScheme(ref Ref) error {
	if !ref.PlainHTTP {
		return nil
	}
	u := "http://" + ref.Registry + "/v2/"
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	return c.Policy.CheckURL(req.URL)
}

// Transport returns the RoundTripper for downloading blobs of ref's
// registry: it answers the registry's authentication challenges with the
// same credentials and token cache, and returns redirects to the caller
// (the downloader checks every hop). Requests to any other host pass
// through unchanged.
func (c *Client) Transport(ref Ref) (http.RoundTripper, error) {
	if err := c.init(); err != nil {
		return nil, err
	}
	return &authTransport{host: ref.Registry, auth: c.authClient(c.hop), plain: c.hop.Transport}, nil
}

type authTransport struct {
	host  string
	auth  *auth.Client
	plain http.RoundTripper
}

func (t *authTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Host != t.host {
		return t.plain.RoundTrip(req)
	}
	return t.auth.Do(req)
}

// challengeRecorder keeps the WWW-Authenticate header of 401 answers to
// requests that carried credentials.
type challengeRecorder struct {
	base http.RoundTripper
	c    *Client
}

func (r *challengeRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.base.RoundTrip(req)
	if err == nil && resp.StatusCode == http.StatusUnauthorized && req.Header.Get("Authorization") != "" {
		r.c.challenges.Store(req.URL.Host, resp.Header.Get("Www-Authenticate"))
	}
	return resp, err
}

// AuthError says a registry refused fetchd's credentials.
type AuthError struct {
	Registry string
	// Credentials says where they came from.
	Credentials string
	// Reason is the registry's own word when it gave one (invalid_token).
	Reason string
	Err    error
}

func (e *AuthError) Error() string {
	s := fmt.Sprintf("registry %s refused the credentials %s", e.Registry, e.Credentials)
	if e.Reason != "" {
		s += ": " + e.Reason
	}
	return s + ": " + e.Err.Error()
}

func (e *AuthError) Unwrap() error { return e.Err }

// explain turns an oras error about ref into one that says what to do.
func (c *Client) explain(ref Ref, what string, err error) error {
	var er *errcode.ErrorResponse
	if errors.As(err, &er) && (er.StatusCode == http.StatusUnauthorized || er.StatusCode == http.StatusForbidden) {
		ae := &AuthError{Registry: ref.Registry, Credentials: c.credentialsName(), Err: err}
		if v, ok := c.challenges.Load(ref.Registry); ok {
			if ch := v.(string); strings.Contains(ch, `error="invalid_token"`) {
				ae.Reason = "the registry refused the token its token service issued (invalid_token: expired, or not valid for this registry)"
			} else if strings.Contains(ch, `error="insufficient_scope"`) {
				ae.Reason = "the token does not grant " + what + " (insufficient_scope)"
			}
		}
		if ae.Reason == "" && er.URL != nil && er.URL.Host != ref.Registry {
			ae.Reason = "the token service " + er.URL.Host + " refused them"
		}
		return ae
	}
	if errors.Is(err, auth.ErrBasicCredentialNotFound) {
		return &AuthError{Registry: ref.Registry, Credentials: c.credentialsName(), Reason: "the registry asks for a login and there are no credentials for it", Err: err}
	}
	return fmt.Errorf("%s %s: %w", what, ref, err)
}
