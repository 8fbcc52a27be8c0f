// Command replicas lays out replicas of the Ubuntu, Debian and Alpine
// upstreams with real qcow2 images (for bench/run.sh) and prints a fetchd
// config for the three default images served from -base.
//
//	go run ./bench/replicas -out /var/tmp/replicas -base http://127.0.0.1:8080/replicas > fetchd.yaml
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/sandlabx/fetchd/internal/testutil"
	"github.com/sandlabx/fetchd/internal/testworld"
)

func main() {
	out := flag.String("out", "", "directory to write the replicas into")
	base := flag.String("base", "", "URL where -out will be served")
	dir := flag.String("dir", "", "image directory for the config (default: <out>/../images)")
	flag.Parse()
	if *out == "" || *base == "" {
		fmt.Fprintln(os.Stderr, "usage: replicas -out DIR -base URL [-dir DIR]")
		os.Exit(2)
	}
	if err := run(*out, *base, *dir); err != nil {
		fmt.Fprintf(os.Stderr, "replicas: %v\n", err)
		os.Exit(1)
	}
}

func run(out, base, dir string) error {
	out, err := filepath.Abs(out)
	if err != nil {
		return err
	}
	if dir == "" {
		dir = filepath.Join(filepath.Dir(out), "images")
	}
	qemuImg, err := exec.LookPath("qemu-img")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	f, err := testutil.NewQcow2Factory(qemuImg, out)
	if err != nil {
		return err
	}
	w, err := testworld.Write(out, f.Content)
	if err != nil {
		return err
	}
	fmt.Print(w.Config(base, dir))
	return nil
}
