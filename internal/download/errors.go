package download

import (
	"fmt"

	"github.com/sandlabx/fetchd/internal/netpolicy"
	"github.com/sandlabx/fetchd/sdk/checksum"
)

// DigestMismatchError says the downloaded bytes do not have the expected
// digest. The partial file has been deleted.
type DigestMismatchError struct {
	URL       string
	Want, Got checksum.Digest
}

func (e *DigestMismatchError) Error() string {
	return fmt.Sprintf("checksum mismatch: want %s, got %s", e.Want.Short(), e.Got.Short())
}

// SizeError says the server's size disagrees with the expected size, or
// exceeds the cap when the size is unknown. The partial file has been
// deleted.
type SizeError struct {
	URL  string
	What string // "Content-Length", "Content-Range total", "body" or "file"
	Got  int64  // what the server announced or sent; for an over-long body, a lower bound
	Want int64  // the expected size, or the cap when Cap is true
	Cap  bool   // Want is Request.MaxSize, not a known size
}

func (e *SizeError) Error() string {
	switch {
	case e.What == "body" && e.Cap:
		return fmt.Sprintf("%s: body exceeds the %d-byte size cap", e.URL, e.Want)
	case e.Cap:
		return fmt.Sprintf("%s: %s %d exceeds the %d-byte size cap", e.URL, e.What, e.Got, e.Want)
	case e.What == "body" && e.Got > e.Want:
		return fmt.Sprintf("%s: body is longer than the expected %d bytes", e.URL, e.Want)
	case e.What == "body":
		return fmt.Sprintf("%s: body ended after %d bytes, want %d", e.URL, e.Got, e.Want)
	case e.What == "file":
		return fmt.Sprintf("%s: partial file has %d bytes, %d were received", e.URL, e.Got, e.Want)
	default:
		return fmt.Sprintf("%s: %s %d does not match the expected size %d", e.URL, e.What, e.Got, e.Want)
	}
}

// NoSpaceError says the partial directory's filesystem is too full.
type NoSpaceError struct {
	Dir  string
	Need int64 // bytes still to write; 0 when unknown
	Free int64 // bytes available to fetchd
}

func (e *NoSpaceError) Error() string {
	if e.Need > 0 {
		return fmt.Sprintf("no space left in %s: need %d bytes, %d free", e.Dir, e.Need, e.Free)
	}
	return fmt.Sprintf("no space left in %s (%d bytes free)", e.Dir, e.Free)
}

// HTTPStatusError is the error for a status other than 200 (or 206 to a
// resume); NotFound tells 404 and 410 apart.
type HTTPStatusError = netpolicy.StatusError

// InterruptedError says the transfer stopped part-way for a reason that may
// pass (connection lost, idle timeout, cancel). The partial file is kept:
// calling Download again resumes it.
type InterruptedError struct {
	URL   string
	Done  int64 // bytes in the partial file
	Total int64 // expected size, 0 if unknown
	Err   error
}

func (e *InterruptedError) Error() string {
	if e.Total > 0 {
		return fmt.Sprintf("download %s stopped at %d of %d bytes (partial kept for resume): %v", e.URL, e.Done, e.Total, e.Err)
	}
	return fmt.Sprintf("download %s stopped at %d bytes (partial kept for resume): %v", e.URL, e.Done, e.Err)
}

func (e *InterruptedError) Unwrap() error { return e.Err }

// restartError says the partial cannot be resumed: start from zero.
type restartError struct{ reason string }

func (e *restartError) Error() string { return "cannot resume: " + e.reason }
