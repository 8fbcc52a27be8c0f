// Command fakeplugin is a misbehaving fetchd source plugin for the fault
// suite (cmd/fetchd/faults_plugin_test.go). It always calls itself
// "debian" and describes itself as the built-in Debian source does, so it
// can stand in for it as fetchd-plugin-debian; what it does wrong is chosen
// by the name of the directory it is started from (plugins get a minimal,
// explicit environment, so the mode cannot come from a variable):
//
//	crash          Resolve kills the process (an unrecovered panic)
//	hang           Resolve never answers and ignores cancellation
//	chatty         prints to stdout before the handshake
//	notplugin      is no plugin at all: prints usage to stderr, exits 2
//	oversized      answers Resolve with a message over the host's 1 MiB cap
//	file-url       answers a file:// URL
//	http-url       answers an http:// URL on a host the operator did not configure
//	slash-name     answers a file name with a "/"
//	dotdot-name    answers the file name ".."
//	nonhex-digest  answers a digest that is not hex
//	short-digest   answers a digest one byte short
//	honest         is the built-in Debian source, as a plugin binary
//	fork-child     starts a child in its own process group that sleeps an
//	               hour, then serves as honest does
//	setsid-child   starts a daemon that leaves its session (setsid) and is
//	               orphaned (its parent exits), then serves as honest does
//	stderr-holder  starts a child that holds its stderr open, then serves
//	               as honest does
//	escapes        fails Resolve with a message full of terminal escape
//	               sequences and bidi controls
//
// The answering modes bypass the sdk (which would refuse to send such
// answers) and serve the SourceService themselves over go-plugin with
// fetchd's handshake, to prove the host checks for itself.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	sourcev1 "github.com/sandlabx/fetchd/internal/gen/fetchd/source/v1"
	"github.com/sandlabx/fetchd/internal/testutil/rawplugin"
	"github.com/sandlabx/fetchd/plugins/debian"
	"github.com/sandlabx/fetchd/sdk"
)

func main() {
	mode := filepath.Base(filepath.Dir(os.Args[0]))
	switch mode {
	case "crash":
		sdk.Serve(source{resolve: func() {
			// An unrecovered panic on another goroutine: the sdk cannot
			// recover it, the runtime prints it to fd 2 and exits.
			go func() { panic("fakeplugin: crash in Resolve") }()
			select {}
		}})
	case "hang":
		sdk.Serve(source{resolve: func() { select {} }})
	case "chatty":
		fmt.Println("fakeplugin: hello from a plugin that prints before the handshake")
		sdk.Serve(source{})
	case "honest":
		sdk.Serve(debian.New())
	case "fork-child", "setsid-child", "stderr-holder":
		startChild(mode)
		sdk.Serve(debian.New())
	case "escapes":
		sdk.Serve(source{err: errors.New("fakeplugin: \x1b]0;owned\x07\x1b[2J\x1b[31mall good\x1b[0m\rREWRITTEN \u202eexe.txt\u202c end")})
	case "notplugin":
		fmt.Fprintln(os.Stderr, "usage: fakeplugin FILE... (this program is not a fetchd plugin)")
		os.Exit(2)
	default:
		if _, ok := lies[mode]; !ok {
			fmt.Fprintf(os.Stderr, "fakeplugin: unknown mode %q (the directory name)\n", mode)
			os.Exit(2)
		}
		serveRaw(mode)
	}
}

// source is the built-in Debian source with its Resolve replaced.
type source struct {
	resolve func()
	err     error
}

func (s source) Describe() sdk.Description { return debian.New().Describe() }

func (s source) Resolve(context.Context, sdk.ResolveRequest) (sdk.Artifact, error) {
	if s.resolve != nil {
		s.resolve()
	}
	if s.err != nil {
		return sdk.Artifact{}, s.err
	}
	return sdk.Artifact{}, errors.New("fakeplugin: no mode answers")
}

// startChild starts what the mode's name says; each child sleeps for an
// hour, far longer than any test, so only fetchd stopping it ends it.
func startChild(mode string) {
	var c *exec.Cmd
	switch mode {
	case "fork-child":
		c = exec.Command("sleep", "3600")
	case "setsid-child":
		c = exec.Command("setsid", "sh", "-c", "sleep 3600 & exit 0")
	case "stderr-holder":
		c = exec.Command("sleep", "3600")
		c.Stderr = os.Stderr
	}
	if err := c.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "fakeplugin: %s: %v\n", mode, err)
		os.Exit(1)
	}
}

// lies turn an otherwise valid answer into the mode's invalid one.
var lies = map[string]func(*sourcev1.Artifact){
	"oversized":     func(a *sourcev1.Artifact) { a.Version = strings.Repeat("9", 2<<20) },
	"file-url":      func(a *sourcev1.Artifact) { a.Url = "file:///etc/shadow" },
	"file-sig-url":  func(a *sourcev1.Artifact) { a.ImageSignatureUrl = "file:///etc/shadow.asc" },
	"http-url":      func(a *sourcev1.Artifact) { a.Url = "http://fetchd-fault.invalid/debian-13.qcow2" },
	"slash-name":    func(a *sourcev1.Artifact) { a.FileName = "trixie/debian-13.qcow2" },
	"dotdot-name":   func(a *sourcev1.Artifact) { a.FileName = ".." },
	"nonhex-digest": func(a *sourcev1.Artifact) { a.Checksum.Hex = strings.Repeat("zz", 64) },
	"short-digest":  func(a *sourcev1.Artifact) { a.Checksum.Hex = strings.Repeat("ab", 63) },
}

func serveRaw(mode string) {
	desc := rawplugin.DescribeToProto(debian.New().Describe())
	rawplugin.Serve(&rawplugin.Server{Desc: desc, Answer: func(req *sourcev1.ResolveRequest) *sourcev1.Artifact {
		art := answer(desc, req)
		lies[mode](art)
		return art
	}})
}

// answer is what the request asks for (the host sends canonical names),
// valid in every field.
func answer(desc *sourcev1.DescribeResponse, req *sourcev1.ResolveRequest) *sourcev1.Artifact {
	base := strings.TrimRight(req.GetBaseUrl(), "/")
	if base == "" {
		base = desc.GetDefaultBaseUrl()
	}
	file := fmt.Sprintf("debian-%s-%s-%s-20260101-1.qcow2", req.GetRelease(), req.GetVariant(), req.GetArch())
	return &sourcev1.Artifact{
		Url:         base + "/fake/20260101-1/" + file,
		FileName:    file,
		Version:     "20260101-1",
		Format:      sourcev1.Format_FORMAT_QCOW2,
		Checksum:    &sourcev1.Checksum{Algorithm: sourcev1.HashAlgorithm_HASH_ALGORITHM_SHA512, Hex: strings.Repeat("ab", 64)},
		ChecksumUrl: base + "/fake/20260101-1/SHA512SUMS",
		Signature:   &sourcev1.Signature{Status: sourcev1.SignatureStatus_SIGNATURE_STATUS_UNSIGNED, Detail: "fakeplugin signs nothing"},
		Release:     req.GetRelease(),
		Arch:        req.GetArch(),
		Variant:     req.GetVariant(),
	}
}
