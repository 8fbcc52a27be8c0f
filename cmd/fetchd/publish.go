package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/sandlabx/fetchd/internal/config"
	"github.com/sandlabx/fetchd/internal/engine"
	"github.com/sandlabx/fetchd/internal/oci"
	"github.com/sandlabx/fetchd/internal/state"
)

// signPassphraseEnv names a file holding the passphrase of --sign-key.
const signPassphraseEnv = "FETCHD_SIGN_PASSPHRASE_FILE"

// publishFlags are publish's own flags.
type publishFlags struct {
	to            string
	signKey       string
	containerDisk bool
}

func (a *app) publishCmd() *cobra.Command {
	var f publishFlags
	cmd := &cobra.Command{
		Use:   "publish [NAME...] --to REGISTRY/REPOSITORY [flags]",
		Short: "push verified builds, with provenance, to an OCI registry",
		Long: `Publish pushes the verified build of each configured image (or only the NAMEs
given) to an OCI registry, for other hosts to install with the oci source.
Each image goes to the repository REGISTRY/REPOSITORY/<name without extension>:
the image bytes as one blob, a provenance config blob (source, release, arch,
variant, build, upstream URL and digest, how fetchd verified it, fetchd's
version, the time), tagged with its build (immutable: publish refuses to
move it to another build) and "latest". A build already in the registry
uploads nothing.

With --sign-key the manifest digest is signed (OpenPGP) and the signature
stored under the tag sha256-<hex>.sig in the same repository. A passphrase,
if the key has one, is read from the file $FETCHD_SIGN_PASSPHRASE_FILE (one
line; a trailing newline is not part of it), never from the command line.
With --containerdisk each qcow2 build is also published as a KubeVirt
containerDisk, tagged <build>-containerdisk and latest-containerdisk.

Registry credentials come from sources.oci.credentials (a Docker config.json)
or Docker's own config.json and its credential helpers. The registry is
https unless written as http://.`,
		Example: `  fetchd publish --to registry.lab:5000/images
  fetchd publish ubuntu-24-lts.qcow2 --to registry.lab:5000/images --sign-key publisher.asc
  fetchd publish --to http://127.0.0.1:5000/images --containerdisk`,
		Args:              cobra.ArbitraryArgs,
		ValidArgsFunction: a.completeImages,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.publish(cmd.Context(), args, f)
		},
	}
	cmd.Flags().StringVar(&f.to, "to", "", "publish under `REGISTRY/REPOSITORY` (http:// for a plain-http registry)")
	cmd.Flags().StringVar(&f.signKey, "sign-key", "", "sign each build's manifest with the OpenPGP secret key in `FILE`")
	cmd.Flags().BoolVar(&f.containerDisk, "containerdisk", false, "also publish each qcow2 build as a KubeVirt containerDisk")
	return cmd
}

func (a *app) publish(ctx context.Context, names []string, f publishFlags) error {
	if f.to == "" {
		return &usageError{msg: "publish: --to REGISTRY/REPOSITORY is required", hint: "e.g. fetchd publish --to registry.lab:5000/images"}
	}
	root, err := oci.ParseRef(f.to)
	if err != nil {
		return usagef("publish: --to: %v", err)
	}
	if root.Tag != "" || root.Digest != "" {
		return usagef("publish: --to %s: give a repository root, without a tag or digest (each image gets its own repository and tags under it)", f.to)
	}
	cfg, err := a.loadConfig()
	if err != nil {
		return err
	}
	if a.dir != "" {
		if cfg.Dir, err = filepath.Abs(a.dir); err != nil {
			return usagef("--dir: %v", err)
		}
	}
	if names, err = publishNames(cfg, names); err != nil {
		return err
	}
	pub, err := a.publisher(cfg, root, f.signKey, f.containerDisk)
	if err != nil {
		return err
	}
	st, err := state.Load(cfg.Dir)
	if err != nil {
		return fmt.Errorf("reading what %s holds: %w", cfg.Dir, err)
	}
	results := make([]publishResult, 0, len(names))
	for _, n := range names {
		start := time.Now()
		p, err := pub.Publish(ctx, st, n)
		results = append(results, publishResult{p: p, err: err, took: time.Since(start)})
	}
	return a.reportPublish(root, results)
}

// publishNames returns the images to publish: those named, else every
// configured image.
func publishNames(cfg *config.Config, names []string) ([]string, error) {
	if len(names) > 0 {
		for _, n := range names {
			if _, ok := cfg.Image(n); !ok {
				return nil, usagef("publish: no image called %q in the configuration", n)
			}
		}
		return names, nil
	}
	for _, im := range cfg.Images {
		names = append(names, im.Name)
	}
	return names, nil
}

func (a *app) publisher(cfg *config.Config, root oci.Ref, signKey string, containerDisk bool) (*oci.Publisher, error) {
	policy := engine.NetworkPolicy(cfg)
	if root.PlainHTTP {
		policy.AllowHTTP = append(policy.AllowHTTP, root.Registry)
	}
	pub := &oci.Publisher{
		Client:        &oci.Client{Policy: policy, CredentialsFile: cfg.Sources[config.OCISourceName].OCI.Credentials},
		Dir:           cfg.Dir,
		To:            root,
		ContainerDisk: containerDisk,
		FetchdVersion: version,
	}
	if signKey == "" {
		return pub, nil
	}
	key, err := os.ReadFile(signKey)
	if err != nil {
		return nil, usagef("publish: --sign-key: %v", err)
	}
	var pass []byte
	passFile := a.getenv(signPassphraseEnv)
	if passFile != "" {
		if pass, err = os.ReadFile(passFile); err != nil {
			return nil, usagef("publish: $%s: %v", signPassphraseEnv, err)
		}
		// A line as `echo` or an editor writes it: the newline is not part
		// of the passphrase.
		pass = []byte(strings.TrimRight(string(pass), "\r\n"))
		if len(pass) == 0 {
			return nil, usagef("publish: $%s: %s is empty; it should hold the passphrase of --sign-key", signPassphraseEnv, passFile)
		}
	}
	if pub.Signer, err = oci.NewSigner(key, pass); err != nil {
		if errors.Is(err, oci.ErrWrongPassphrase) {
			return nil, usagef("publish: --sign-key %s: %v; the passphrase was read from %s ($%s)", signKey, err, passFile, signPassphraseEnv)
		}
		return nil, usagef("publish: --sign-key %s: %v", signKey, err)
	}
	return pub, nil
}

type publishResult struct {
	p    oci.Published
	err  error
	took time.Duration
}

func (a *app) reportPublish(root oci.Ref, results []publishResult) error {
	failed := 0
	for _, r := range results {
		if r.err != nil {
			failed++
		}
	}
	switch {
	case a.jsonOut:
		if err := writePublishJSON(a, root, results); err != nil {
			return err
		}
	case !a.quiet:
		fmt.Fprintf(a.stdout, "fetchd: published %d of %d images to %s\n", len(results)-failed, len(results), root)
		tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
		for _, r := range results {
			if r.err == nil {
				fmt.Fprintf(tw, "  ok\t%s\t%s\t%s\n", r.p.Name, r.p.Ref, publishDetail(r))
			}
		}
		tw.Flush()
	}
	for _, r := range results {
		if r.err != nil {
			a.reportError("error", r.p.Name, r.err)
		}
	}
	if failed > 0 {
		return &silentError{code: exitFailed}
	}
	return nil
}

func publishDetail(r publishResult) string {
	p := r.p
	parts := []string{shortDigest(p.Manifest)}
	switch {
	case p.Existing:
		parts = append(parts, "already published")
	case p.Reused:
		parts = append(parts, "image already in the registry")
	}
	parts = append(parts, fmt.Sprintf("uploaded %s in %s", humanBytes(p.Uploaded), roundDuration(r.took)))
	if p.Signed != "" {
		parts = append(parts, "signed by key "+p.Signed[24:])
	} else {
		parts = append(parts, "unsigned")
	}
	if p.ContainerDisk != nil {
		parts = append(parts, "containerDisk "+p.ContainerDisk.String())
	}
	return strings.Join(parts, "; ")
}

func shortDigest(d string) string {
	if len(d) > len("sha256:")+12 {
		return d[:len("sha256:")+12] + "…"
	}
	return d
}

func writePublishJSON(a *app, root oci.Ref, results []publishResult) error {
	type imageJSON struct {
		Name          string  `json:"name"`
		OK            bool    `json:"ok"`
		Ref           string  `json:"ref,omitempty"`
		Manifest      string  `json:"manifest,omitempty"`
		Uploaded      int64   `json:"bytes_uploaded"`
		Existing      bool    `json:"already_published"`
		Reused        bool    `json:"image_blob_reused"`
		Signed        string  `json:"signed_by,omitempty"`
		SignatureRef  string  `json:"signature_ref,omitempty"`
		ContainerDisk string  `json:"containerdisk,omitempty"`
		Seconds       float64 `json:"seconds"`
		Error         string  `json:"error,omitempty"`
	}
	out := []imageJSON{}
	for _, r := range results {
		j := imageJSON{Name: r.p.Name, OK: r.err == nil, Uploaded: r.p.Uploaded, Existing: r.p.Existing, Reused: r.p.Reused,
			Signed: r.p.Signed, Seconds: r.took.Seconds()}
		if r.err == nil {
			j.Ref, j.Manifest = r.p.Ref.String(), r.p.Manifest
			if r.p.Signed != "" {
				j.SignatureRef = r.p.SignatureRef.String()
			}
			if r.p.ContainerDisk != nil {
				j.ContainerDisk = r.p.ContainerDisk.String()
			}
		} else {
			j.Error = r.err.Error()
		}
		out = append(out, j)
	}
	return a.writeJSON(map[string]any{"command": "publish", "to": root.String(), "images": out})
}
