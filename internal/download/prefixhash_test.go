package download

import (
	"crypto/sha256"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// The file holds garbage past the frontier until the right bytes are
// written there, then the frontier moves over them. A hasher that read one
// byte past the frontier it was told would hash garbage.
func TestPrefixHasherFollowsFrontier(t *testing.T) {
	t.Parallel()
	for seed := range uint64(20) {
		rng := rand.New(rand.NewPCG(seed, 3))
		size := 1 + rng.Int64N(2<<20)
		want := randomBytes(int(size), seed)
		f, err := os.Create(filepath.Join(t.TempDir(), "p"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.WriteAt(randomBytes(int(size), seed+1000), 0); err != nil {
			t.Fatal(err)
		}
		start := rng.Int64N(size)
		h := sha256.New()
		h.Write(want[:start])
		if _, err := f.WriteAt(want[:start], 0); err != nil {
			t.Fatal(err)
		}
		p := newPrefixHasher(f, h, start)
		for at := start; at < size; {
			n := min(1+rng.Int64N(1<<20), size-at)
			if _, err := f.WriteAt(want[at:at+n], at); err != nil {
				t.Fatal(err)
			}
			at += n
			p.advance(at)
		}
		got, err := p.sum(size)
		if err != nil {
			t.Fatal(err)
		}
		if sum := sha256.Sum256(want); string(got) != string(sum[:]) {
			t.Fatalf("seed %d: digest over garbage", seed)
		}
		p.close()
		f.Close()
	}
}

// A file shorter than the frontier it is told is an error, not a digest.
func TestPrefixHasherShortFile(t *testing.T) {
	t.Parallel()
	f, err := os.Create(filepath.Join(t.TempDir(), "p"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.Write(make([]byte, 100))
	p := newPrefixHasher(f, sha256.New(), 0)
	if _, err := p.sum(200); err == nil {
		t.Fatal("a digest over 200 bytes of a 100-byte file")
	}
	p.close()
}

// close stops a hasher that waits for bytes that will not come.
func TestPrefixHasherClose(t *testing.T) {
	t.Parallel()
	f, err := os.Create(filepath.Join(t.TempDir(), "p"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p := newPrefixHasher(f, sha256.New(), 0)
	p.close()
	p.close()
}
