// Package oci publishes fetchd's verified image builds to an OCI registry
// and reads them back, for fleets: one host syncs from upstream and
// publishes, every other host installs from the registry (and checks the
// bytes again itself).
//
// It is for the publish command and for the host-side "oci" source. It
// uses oras-go v2 for everything it says to a registry, except the image
// download itself, which goes through the host's downloader like every
// other image (Range resume, streaming digest, the same checks); Transport
// gives that download the registry's credentials.
//
// What one published build is (the layout is documented in README.md,
// "Fleets"):
//
//   - an OCI image manifest whose config blob is the provenance
//     (MediaTypeProvenance: where the build came from upstream and how the
//     publisher verified it) and whose one layer is the image's bytes
//     (MediaTypeQcow2 or MediaTypeRaw), with standard annotations;
//   - in the repository <repository>/<image name without extension>,
//     tagged with the build (BuildTag, immutable: publish refuses to move
//     it to another image) and with MovingTag ("latest");
//   - optionally signed: an OpenPGP detached signature over a small
//     payload naming the repository and the manifest digest, stored as its
//     own manifest under the tag SignatureTag(digest) ("sha256-<hex>.sig",
//     the convention cosign uses), which works on every registry, OCI 1.1
//     referrers API or not;
//   - optionally also a KubeVirt containerDisk: an image whose one layer
//     is a tar holding disk/<name>, tagged "<tag>-containerdisk".
package oci
