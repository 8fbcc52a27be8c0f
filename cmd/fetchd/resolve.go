package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sandlabx/fetchd/internal/config"
	"github.com/sandlabx/fetchd/internal/engine"
	"github.com/sandlabx/fetchd/internal/urlrule"
	"github.com/sandlabx/fetchd/sdk"
)

// resolveJSON is `fetchd resolve --json`.
type resolveJSON struct {
	Source          string `json:"source"`
	Origin          string `json:"origin"`
	Release         string `json:"release"`
	Arch            string `json:"arch"`
	Variant         string `json:"variant,omitempty"`
	URL             string `json:"url"`
	FileName        string `json:"file_name"`
	Version         string `json:"version"`
	Format          string `json:"format"`
	Size            int64  `json:"size,omitempty"`
	Checksum        string `json:"checksum"`
	ChecksumURL     string `json:"checksum_url"`
	Signature       string `json:"signature"`
	KeyFingerprint  string `json:"key_fingerprint,omitempty"`
	KeyOrigin       string `json:"key_origin,omitempty"`
	SignatureURL    string `json:"signature_url,omitempty"`
	SignatureDetail string `json:"signature_detail"`
	// ImageSignatureURL is upstream's signature over the image itself;
	// ImageSignature says whether sync checks it ("checked at download
	// against the operator's keys") or not, and why.
	ImageSignatureURL string   `json:"image_signature_url,omitempty"`
	ImageSignature    string   `json:"image_signature,omitempty"`
	MetadataRead      []string `json:"metadata_read"`
	// Warnings are the plugin warnings printed on stderr too: skipped
	// plugin files, a plugin that replaces a built-in source.
	Warnings []string `json:"warnings"`
}

type resolveFlags struct {
	arch, variant, baseURL string
}

func (a *app) resolveCmd() *cobra.Command {
	var f resolveFlags
	cmd := &cobra.Command{
		Use:   "resolve SOURCE [RELEASE] [flags]",
		Short: "what SOURCE would download now: URL, version, checksum, signature, metadata read",
		Long: `Resolve asks SOURCE's plugin what it would download now for RELEASE (default:
the source's default release) and prints the answer: the pinned URL, the
build, the checksum and the file it came from, whether a signature vouched
for it (and, for a source that signs each image, whether sync will check that
signature), and every metadata URL the plugin read. Nothing is downloaded.

For the oci source, RELEASE is a registry reference: resolve reads the tag,
the build's provenance and, with sources.oci.keys, its signature.`,
		Example: `  fetchd resolve ubuntu 24.04
  fetchd resolve debian 13 --arch arm64
  fetchd resolve alpine latest-stable --json
  fetchd resolve ubuntu --base-url http://127.0.0.1:8080/ubuntu
  fetchd resolve oci registry.lab:5000/images/debian-13:latest`,
		Args:              resolveArgs,
		ValidArgsFunction: a.completeSources,
		RunE: func(cmd *cobra.Command, args []string) error {
			release := ""
			if len(args) == 2 {
				release = args[1]
			}
			return a.resolve(cmd.Context(), f, args[0], release)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.arch, "arch", "", "`ARCH`itecture (default: this host's)")
	fl.StringVar(&f.variant, "variant", "", "`VARIANT` (default: the source's)")
	fl.StringVar(&f.baseURL, "base-url", "", "upstream base `URL`: a mirror or a test server (default: the config's, else the source's)")
	return cmd
}

func resolveArgs(cmd *cobra.Command, args []string) error {
	if len(args) < 1 || len(args) > 2 {
		return &usageError{msg: "usage: fetchd resolve SOURCE [RELEASE] [--arch A] [--variant V] [--base-url URL] [--json]",
			hint: "run 'fetchd list-sources' to see the sources and their releases"}
	}
	return nil
}

func (a *app) resolve(ctx context.Context, f resolveFlags, source, release string) error {
	if f.baseURL != "" {
		if _, err := urlrule.Check(strings.TrimRight(f.baseURL, "/")+"/x", f.baseURL); err != nil {
			return usagef("--base-url: %v", err)
		}
	}
	cfg, err := a.loadConfig()
	if err != nil {
		return err
	}
	out, art, err := a.lookup(ctx, cfg, engine.Query{Source: source, Release: release, Arch: f.arch, Variant: f.variant, BaseURL: f.baseURL})
	if err != nil {
		return err
	}
	if a.jsonOut {
		return a.writeJSON(out)
	}
	if !a.quiet {
		writeResolve(a.stdout, out, art)
	}
	return nil
}

// lookup asks the source what it would download now: resolve's answer.
func (a *app) lookup(ctx context.Context, cfg *config.Config, q engine.Query) (resolveJSON, sdk.Artifact, error) {
	e, err := a.openEngine(cfg, engine.OpenOptions{NoMetadataCache: true, ExtraHTTPBase: q.BaseURL})
	if err != nil {
		return resolveJSON{}, sdk.Artifact{}, err
	}
	defer e.Close()
	a.announce(e, []string{q.Source})
	ans, err := e.Lookup(ctx, q)
	if err != nil {
		return resolveJSON{}, sdk.Artifact{}, err
	}
	art := ans.Artifact
	out := resolveJSON{
		Source: ans.Source, Origin: ans.Origin,
		Release: art.Release, Arch: art.Arch, Variant: art.Variant,
		URL: art.URL, FileName: art.FileName, Version: art.Version, Format: string(art.Format), Size: art.Size,
		Checksum: art.Digest.String(), ChecksumURL: art.ChecksumURL,
		Signature: string(art.Signature.Status), KeyFingerprint: art.Signature.KeyFingerprint,
		KeyOrigin: string(art.Signature.KeyOrigin), SignatureURL: art.Signature.SignatureURL,
		SignatureDetail:   art.Signature.Detail,
		ImageSignatureURL: art.ImageSignatureURL, ImageSignature: ans.ImageSignature,
		MetadataRead: ans.MetadataRead,
		Warnings:     a.jsonWarnings(),
	}
	return out, art, nil
}

func writeResolve(w io.Writer, r resolveJSON, art sdk.Artifact) {
	target := r.Release + " " + r.Arch
	if r.Variant != "" {
		target += " " + r.Variant
	}
	size := "unknown (upstream does not say)"
	if r.Size > 0 {
		size = fmt.Sprintf("%s (%d bytes)", humanBytes(r.Size), r.Size)
	}
	fmt.Fprintf(w, "source:     %s (%s)\n", r.Source, r.Origin)
	fmt.Fprintf(w, "target:     %s\n", target)
	fmt.Fprintf(w, "version:    %s\n", r.Version)
	fmt.Fprintf(w, "url:        %s\n", r.URL)
	fmt.Fprintf(w, "file:       %s (%s)\n", r.FileName, r.Format)
	fmt.Fprintf(w, "size:       %s\n", size)
	fmt.Fprintf(w, "checksum:   %s\n", r.Checksum)
	fmt.Fprintf(w, "from:       %s\n", r.ChecksumURL)
	fmt.Fprintf(w, "signature:  %s\n", signatureLine(art.Signature))
	if r.ImageSignatureURL != "" {
		fmt.Fprintf(w, "image sig:  %s (%s)\n", r.ImageSignatureURL, r.ImageSignature)
	}
	fmt.Fprintf(w, "metadata read:\n")
	for _, u := range r.MetadataRead {
		fmt.Fprintf(w, "  %s\n", u)
	}
}

// signatureLine says in one line how a digest is vouched for.
func signatureLine(s sdk.Signature) string {
	switch s.Status {
	case sdk.SignatureVerified:
		origin := "key embedded in the plugin"
		if s.KeyOrigin == sdk.KeyOperator {
			origin = "key configured by the operator"
		}
		return fmt.Sprintf("verified: %s, by %s (%s), %s", s.SignatureURL, groupFingerprint(s.KeyFingerprint), origin, s.Detail)
	default:
		return "unsigned: " + s.Detail
	}
}

// groupFingerprint writes a fingerprint the way gpg shows it.
func groupFingerprint(f string) string {
	var parts []string
	for i := 0; i+4 <= len(f); i += 4 {
		parts = append(parts, f[i:i+4])
	}
	return strings.Join(parts, " ")
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
