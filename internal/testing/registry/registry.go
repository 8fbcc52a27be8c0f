package registry

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// RequireEnv is the environment variable that turns a missing
// docker-registry from a skipped test into a failed one.
const RequireEnv = "FETCHD_REQUIRE_REGISTRY"

// Binary is the name of Debian's CNCF distribution binary.
const Binary = "docker-registry"

// Auth is how the registry authenticates clients.
type Auth int

// The authentication modes.
const (
	// Htpasswd: HTTP basic authentication against an htpasswd file of
	// bcrypt hashes.
	Htpasswd Auth = iota
	// Token: bearer tokens from a token service (see Tokens), which checks
	// the same users' passwords.
	Token
	// None: anyone may pull and push.
	None
)

// Options configure a registry.
type Options struct {
	// Dir holds the registry's config, certificates, storage and log.
	Dir string
	// Auth selects the authentication mode.
	Auth Auth
	// Users maps user names to passwords.
	Users map[string]string
	// PlainHTTP serves http:// instead of https://.
	PlainHTTP bool
}

// Registry is a running docker-registry.
type Registry struct {
	// Host is "127.0.0.1:<port>".
	Host string
	// URL is "https://127.0.0.1:<port>" (http:// with PlainHTTP).
	URL string
	// CA signed the registry's (and the token service's) certificate.
	CA *CA
	// StorageDir is the filesystem driver's root directory.
	StorageDir string
	// Tokens is the token service (Auth == Token only).
	Tokens *TokenService

	cmd     *exec.Cmd
	logFile string
	done    chan struct{}
	waitErr error
	once    sync.Once
}

// Require starts a registry for the test and stops it when the test ends.
// It skips the test when docker-registry is missing, or fails it when
// FETCHD_REQUIRE_REGISTRY=1.
func Require(t testing.TB, opts Options) *Registry {
	t.Helper()
	if _, err := exec.LookPath(Binary); err != nil {
		if os.Getenv(RequireEnv) == "1" {
			t.Fatalf("%s is required (%s=1) but not found: %v; install docker-registry (apt-get install docker-registry)", Binary, RequireEnv, err)
		}
		t.Skipf("%s not found (%v); install docker-registry to run this test", Binary, err)
	}
	if opts.Dir == "" {
		opts.Dir = t.TempDir()
	}
	r, err := Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	return r
}

// Start starts a registry on a free loopback port and waits until it
// answers. Close stops it.
func Start(opts Options) (*Registry, error) {
	if err := os.MkdirAll(opts.Dir, 0o700); err != nil {
		return nil, err
	}
	ca, err := NewCA(opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("test CA: %w", err)
	}
	var lastErr error
	for range 3 { // a free port found now may be taken before the registry binds it
		r, err := start(opts, ca)
		if err == nil {
			return r, nil
		}
		lastErr = err
	}
	return nil, lastErr
}

func start(opts Options, ca *CA) (*Registry, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	r := &Registry{
		Host:       fmt.Sprintf("127.0.0.1:%d", port),
		CA:         ca,
		StorageDir: filepath.Join(opts.Dir, "storage"),
		logFile:    filepath.Join(opts.Dir, fmt.Sprintf("registry-%d.log", port)),
		done:       make(chan struct{}),
	}
	r.URL = "https://" + r.Host
	if opts.PlainHTTP {
		r.URL = "http://" + r.Host
	}
	cfg, err := r.config(opts)
	if err != nil {
		r.Close()
		return nil, err
	}
	cfgFile := filepath.Join(opts.Dir, "config.yml")
	if err := mustWrite(cfgFile, []byte(cfg)); err != nil {
		r.Close()
		return nil, err
	}
	log, err := os.Create(r.logFile)
	if err != nil {
		r.Close()
		return nil, err
	}
	r.cmd = exec.Command(Binary, "serve", cfgFile)
	r.cmd.Stdout, r.cmd.Stderr = log, log
	if err := r.cmd.Start(); err != nil {
		log.Close()
		r.Close()
		return nil, fmt.Errorf("starting %s: %w", Binary, err)
	}
	go func() {
		r.waitErr = r.cmd.Wait()
		log.Close()
		close(r.done)
	}()
	if err := r.waitReady(); err != nil {
		r.Close()
		return nil, err
	}
	return r, nil
}

func (r *Registry) config(opts Options) (string, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "version: 0.1\nlog:\n  level: info\n  formatter: text\n  accesslog:\n    disabled: false\n")
	fmt.Fprintf(&b, "storage:\n  filesystem:\n    rootdirectory: %s\n  delete:\n    enabled: true\n", r.StorageDir)
	fmt.Fprintf(&b, "http:\n  addr: %s\n  secret: fetchd-test-secret\n", r.Host)
	if !opts.PlainHTTP {
		cert, key, err := r.CA.Leaf(opts.Dir, "registry")
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "  tls:\n    certificate: %s\n    key: %s\n", cert, key)
	}
	switch opts.Auth {
	case Htpasswd:
		file := filepath.Join(opts.Dir, "htpasswd")
		if err := writeHtpasswd(file, opts.Users); err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "auth:\n  htpasswd:\n    realm: fetchd-test\n    path: %s\n", file)
	case Token:
		ts, err := newTokenService(opts.Dir, r.CA, opts.Users)
		if err != nil {
			return "", err
		}
		r.Tokens = ts
		fmt.Fprintf(&b, "auth:\n  token:\n    realm: %s/token\n    service: %s\n    issuer: %s\n    rootcertbundle: %s\n",
			ts.URL, tokenService, tokenIssuer, r.CA.File)
	}
	return b.String(), nil
}

// writeHtpasswd writes users' bcrypt hashes, the only scheme distribution
// accepts.
func writeHtpasswd(file string, users map[string]string) error {
	var b bytes.Buffer
	for u, p := range users {
		h, err := bcrypt.GenerateFromPassword([]byte(p), bcrypt.MinCost)
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "%s:%s\n", u, h)
	}
	return mustWrite(file, b.Bytes())
}

// Client returns an HTTP client that trusts the test CA.
func (r *Registry) Client() *http.Client {
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: r.CA.Pool(), MinVersion: tls.VersionTLS12},
	}}
}

// waitReady polls /v2/ until the registry answers (bounded).
func (r *Registry) waitReady() error {
	c := r.Client()
	defer c.CloseIdleConnections()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-r.done:
			return fmt.Errorf("%s exited at start (%v):\n%s", Binary, r.waitErr, r.Log())
		default:
		}
		resp, err := c.Get(r.URL + "/v2/")
		if err == nil {
			resp.Body.Close()
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("%s did not answer on %s within 15s:\n%s", Binary, r.URL, r.Log())
}

// Close stops the registry (and its token service).
func (r *Registry) Close() {
	r.once.Do(func() {
		if r.cmd != nil && r.cmd.Process != nil {
			_ = r.cmd.Process.Kill()
			<-r.done
		}
		if r.Tokens != nil {
			r.Tokens.Close()
		}
	})
}

// Log returns what the registry logged so far.
func (r *Registry) Log() string {
	b, _ := os.ReadFile(r.logFile)
	return string(b)
}

// Request is one line of the registry's access log.
type Request struct {
	Method string
	Path   string
	Status int
}

// Requests returns the requests the registry answered so far, from its
// access log (combined log format).
func (r *Registry) Requests() []Request {
	f, err := os.Open(r.logFile)
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []Request
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if req, ok := parseAccessLine(sc.Text()); ok {
			out = append(out, req)
		}
	}
	return out
}

// parseAccessLine reads `... "PUT /v2/x/blobs/uploads/… HTTP/1.1" 201 …`.
func parseAccessLine(line string) (Request, bool) {
	i := strings.Index(line, `] "`)
	if i < 0 {
		return Request{}, false
	}
	rest := line[i+3:]
	j := strings.Index(rest, `" `)
	if j < 0 {
		return Request{}, false
	}
	f := strings.Fields(rest[:j])
	if len(f) != 3 {
		return Request{}, false
	}
	var status int
	if _, err := fmt.Sscanf(rest[j+2:], "%d", &status); err != nil {
		return Request{}, false
	}
	return Request{Method: f[0], Path: f[1], Status: status}, true
}

// BlobUploads counts the blob uploads the registry completed (PUT
// …/blobs/uploads/… answered 201).
func (r *Registry) BlobUploads() int {
	n := 0
	for _, req := range r.Requests() {
		if req.Method == http.MethodPut && strings.Contains(req.Path, "/blobs/uploads/") && req.Status == http.StatusCreated {
			n++
		}
	}
	return n
}

// BlobPath is where the filesystem driver keeps the blob with digest d
// ("sha256:<hex>").
func (r *Registry) BlobPath(d string) (string, error) {
	algo, hex, ok := strings.Cut(d, ":")
	if !ok || len(hex) < 2 {
		return "", fmt.Errorf("not a digest: %q", d)
	}
	return filepath.Join(r.StorageDir, "docker", "registry", "v2", "blobs", algo, hex[:2], hex, "data"), nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Ping asks /v2/ with the client and returns the status code.
func (r *Registry) Ping(ctx context.Context) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.URL+"/v2/", nil)
	if err != nil {
		return 0, err
	}
	c := r.Client()
	defer c.CloseIdleConnections()
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

var errNoUser = errors.New("unknown user or wrong password")

// DockerConfig returns a Docker config.json holding user's password for
// host, as `docker login` writes it without a credential helper.
func DockerConfig(host, user, pass string) []byte {
	auth := base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
	return []byte(fmt.Sprintf(`{"auths":{%q:{"auth":%q}}}`, host, auth))
}
