package main

// The fleet: one fetchd publishes the three default images to a real
// registry (Debian's docker-registry, TLS from a test CA, htpasswd or
// token authentication), another installs them from the registry alone,
// and the registry misbehaves.

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/sandlabx/fetchd/internal/testing/registry"
	"github.com/sandlabx/fetchd/sdk/signature/sigtest"
)

var fleetUsers = map[string]string{"publisher": "pub-pass", "consumer": "con-pass"}

// fleetKeyPassphrase protects the publisher's signing key.
const fleetKeyPassphrase = "lab signing key, test only"

// fleet is a publisher (the fault world, installed from the replicas) and
// a registry.
type fleet struct {
	*faultWorld
	reg     *registry.Registry
	to      string       // the repository root published under
	keyFile string       // the publisher's secret key
	pubKey  string       // its public half, the consumers' trusted key
	blocked atomic.Int64 // replica requests refused while "stopped"
}

func newFleet(t *testing.T, auth registry.Auth) *fleet {
	t.Helper()
	reg := registry.Require(t, registry.Options{Auth: auth, Users: fleetUsers})
	fl := &fleet{faultWorld: newFaultWorld(t), reg: reg, to: reg.Host + "/images"}
	// The publisher's key is protected by a passphrase, given in a file
	// written the way `echo` writes it (with a newline).
	key := sigtest.MustNewKey("Lab publisher, test only", "publisher@lab.invalid")
	fl.keyFile = fl.writeFile("publisher.secret.asc", key.SecretArmoredWithPassphrase([]byte(fleetKeyPassphrase)))
	fl.pubKey = fl.writeFile("publisher.asc", key.PublicArmored())
	passFile := fl.writeFile("publisher.passphrase", []byte(fleetKeyPassphrase+"\n"))
	// The publisher logs in the Docker way: $DOCKER_CONFIG/config.json.
	docker := filepath.Join(fl.root, "docker")
	if err := os.MkdirAll(docker, 0o700); err != nil {
		t.Fatal(err)
	}
	fl.writeFile("docker/config.json", registry.DockerConfig(reg.Host, "publisher", "pub-pass"))
	fl.faultWorld.env = append(fl.faultWorld.env, "DOCKER_CONFIG="+docker, "SSL_CERT_FILE="+reg.CA.File, signPassphraseEnv+"="+passFile)
	fl.srv.Hook(func(w http.ResponseWriter, r *http.Request) bool {
		if fl.blocked.Load() < 0 {
			return false
		}
		fl.blocked.Add(1)
		http.Error(w, "replica stopped", http.StatusServiceUnavailable)
		return true
	})
	fl.blocked.Store(-1) // serving
	return fl
}

func (fl *fleet) writeFile(rel string, data []byte) string {
	fl.t.Helper()
	p := filepath.Join(fl.root, rel)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		fl.t.Fatal(err)
	}
	return p
}

// stopReplicas makes the replicas refuse everything, counting requests.
func (fl *fleet) stopReplicas()  { fl.blocked.Store(0) }
func (fl *fleet) startReplicas() { fl.blocked.Store(-1) }

func (fl *fleet) publish(args ...string) runResult {
	fl.t.Helper()
	return fl.run(append([]string{"publish", "--to", fl.to}, args...)...)
}

// consumer is a second image directory, configured with the oci source
// only; its fault world holds no replica.
func (fl *fleet) consumer(name, user, pass, keys string) *faultWorld {
	t := fl.t
	t.Helper()
	c := &faultWorld{t: t, root: filepath.Join(fl.root, name), good: map[string][]byte{}}
	c.images = filepath.Join(c.root, "images")
	c.tmp = filepath.Join(c.root, "tmp")
	if err := os.MkdirAll(c.tmp, 0o700); err != nil {
		t.Fatal(err)
	}
	cred := filepath.Join(c.root, "registry-auth.json")
	if err := os.WriteFile(cred, registry.DockerConfig(fl.reg.Host, user, pass), 0o600); err != nil {
		t.Fatal(err)
	}
	keyLine := ""
	if keys != "" {
		keyLine = "    keys: [" + keys + "]\n"
	}
	c.base = "dir: " + c.images + "\nidle_timeout: 2s\nsources:\n  oci:\n    repository: " + fl.to +
		"\n    credentials: " + cred + "\n" + keyLine + "images:\n" +
		"  ubuntu-24-lts.qcow2: {source: oci}\n  alpine-3.qcow2: {source: oci}\n" +
		"  debian-13.qcow2: {source: oci, ref: " + fl.to + "/debian-13:latest}\n"
	c.cfgPath = filepath.Join(c.root, "fetchd.yaml")
	c.writeConfig()
	c.env = []string{"SSL_CERT_FILE=" + fl.reg.CA.File}
	return c
}

func TestFleetRegistry(t *testing.T) {
	t.Parallel()
	fl := newFleet(t, registry.Htpasswd)

	res := fl.publish("--sign-key", fl.keyFile)
	if res.code != 0 {
		t.Fatalf("publish: exit %d\n%s\n%s\n%s", res.code, res.stdout, res.stderr, fl.reg.Log())
	}
	for _, name := range []string{"alpine-3", "debian-13", "ubuntu-24-lts"} {
		if !strings.Contains(res.stdout, fl.to+"/"+name+":") {
			t.Errorf("publish output does not name %s/%s:\n%s", fl.to, name, res.stdout)
		}
	}
	uploads := fl.reg.BlobUploads()
	again := fl.publish("--sign-key", fl.keyFile)
	if again.code != 0 || strings.Count(again.stdout, "already published") != 3 {
		t.Errorf("second publish: exit %d, want every build already published:\n%s\n%s", again.code, again.stdout, again.stderr)
	}
	if n := fl.reg.BlobUploads() - uploads; n != 0 {
		t.Errorf("second publish uploaded %d blobs, want none", n)
	}

	// A consumer installs from the registry alone.
	fl.stopReplicas()
	c := fl.consumer("consumer", "consumer", "con-pass", fl.pubKey)
	got := c.syncJSON()
	if got.code != 0 {
		t.Fatalf("consumer sync: exit %d\n%s\n%s", got.code, got.stdout, got.stderr)
	}
	if n := fl.blocked.Load(); n != 0 {
		t.Errorf("the consumer sent %d requests to the (stopped) replicas, want none", n)
	}
	for _, name := range defaultImages {
		b := c.read(name)
		if !bytes.Equal(b, fl.good[name]) {
			t.Errorf("%s: the consumer installed %d bytes that differ from the publisher's build", name, len(b))
		}
		c.good[name] = b
	}
	c.checkFinalPaths()
	st := c.run("status")
	for _, want := range []string{"oci: ubuntu 24.04", "oci: debian 13", "from " + fl.to + "/alpine-3@sha256:", "published by fetchd", "checked there by", "qemu-img check"} {
		if !strings.Contains(st.stdout, want) {
			t.Errorf("consumer status lacks %q:\n%s", want, st.stdout)
		}
	}
	rs := c.run("resolve", "oci", fl.to+"/debian-13:latest")
	for _, want := range []string{"source:     oci", "version:    " + c.entryVersion("debian-13.qcow2"), "url:        https://" + fl.reg.Host + "/v2/images/debian-13/blobs/sha256:",
		"from:       " + fl.to + "/debian-13@sha256:", "signature:  verified: " + fl.to + "/debian-13:sha256-"} {
		if !strings.Contains(rs.stdout, want) {
			t.Errorf("resolve oci lacks %q (exit %d):\n%s\n%s", want, rs.code, rs.stdout, rs.stderr)
		}
	}
	if again := c.syncJSON(); again.code != 0 || again.summary["ubuntu-24-lts.qcow2"] != "present" {
		t.Errorf("second consumer sync: exit %d, %v", again.code, again.summary)
	}

	t.Run("resume", func(t *testing.T) {
		// An interrupted download of the blob: half of it is in the
		// partial. The next sync resumes it with a Range request on the
		// registry's blob endpoint and hashes the kept half again.
		r := fl.consumer("resume", "consumer", "con-pass", fl.pubKey)
		good := fl.good["ubuntu-24-lts.qcow2"]
		partial := filepath.Join(r.images, ".fetchd", "partial")
		if err := os.MkdirAll(partial, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(filepath.Join(r.images, ".fetchd"), 0o700); err != nil {
			t.Fatal(err)
		}
		half := len(good) / 2
		if err := os.WriteFile(filepath.Join(partial, "sha256-"+sha256Hex(good)+".part"), good[:half], 0o600); err != nil {
			t.Fatal(err)
		}
		res := r.syncJSON("ubuntu-24-lts.qcow2")
		r.good = map[string][]byte{}
		r.check(res, expect{code: 0})
		if got := srvBytesReused(t, res, "ubuntu-24-lts.qcow2"); got != int64(half) {
			t.Errorf("bytes_reused %d, want the %d bytes of the partial", got, half)
		}
		if !bytes.Equal(r.read("ubuntu-24-lts.qcow2"), good) {
			t.Error("the resumed download differs from the publisher's build")
		}
		ranged := false
		for _, q := range fl.reg.Requests() {
			if q.Method == http.MethodGet && strings.Contains(q.Path, "/images/ubuntu-24-lts/blobs/sha256:"+sha256Hex(good)) && q.Status == http.StatusPartialContent {
				ranged = true
			}
		}
		if !ranged {
			t.Error("the registry's access log shows no 206 answer to a ranged GET of the blob")
		}
	})

	t.Run("tampered blob", func(t *testing.T) {
		c.t = t
		fl.startReplicas()
		if _, err := fl.world.Debian.Publish("13", runtime.GOARCH, "generic"); err != nil {
			t.Fatal(err)
		}
		if r := fl.run("sync", "--update", "always", "debian-13.qcow2"); r.code != 0 {
			t.Fatalf("publisher update: %d\n%s", r.code, r.stderr)
		}
		if r := fl.publish("--sign-key", fl.keyFile, "debian-13.qcow2"); r.code != 0 {
			t.Fatalf("publish of the new build: %d\n%s", r.code, r.stderr)
		}
		fl.stopReplicas()
		blob := fl.layerOf(t, "debian-13.qcow2")
		orig, err := os.ReadFile(blob)
		if err != nil {
			t.Fatal(err)
		}
		bad := bytes.Clone(orig)
		bad[len(bad)/2] ^= 0xff
		if err := os.WriteFile(blob, bad, 0o644); err != nil {
			t.Fatal(err)
		}
		defer os.WriteFile(blob, orig, 0o644)
		res := c.syncJSON("--update", "always")
		c.check(res, expect{code: 1, failed: map[string]string{"debian-13.qcow2": "checksum mismatch"}})
	})

	t.Run("signed by another key", func(t *testing.T) {
		c.t = t
		stranger := sigtest.MustNewKey("Stranger, test only", "stranger@example.invalid")
		strangerKey := fl.writeFile("stranger.secret.asc", stranger.SecretArmored())
		fl.startReplicas()
		if _, err := fl.world.Alpine.Publish("latest-stable", runtime.GOARCH, "nocloud-uefi-cloudinit"); err != nil {
			t.Fatal(err)
		}
		if r := fl.run("sync", "--update", "always", "alpine-3.qcow2"); r.code != 0 {
			t.Fatalf("publisher update: %d\n%s", r.code, r.stderr)
		}
		if r := fl.publish("--sign-key", strangerKey, "alpine-3.qcow2"); r.code != 0 {
			t.Fatalf("publish signed by the stranger: %d\n%s", r.code, r.stderr)
		}
		fl.stopReplicas()
		// The installed build stays, and the run says why the new one is
		// not installed (as for any source whose answer is refused).
		res := c.syncJSON("--update", "always", "alpine-3.qcow2")
		c.check(res, expect{code: 0})
		if !strings.Contains(res.stderr, "fetchd: warning: alpine-3.qcow2: signature "+fl.to+"/alpine-3:sha256-") ||
			!strings.Contains(res.stderr, "refused: it does not verify with the configured keys") || !strings.Contains(res.stderr, "not in the keyring") {
			t.Errorf("the refusal does not say why, naming the signer:\n%s", res.stderr)
		}
		// A host that has no build yet installs nothing.
		fresh := fl.consumer("fresh", "consumer", "con-pass", fl.pubKey)
		res = fresh.syncJSON("alpine-3.qcow2")
		fresh.check(res, expect{code: 1, failed: map[string]string{"alpine-3.qcow2": "does not verify with the configured keys"}})
	})

	t.Run("sign-key passphrase", func(t *testing.T) {
		// The key is unlocked before publish contacts the registry: a
		// wrong or missing passphrase writes nothing there.
		env := fl.faultWorld.env
		defer func() { fl.faultWorld.env = env }()
		wrong := fl.writeFile("wrong.passphrase", []byte("not the passphrase\n"))
		empty := fl.writeFile("empty.passphrase", []byte("\n"))
		for name, tc := range map[string]struct {
			env  string
			want []string
		}{
			"wrong": {signPassphraseEnv + "=" + wrong, []string{
				"publish: --sign-key " + fl.keyFile + ": the passphrase does not unlock the signing key (a wrong passphrase, or a damaged key file): openpgp: ",
				"; the passphrase was read from " + wrong + " ($" + signPassphraseEnv + ")",
			}},
			"missing": {signPassphraseEnv + "=", []string{"publish: --sign-key " + fl.keyFile + ": the signing key is protected by a passphrase; set FETCHD_SIGN_PASSPHRASE_FILE to a file holding it"}},
			"empty":   {signPassphraseEnv + "=" + empty, []string{"publish: $" + signPassphraseEnv + ": " + empty + " is empty; it should hold the passphrase of --sign-key"}},
		} {
			fl.faultWorld.env = append(slices.Clip(env), tc.env)
			writes := fl.registryWrites()
			res := fl.publish("--sign-key", fl.keyFile, "alpine-3.qcow2")
			if res.code != exitUsage {
				t.Errorf("%s passphrase: exit %d, want %d:\n%s", name, res.code, exitUsage, res.stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(res.stderr, w) {
					t.Errorf("%s passphrase: stderr lacks %q:\n%s", name, w, res.stderr)
				}
			}
			if n := fl.registryWrites() - writes; n != 0 {
				t.Errorf("%s passphrase: publish sent the registry %d writes, want none", name, n)
			}
		}
	})

	t.Run("wrong password", func(t *testing.T) {
		w := fl.consumer("wrong-password", "consumer", "not-the-password", "")
		res := w.syncJSON()
		w.check(res, expect{code: 1, failed: map[string]string{
			"alpine-3.qcow2": "refused the credentials", "debian-13.qcow2": "refused the credentials", "ubuntu-24-lts.qcow2": "refused the credentials",
		}})
		if !strings.Contains(res.stderr, "fetchd: hint: log in to the registry") {
			t.Errorf("no hint to log in:\n%s", res.stderr)
		}
	})
}

// registryWrites counts the POST, PUT, PATCH and DELETE requests in the
// registry's access log.
func (fl *fleet) registryWrites() int {
	n := 0
	for _, q := range fl.reg.Requests() {
		switch q.Method {
		case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
			n++
		}
	}
	return n
}

// layerOf returns where the registry stores the image blob of the build
// the publisher has for name.
func (fl *fleet) layerOf(t *testing.T, name string) string {
	t.Helper()
	p, err := fl.reg.BlobPath("sha256:" + sha256Hex(fl.read(name)))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestFleetExpiredToken runs the registry with token authentication and a
// token service that hands out tokens already expired (issued twenty
// minutes ago, expired ten minutes ago: past distribution's leeway, and no
// waiting on the clock), to the consumer and to the publisher.
func TestFleetExpiredToken(t *testing.T) {
	t.Parallel()
	fl := newFleet(t, registry.Token)
	if res := fl.publish("alpine-3.qcow2"); res.code != 0 {
		t.Fatalf("publish with tokens: exit %d\n%s\n%s", res.code, res.stdout, res.stderr)
	}
	c := fl.consumer("consumer", "consumer", "con-pass", "")
	fl.reg.Tokens.SetExpired(true)
	res := c.syncJSON("alpine-3.qcow2")
	c.check(res, expect{code: 1, failed: map[string]string{"alpine-3.qcow2": "invalid_token"}})
	// The publisher's side: the same clear refusal.
	pub := fl.publish("alpine-3.qcow2")
	if want := "registry " + fl.reg.Host + " refused the credentials from Docker's config.json: the registry refused the token its token service issued (invalid_token"; pub.code != exitFailed || !strings.Contains(pub.stderr, want) {
		t.Errorf("publish with expired tokens: exit %d, want %d and %q:\n%s", pub.code, exitFailed, want, pub.stderr)
	}
	fl.reg.Tokens.SetExpired(false)
	res = c.syncJSON("alpine-3.qcow2")
	if res.code != 0 || res.summary["alpine-3.qcow2"] != "installed" {
		t.Errorf("with valid tokens: exit %d %v\n%s", res.code, res.summary, res.stderr)
	}
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// entryVersion is the version the state records for an image.
func (f *faultWorld) entryVersion(name string) string {
	f.t.Helper()
	var st struct {
		Images map[string]struct {
			Version string `json:"version"`
		} `json:"images"`
	}
	data, err := os.ReadFile(filepath.Join(f.images, ".fetchd", "state.json"))
	if err != nil {
		f.t.Fatal(err)
	}
	if err := json.Unmarshal(data, &st); err != nil {
		f.t.Fatal(err)
	}
	return st.Images[name].Version
}
