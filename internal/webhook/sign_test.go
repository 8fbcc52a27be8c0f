package webhook

import "testing"

// FuzzVerify: a signature made by Sign verifies; any other header value
// for the same body does not (unless it is the same signature in other
// hex case, which decodes to the same bytes).
func FuzzVerify(f *testing.F) {
	f.Add([]byte("secret-secret-16"), []byte(`{"event":"installed"}`), "sha256=00")
	f.Add([]byte(""), []byte(""), "sha1=abc")
	f.Fuzz(func(t *testing.T, secret, body []byte, header string) {
		sig := Sign(secret, body)
		if !Verify(secret, body, sig) {
			t.Fatalf("Sign's own signature does not verify: %q", sig)
		}
		if Verify(secret, body, header) && !equalFoldHex(header, sig) {
			t.Fatalf("header %q verifies, want only %q", header, sig)
		}
	})
}

func equalFoldHex(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range len(a) {
		x, y := a[i], b[i]
		if x >= 'A' && x <= 'F' {
			x += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
