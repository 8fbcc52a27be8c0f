package service

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/sandlabx/fetchd/internal/config"
	"github.com/sandlabx/fetchd/internal/state"
)

// TokenFileName is the generated token inside the private directory.
const TokenFileName = "api-token"

// Token is the API token and where it came from.
type Token struct {
	Value string
	// Path is the file it is kept in: api.token_file, or the generated
	// <dir>/.fetchd/api-token.
	Path string
	// Generated is true for a token fetchd made itself.
	Generated bool
}

// LoadToken returns the configured token (api.token_file), or the one
// fetchd keeps in its private directory, generating it (32 random bytes,
// mode 0600) at first start.
func LoadToken(cfg *config.Config) (Token, error) {
	if cfg.API.Token != "" {
		return Token{Value: cfg.API.Token, Path: cfg.API.TokenFile}, nil
	}
	dir := filepath.Join(cfg.Dir, state.PrivateDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return Token{}, fmt.Errorf("api token: %w", err)
	}
	path := filepath.Join(dir, TokenFileName)
	tok, err := readToken(path)
	if errors.Is(err, fs.ErrNotExist) {
		tok, err = createToken(path)
		if errors.Is(err, fs.ErrExist) {
			tok, err = readToken(path) // made by another process just now
		}
	}
	if err != nil {
		return Token{}, err
	}
	return Token{Value: tok, Path: path, Generated: true}, nil
}

// readToken reads the generated token, refusing a file another user could
// have written or read: not a symlink, a regular file owned by us, no
// group or other permissions.
func readToken(path string) (string, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		if errors.Is(err, syscall.ELOOP) {
			return "", fmt.Errorf("api token %s is a symlink; fetchd refuses it (remove it, and a new token is made)", path)
		}
		return "", err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", fmt.Errorf("api token %s: %w", path, err)
	}
	st, _ := fi.Sys().(*syscall.Stat_t)
	switch {
	case !fi.Mode().IsRegular():
		return "", fmt.Errorf("api token %s is not a regular file", path)
	case st != nil && int(st.Uid) != os.Getuid():
		return "", fmt.Errorf("api token %s is owned by uid %d, not fetchd's uid %d; fetchd refuses it (remove it, and a new token is made)", path, st.Uid, os.Getuid())
	case fi.Mode().Perm()&0o077 != 0:
		return "", fmt.Errorf("api token %s has mode %04o: others may have read it; remove it (a new token is made) or chmod 600 it", path, fi.Mode().Perm())
	}
	data, err := io.ReadAll(io.LimitReader(f, 4096))
	if err != nil {
		return "", fmt.Errorf("api token %s: %w", path, err)
	}
	tok := strings.TrimSpace(string(data))
	if len(tok) < config.MinTokenBytes {
		return "", fmt.Errorf("api token %s holds %d bytes, want at least %d (remove it, and a new token is made)", path, len(tok), config.MinTokenBytes)
	}
	return tok, nil
}

func createToken(path string) (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	tok := hex.EncodeToString(b[:])
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return "", err
	}
	_, err = f.WriteString(tok + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return "", fmt.Errorf("api token %s: %w", path, err)
	}
	return tok, nil
}
