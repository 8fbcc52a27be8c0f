// Package download fetches one image into a partial file, hashing while the
// bytes arrive, over several connections (and mirrors) when the server
// answers ranges, and resumes an interrupted download without ever trusting
// the old bytes.
//
// It is for the host's sync loop: it calls Download with a URL that already
// passed netpolicy.CheckURL and urlrule.Check, an expected digest and size,
// and the image directory's partial folder. Download returns the path of a
// complete, digest-verified partial file, which the caller inspects further
// (qcow2 header, qemu-img), fsyncs and renames into place. Download never
// writes outside Request.PartialDir and never installs anything.
//
// Over several connections (Request.Connections 0, automatic, or 2..16;
// segment.go and the files around it): a first request for everything from
// the first missing byte tells the file's size and whether the server does
// ranges. A span table (spans.go) hands out the file in chunks, lowest
// first; each connection asks for its chunk with a Range, checks the answer
// (segcheck.go), and writes it with pwrite at its offset; near the end, a
// free connection takes the upper half of the largest span left. One hasher
// (prefixhash.go) follows the written prefix, reading it back from the page
// cache, so the digest is ready when the last byte is. The automatic rule
// (auto.go) starts with one connection and doubles while the total rate
// grows; it is fed rate samples and needs no clock, so it is tested with
// plain numbers. Mirrors (Request.Mirrors) are more URLs of the same file:
// connections go to the server with the fewest, and one that fails or is
// much slower than another is dropped for the rest of the Downloader's
// life (one run): later downloads use no mirror on its host. An interrupted
// download keeps a resume state next to the partial (segstate.go): which
// spans are written, and what each server said about the file. Answers
// that cannot be trusted end in one connection from byte 0 through the
// go-getter path (multi.go); the digest over the whole file decides.
//
// How go-getter is held on the one-connection path (SECURITY.md):
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
