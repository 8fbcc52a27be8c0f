package pluginhost

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sandlabx/fetchd/internal/proctree"
)

// The launcher is the process fetchd actually starts for a plugin: the
// fetchd binary itself, re-executed as `fetchd __launch [limits] -- PLUGIN
// ARGS...` (Options.Launcher). It
//
//   - makes itself a child subreaper, so that nothing the plugin starts can
//     leave its subtree, not even by setsid and a double fork;
//   - sets the plugin's resource limits on itself before starting the
//     plugin, which inherits them (os/exec has no rlimit field, and
//     setting them on an already running plugin with prlimit(2) would race
//     its first allocations); this works for any plugin binary, not only
//     Go ones;
//   - starts the plugin with its own stdin, stdout and stderr and lets go of
//     them itself;
//   - when the plugin exits, or when fetchd asks it to stop (SIGTERM, or
//     fetchd dying: its parent-death signal), stops and kills everything
//     left in its subtree, reaps it all, and exits with the plugin's status.
//
// So when the launcher has exited, the plugin's whole tree is gone and
// nothing holds the plugin's pipes any more.

// launcherReapBound bounds how long the launcher waits for killed processes
// to be reaped (SIGKILL is immediate, except for a process stuck in an
// uninterruptible sleep).
const launcherReapBound = 2 * time.Second

// LaunchArgs returns the launcher's arguments (after the launcher command
// itself) for running the executable exe with the arguments argv (argv[0]
// included, which may differ from exe) under limits.
func LaunchArgs(l proctree.Limits, exe string, argv []string) []string {
	args := []string{"--memory", fmt.Sprint(l.Memory), "--cpu", l.CPU.String(), "--exec", exe, "--"}
	return append(args, argv...)
}

// LaunchMain runs the launcher with the arguments LaunchArgs made and exits.
// fetchd's main calls it for its hidden __launch command.
func LaunchMain(args []string) {
	os.Exit(launch(args, os.Stderr))
}

func launch(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("fetchd __launch", flag.ContinueOnError)
	fs.SetOutput(stderr)
	mem := fs.Int64("memory", 0, "RLIMIT_DATA in bytes (0: unchanged)")
	cpu := fs.Duration("cpu", 0, "RLIMIT_CPU (0: unchanged)")
	exe := fs.String("exec", "", "the executable (default: the first argument)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	argv := fs.Args()
	if len(argv) == 0 {
		fmt.Fprintln(stderr, "fetchd __launch: no plugin to run (this command is fetchd's own; it is not meant to be run by hand)")
		return 2
	}
	fail := func(err error) int {
		fmt.Fprintf(stderr, "fetchd plugin launcher: %v\n", err)
		return 1
	}
	if err := proctree.SetSubreaper(); err != nil {
		return fail(err)
	}
	if err := (proctree.Limits{Memory: *mem, CPU: *cpu}).Apply(); err != nil {
		return fail(err)
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)

	if *exe == "" {
		*exe = argv[0]
	}
	child, err := os.StartProcess(*exe, argv, &os.ProcAttr{
		Env:   os.Environ(),
		Files: []*os.File{os.Stdin, os.Stdout, os.Stderr},
		Sys:   &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL},
	})
	if err != nil {
		return fail(err)
	}
	// Let go of the plugin's pipes: from now on only the plugin's tree
	// holds them, and it is killed before the launcher exits.
	releaseStdio()

	exited := make(chan unix.WaitStatus, 1)
	reaped := make(chan struct{})
	go reapChildren(child.Pid, exited, reaped)

	var status unix.WaitStatus
	select {
	case status = <-exited:
		_, _ = proctree.Kill(os.Getpid())
	case sig := <-sigs:
		_, _ = proctree.Kill(os.Getpid())
		select {
		case status = <-exited:
		case <-time.After(launcherReapBound):
			return 128 + int(sig.(syscall.Signal))
		}
	}
	select {
	case <-reaped:
	case <-time.After(launcherReapBound):
	}
	switch {
	case status.Exited():
		return status.ExitStatus()
	case status.Signaled():
		return 128 + int(status.Signal())
	}
	return 1
}

// reapChildren reaps every child of the launcher (the plugin and every
// orphan re-parented to it) until it has none; the plugin's status is sent
// on exited.
func reapChildren(pluginPid int, exited chan<- unix.WaitStatus, done chan<- struct{}) {
	defer close(done)
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, 0, nil)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil {
			return // ECHILD: nothing left
		}
		if pid == pluginPid {
			exited <- ws
		}
	}
}

// releaseStdio points the launcher's own stdin, stdout and stderr at
// /dev/null.
func releaseStdio() {
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return
	}
	for fd := 0; fd <= 2; fd++ {
		_ = unix.Dup2(int(null.Fd()), fd)
	}
	_ = null.Close()
}
