package testutil

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
)

// Qcow2Factory hands out distinct, valid qcow2 images cheaply, for replicas
// that hold hundreds of image files: one empty image made by the real
// `qemu-img create`, copied with a different virtual size each time (the
// size field is the only thing that changes; up to 512 MiB the rest of an
// empty image's layout is the same, so every copy passes qemu-img check).
type Qcow2Factory struct {
	base []byte
	mu   sync.Mutex
	n    uint64
}

const (
	factoryBaseSize = 64 << 20
	sizeOffset      = 24 // big-endian u64 virtual size in the qcow2 header
)

// NewQcow2Factory makes the base image with the qemu-img at qemuImg, in
// dir.
func NewQcow2Factory(qemuImg, dir string) (*Qcow2Factory, error) {
	path := filepath.Join(dir, "factory-base.qcow2")
	out, err := exec.Command(qemuImg, "create", "-q", "-f", "qcow2", path, fmt.Sprint(factoryBaseSize)).CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("qemu-img create: %v: %s", err, bytes.TrimSpace(out))
	}
	base, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(base) < 512 || string(base[:4]) != "QFI\xfb" || binary.BigEndian.Uint64(base[sizeOffset:]) != factoryBaseSize {
		return nil, fmt.Errorf("qemu-img made an unexpected image %s", path)
	}
	return &Qcow2Factory{base: base}, nil
}

// Next returns a qcow2 image no earlier call returned.
func (f *Qcow2Factory) Next() []byte {
	f.mu.Lock()
	f.n++
	n := f.n
	f.mu.Unlock()
	img := bytes.Clone(f.base)
	// 512-byte steps keep the size sector-aligned and below 512 MiB for
	// almost a million images.
	binary.BigEndian.PutUint64(img[sizeOffset:], factoryBaseSize+n*512)
	return img
}

// Content is Next in the shape replica generators take.
func (f *Qcow2Factory) Content(string) ([]byte, error) { return f.Next(), nil }
