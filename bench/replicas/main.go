// Command replicas lays out replicas of the Ubuntu, Debian and Alpine
// upstreams with real qcow2 images, and prints a fetchd config for the
// three default images served from them.
//
// To try fetchd without reaching the real upstream sites, serve them:
//
//	go run ./bench/replicas -serve 127.0.0.1:8080
//
// writes the replicas and <out>/fetchd.yaml, prints the config, and
// serves until interrupted; then fetchd --config <out>/fetchd.yaml sync,
// status and resolve work offline. bench/run.sh lays them out for its own
// server instead:
//
//	go run ./bench/replicas -out /var/tmp/replicas -base http://127.0.0.1:8080/replicas > fetchd.yaml
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/sandlabx/fetchd/internal/replica"
	"github.com/sandlabx/fetchd/internal/testutil"
	"github.com/sandlabx/fetchd/internal/testworld"
)

func main() {
	out := flag.String("out", "", "directory to write the replicas into (default with -serve: $TMPDIR/fetchd-replicas)")
	base := flag.String("base", "", "URL where -out will be served (not with -serve)")
	dir := flag.String("dir", "", "image directory for the config (default: ./images with -serve, else <out>/../images)")
	serve := flag.String("serve", "", "serve the replicas on this host:port (port 0 picks one) until interrupted")
	flag.Parse()
	var err error
	switch {
	case *serve != "" && *base == "":
		err = serveReplicas(*serve, *out, *dir)
	case *serve == "" && *out != "" && *base != "":
		err = write(*out, *base, *dir)
	default:
		fmt.Fprintln(os.Stderr, "usage: replicas -serve HOST:PORT [-out DIR] [-dir DIR]\n       replicas -out DIR -base URL [-dir DIR]")
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "replicas: %v\n", err)
		os.Exit(1)
	}
}

// write lays out the replicas under out and prints the config for base.
func write(out, base, dir string) error {
	out, err := filepath.Abs(out)
	if err != nil {
		return err
	}
	if dir == "" {
		dir = filepath.Join(filepath.Dir(out), "images")
	}
	w, err := layOut(out)
	if err != nil {
		return err
	}
	fmt.Print(w.Config(base, dir))
	return nil
}

func layOut(out string) (*testworld.World, error) {
	qemuImg, err := exec.LookPath("qemu-img")
	if err != nil {
		return nil, fmt.Errorf("the replicas' images are real qcow2 files made by qemu-img (apt-get install qemu-utils): %w", err)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, err
	}
	f, err := testutil.NewQcow2Factory(qemuImg, out)
	if err != nil {
		return nil, err
	}
	return testworld.Write(out, f.Content)
}

// serveReplicas lays out fresh replicas, writes <out>/fetchd.yaml pointing
// at them, prints it, and serves them until SIGINT or SIGTERM.
func serveReplicas(addr, out, dir string) error {
	if out == "" {
		out = filepath.Join(os.TempDir(), "fetchd-replicas")
	}
	out, err := filepath.Abs(out)
	if err != nil {
		return err
	}
	if dir == "" {
		dir = "images"
	}
	if dir, err = filepath.Abs(dir); err != nil {
		return err
	}
	// Fresh each time: a replica's builds are dated now.
	if err := os.RemoveAll(out); err != nil {
		return err
	}
	w, err := layOut(out)
	if err != nil {
		return err
	}
	srv, err := replica.Listen(out, addr)
	if err != nil {
		return err
	}
	defer srv.Close()
	cfg := filepath.Join(out, "fetchd.yaml")
	if err := os.WriteFile(cfg, []byte(w.Config(srv.URL, dir)), 0o644); err != nil {
		return err
	}
	fmt.Printf("# replicas of ubuntu, debian and alpine served at %s (Ctrl-C stops)\n# written to %s:\n", srv.URL, cfg)
	fmt.Print(w.Config(srv.URL, dir))
	fmt.Printf("# try:\n#   fetchd --config %s sync\n#   fetchd --config %s status --check\n#   fetchd --config %s resolve debian 13\n", cfg, cfg, cfg)
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	<-stop
	return nil
}
