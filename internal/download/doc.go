// Package download fetches one image into a partial file with go-getter v2,
// hashing while it streams, and resumes an interrupted download without
// ever trusting the old bytes.
//
// It is for the host's sync loop: it calls Download with a URL that already
// passed netpolicy.CheckURL and urlrule.Check, an expected digest and size,
// and the image directory's partial folder. Download returns the path of a
// complete, digest-verified partial file, which the caller inspects further
// (qcow2 header, qemu-img), fsyncs and renames into place. Download never
// writes outside Request.PartialDir and never installs anything.
//
// How go-getter is held (SECURITY.md, "go-getter"):
//
//   - Only the HTTP getter, no decompressors, symlinks disabled, umask 0o077,
//     file mode, no netrc, no X-Terraform-Get, ReadTimeout 0 (it is a total
//     deadline; the idle timeout comes from netpolicy.IdleReader instead).
//   - go-getter v2.2.5 resumes only after a HEAD that answers 200 with
//     Accept-Ranges: bytes and a Content-Length; without the HEAD it writes
//     from offset 0 over the old partial without truncating it. So the HEAD
//     is on (DoNotCheckHeadFirst false) when a partial is resumed, and off
//     when the partial is empty, where it would only cost a round trip and
//     let a Content-Length of 0 pass for "already complete".
//   - A RoundTripper around the policy's transport sees every real
//     response. A GET that does not ask for exactly the resume offset, a 200
//     or 416 to a Range request, or a 206 whose Content-Range does not start
//     at the offset fails before go-getter writes a byte; Download then
//     truncates the partial and starts from zero (Result.Restarted). This
//     stops go-getter appending a whole file after the old prefix.
//   - go-getter treats a partial at least as large as the HEAD's
//     Content-Length as done. Download decides that itself, from the digest:
//     a partial whose bytes hash to the expected digest is complete without
//     any request; any other partial of the full size is deleted.
//   - go-getter skips MaxBytes when a progress listener is set, so the
//     listener's reader enforces Size and MaxSize, the idle timeout, and
//     feeds the hash. Hashing runs in a second goroutine over a few reused
//     buffers so it overlaps with the network and the disk.
//   - URLs with "//" in the path, a go-getter forcing prefix, reserved or
//     non-canonical query strings, or a fragment are refused (urlrule).
//
// Resume: the digest covers the old prefix (hashed once, before the
// request) plus the new bytes. A mismatch at the end deletes the partial;
// when the partial had been resumed, Download retries once from zero.
// A transfer that fails half-way (connection lost, idle timeout, cancel)
// keeps the partial and returns an *InterruptedError: calling Download again
// resumes it.
package download
