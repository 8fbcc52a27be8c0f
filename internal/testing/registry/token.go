package registry

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The names the registry and the token service agree on.
const (
	tokenService = "fetchd-test-registry"
	tokenIssuer  = "fetchd-test-token-service"
)

// TokenService issues the bearer tokens distribution's token
// authentication expects (docs/spec/auth/jwt.md): a JWT signed with ES256
// by a key whose certificate (in the x5c header) chains to the registry's
// rootcertbundle, granting the requested actions on the requested
// repositories to any user whose password matches.
type TokenService struct {
	// URL is the service's https:// root; the realm is URL + "/token".
	URL string

	srv     *httptest.Server
	key     *ecdsa.PrivateKey
	certDER []byte
	users   map[string]string
	// expired makes every token already expired when issued.
	expired atomic.Bool
	mu      sync.Mutex
	issued  int
}

func newTokenService(dir string, ca *CA, users map[string]string) (*TokenService, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "fetchd test token signer"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, &key.PublicKey, ca.Key)
	if err != nil {
		return nil, err
	}
	ts := &TokenService{key: key, certDER: der, users: users}
	certFile, keyFile, err := ca.Leaf(dir, "token-service")
	if err != nil {
		return nil, err
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, err
	}
	ts.srv = httptest.NewUnstartedServer(http.HandlerFunc(ts.serve))
	ts.srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	ts.srv.StartTLS()
	ts.URL = ts.srv.URL
	return ts, nil
}

// SetExpired makes the service issue tokens that expired ten minutes ago
// (past distribution's leeway of one minute), or valid ones again.
func (ts *TokenService) SetExpired(on bool) { ts.expired.Store(on) }

// Issued counts the tokens issued so far.
func (ts *TokenService) Issued() int {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.issued
}

// Close stops the service.
func (ts *TokenService) Close() { ts.srv.Close() }

func (ts *TokenService) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/token" {
		http.NotFound(w, r)
		return
	}
	user, pass, ok := r.BasicAuth()
	if want, known := ts.users[user]; !ok || !known || want != pass {
		w.Header().Set("WWW-Authenticate", `Basic realm="fetchd-test-token"`)
		http.Error(w, `{"errors":[{"code":"UNAUTHORIZED","message":"`+errNoUser.Error()+`"}]}`, http.StatusUnauthorized)
		return
	}
	q := r.URL.Query()
	if q.Get("service") != tokenService {
		http.Error(w, "unknown service", http.StatusBadRequest)
		return
	}
	now := time.Now()
	exp := now.Add(5 * time.Minute)
	if ts.expired.Load() {
		now = now.Add(-20 * time.Minute)
		exp = time.Now().Add(-10 * time.Minute)
	}
	tok, err := ts.sign(user, grants(q["scope"]), now, exp)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	ts.mu.Lock()
	ts.issued++
	ts.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"token": tok, "access_token": tok, "expires_in": int(exp.Sub(now).Seconds()), "issued_at": now.UTC().Format(time.RFC3339),
	})
}

type access struct {
	Type    string   `json:"type"`
	Name    string   `json:"name"`
	Actions []string `json:"actions"`
}

// grants turns scope parameters ("repository:images/x:pull,push") into
// access claims: every authenticated user gets what it asks for.
func grants(scopes []string) []access {
	out := []access{}
	for _, s := range scopes {
		for _, one := range strings.Fields(s) {
			parts := strings.Split(one, ":")
			if len(parts) != 3 {
				continue
			}
			out = append(out, access{Type: parts[0], Name: parts[1], Actions: strings.Split(parts[2], ",")})
		}
	}
	return out
}

func (ts *TokenService) sign(sub string, acc []access, iat, exp time.Time) (string, error) {
	header, err := json.Marshal(map[string]any{
		"typ": "JWT", "alg": "ES256",
		"x5c": []string{base64.StdEncoding.EncodeToString(ts.certDER)},
	})
	if err != nil {
		return "", err
	}
	jti := make([]byte, 8)
	_, _ = rand.Read(jti)
	claims, err := json.Marshal(map[string]any{
		"iss": tokenIssuer, "sub": sub, "aud": tokenService,
		"exp": exp.Unix(), "nbf": iat.Add(-time.Minute).Unix(), "iat": iat.Unix(),
		"jti": hex.EncodeToString(jti), "access": acc,
	})
	if err != nil {
		return "", err
	}
	enc := base64.RawURLEncoding
	signing := enc.EncodeToString(header) + "." + enc.EncodeToString(claims)
	sum := sha256.Sum256([]byte(signing))
	r, s, err := ecdsa.Sign(rand.Reader, ts.key, sum[:])
	if err != nil {
		return "", err
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return signing + "." + enc.EncodeToString(sig), nil
}
