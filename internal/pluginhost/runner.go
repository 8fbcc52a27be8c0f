package pluginhost

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/hashicorp/go-plugin/runner"
	"golang.org/x/sys/unix"

	"github.com/sandlabx/fetchd/internal/proctree"
)

// Bounds on stopping a plugin. Together they are the most a plugin can
// delay fetchd's exit (or the exec of `sync -- CMD`): a plugin that ignores
// the launcher's SIGTERM is killed after stopGrace, and a pipe still held
// open after the process has gone is closed after pipeGrace.
const (
	stopGrace = time.Second
	pipeGrace = time.Second
)

// procRunner is go-plugin's runner.Runner for a plugin process, written so
// that no descendant of the plugin can hang the host (go-plugin#136): the
// plugin's stdout and stderr are pipes the runner owns, which it closes
// itself once the process has exited (at once when every writer is gone,
// else after pipeGrace), and stopping the plugin stops its whole tree:
// through the launcher when there is one, else by killing its descendants
// and process group from here.
type procRunner struct {
	cmd      *exec.Cmd
	name     string
	launched bool

	stdout, stderr *eofReader
	exited         chan struct{}
	waitErr        error
	stopOnce       sync.Once

	// Start runs in go-plugin's goroutine, which a stop can race (a start
	// given up on); mu orders them: a stop before the start means the
	// process is never started.
	mu      sync.Mutex
	pid     int  // once started
	started bool // cmd.Process is set
	stopped bool // stop came first: Start refuses
}

var _ runner.Runner = (*procRunner)(nil)

func newProcRunner(cmd *exec.Cmd, name string, launched bool) *procRunner {
	return &procRunner{cmd: cmd, name: name, launched: launched, exited: make(chan struct{})}
}

func (r *procRunner) Start(context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopped {
		return errors.New("the plugin was stopped before it started")
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		return err
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		outR.Close()
		outW.Close()
		return err
	}
	r.cmd.Stdout, r.cmd.Stderr = outW, errW
	err = r.cmd.Start()
	outW.Close()
	errW.Close()
	if err != nil {
		outR.Close()
		errR.Close()
		return err
	}
	r.pid, r.started = r.cmd.Process.Pid, true
	r.stdout, r.stderr = newEOFReader(outR), newEOFReader(errR)
	go r.wait()
	return nil
}

// wait reaps the process, then makes sure the pipes end: a descendant that
// escaped the kill (only possible without the launcher, or when the
// launcher itself was killed) must not keep go-plugin reading them.
func (r *procRunner) wait() {
	r.waitErr = r.cmd.Wait()
	close(r.exited)
	if !r.launched {
		r.killTree()
	}
	deadline := time.After(pipeGrace)
	for _, p := range []*eofReader{r.stdout, r.stderr} {
		select {
		case <-p.eof:
		case <-deadline:
		}
	}
	r.stdout.Close()
	r.stderr.Close()
}

func (r *procRunner) Wait(context.Context) error {
	<-r.exited
	return r.waitErr
}

// Kill stops the plugin and its whole tree, waiting at most about
// 2*stopGrace.
func (r *procRunner) Kill(context.Context) error {
	r.stop()
	return nil
}

// processID is the started process's pid (0 before it started).
func (r *procRunner) processID() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.pid
}

func (r *procRunner) stop() {
	r.mu.Lock()
	started := r.started
	r.stopped = true
	r.mu.Unlock()
	if !started {
		return
	}
	r.stopOnce.Do(func() {
		if r.launched {
			// The launcher kills the tree and exits.
			_ = r.cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-r.exited:
				return
			case <-time.After(stopGrace):
			}
		}
		r.killTree()
		_ = unix.Kill(-r.pid, unix.SIGKILL)
		_ = r.cmd.Process.Kill()
		select {
		case <-r.exited:
		case <-time.After(stopGrace):
		}
	})
}

// killTree kills the descendants of the plugin process; without a launcher
// this is as much as the host can do (an orphan that left the process
// group is re-parented away from the plugin and out of reach, unless
// fetchd is its subreaper).
func (r *procRunner) killTree() { _, _ = proctree.Kill(r.pid) }

func (r *procRunner) Exited() bool {
	select {
	case <-r.exited:
		return true
	default:
		return false
	}
}

func (r *procRunner) Stdout() io.ReadCloser { return r.stdout }
func (r *procRunner) Stderr() io.ReadCloser { return r.stderr }
func (r *procRunner) Name() string          { return r.name }
func (r *procRunner) ID() string            { return strconv.Itoa(r.pid) }

func (r *procRunner) Diagnose(context.Context) string {
	return fmt.Sprintf("\n  is %s a fetchd plugin built for this machine, and executable?", r.name)
}

func (r *procRunner) PluginToHost(network, addr string) (string, string, error) {
	return network, addr, nil
}

func (r *procRunner) HostToPlugin(network, addr string) (string, string, error) {
	return network, addr, nil
}

// eofReader is a pipe's read end that records when it hit the end.
type eofReader struct {
	f    *os.File
	eof  chan struct{}
	once sync.Once
}

func newEOFReader(f *os.File) *eofReader { return &eofReader{f: f, eof: make(chan struct{})} }

func (e *eofReader) Read(p []byte) (int, error) {
	n, err := e.f.Read(p)
	if err != nil {
		e.once.Do(func() { close(e.eof) })
		if errors.Is(err, os.ErrClosed) {
			err = io.EOF
		}
	}
	return n, err
}

func (e *eofReader) Close() error { return e.f.Close() }
