package proctree

import (
	"bytes"
	"os"
	"strconv"
)

// proc is one entry of /proc.
type proc struct {
	pid, ppid, pgid int
	state           byte // R, S, D, T, t, Z, X, ...
}

// readProc reads /proc/<pid>/stat; ok is false when the process is gone.
func readProc(pid int) (proc, bool) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return proc{}, false
	}
	return parseStat(data)
}

// parseStat parses a /proc/<pid>/stat line: "pid (comm) S ppid pgrp ...".
// The command name may hold spaces and parentheses, so fields are counted
// from the last ')'.
func parseStat(data []byte) (proc, bool) {
	open := bytes.IndexByte(data, '(')
	end := bytes.LastIndexByte(data, ')')
	if open < 1 || end < open {
		return proc{}, false
	}
	pid, err := strconv.Atoi(string(bytes.TrimSpace(data[:open])))
	if err != nil {
		return proc{}, false
	}
	f := bytes.Fields(data[end+1:])
	if len(f) < 3 || len(f[0]) != 1 {
		return proc{}, false
	}
	ppid, err1 := strconv.Atoi(string(f[1]))
	pgid, err2 := strconv.Atoi(string(f[2]))
	if err1 != nil || err2 != nil {
		return proc{}, false
	}
	return proc{pid: pid, ppid: ppid, pgid: pgid, state: f[0][0]}, true
}

// snapshot reads every process in /proc.
func snapshot() ([]proc, error) {
	d, err := os.Open("/proc")
	if err != nil {
		return nil, err
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		return nil, err
	}
	out := make([]proc, 0, len(names))
	for _, n := range names {
		pid, err := strconv.Atoi(n)
		if err != nil {
			continue
		}
		if p, ok := readProc(pid); ok {
			out = append(out, p)
		}
	}
	return out, nil
}

// Descendants returns the pids of every living descendant of root (not root
// itself), parents before their children, from one reading of /proc.
// Zombies are left out: they hold nothing and only their parent can reap
// them.
func Descendants(root int) ([]int, error) {
	procs, err := snapshot()
	if err != nil {
		return nil, err
	}
	return descendants(procs, root), nil
}

func descendants(procs []proc, root int) []int {
	children := map[int][]proc{}
	for _, p := range procs {
		children[p.ppid] = append(children[p.ppid], p)
	}
	var out []int
	queue := []int{root}
	for len(queue) > 0 {
		pid := queue[0]
		queue = queue[1:]
		for _, c := range children[pid] {
			if c.pid == root || c.pid == pid {
				continue
			}
			if c.state != 'Z' && c.state != 'X' {
				out = append(out, c.pid)
			}
			queue = append(queue, c.pid)
		}
	}
	return out
}
