// Package checksum is for plugin authors who read an upstream's checksum
// file (SHA256SUMS, SHA512SUMS, Fedora's CHECKSUM, Alpine's <image>.sha512)
// and must turn it into the one Digest fetchd will verify the download
// against.
//
// Most plugins need one call:
//
//	d, err := checksum.Find(body, checksum.SHA256, "ubuntu-24.04-server-cloudimg-amd64.img")
//
// The parser is strict and fails closed. Per line it accepts
//
//	<hex>  <name>                GNU text mode (two spaces)
//	<hex> *<name>                GNU binary mode
//	<hex> <name>                 single space (BSD "md5 -r", hand-made files)
//	SHA256 (<name>) = <hex>      BSD tag (SHA256, SHA512, SHA1, MD5; any case)
//	SHA256(<name>)= <hex>        OpenSSL
//	\<any of the above>          GNU escaped name: \\ is \, \n is newline, \r is CR
//
// plus '#' comments, blank lines, CRLF endings and a last line without a
// newline. A comment "# <name>: <N> bytes" (Fedora's CHECKSUM states each
// image's size so) sets the Size of name's entries and File.Sizes; two
// different sizes for one name are an error. File.Entry returns an entry
// with its size. Anything else is a *SyntaxError naming the line: a malformed line,
// a digest with non-hex characters or of the wrong length, an unknown tag, an
// unknown escape, a control character, a NUL byte, an empty file, an HTML page
// (a wrong URL often answers with one) and an OpenPGP clearsigned message.
// A clearsigned file must be verified first (the signature package does
// that); pass the signed text it returns.
//
// Untagged lines carry no algorithm, so Parse is told which one the file
// holds and rejects digests of another length. Tagged lines name their own:
// SHA256 and SHA512 lines become entries; SHA1 and MD5 lines are checked
// (tag, name, 40 or 32 hex digits) and then left out, counted in
// File.Ignored, because fetchd never verifies an image with them.
//
// Lookup matches the exact file name as written in the file: "x.qcow2" does
// not match "./x.qcow2", "my-x.qcow2" or "x.qcow2.sig", and spaces after a
// GNU-style name belong to it, as for sha256sum -c. A missing name is a
// *NotFoundError listing similar names; two different digests for one name
// and algorithm are a *ConflictError, never a choice. The same digest
// repeated is fine.
//
// ParseBare reads a file holding a single digest, such as Alpine's
// <image>.sha512.
//
// Parse does not limit the size of its input: read the file with a bound.
package checksum
