package download

import (
	"fmt"
	"net/http"

	"github.com/sandlabx/fetchd/internal/netpolicy"
)

// rangeError says a server answered a range request in a way that cannot
// be trusted to put bytes at the right offsets: the whole file (200), a
// refusal (416), another range, another total, a content coding. No byte
// of that answer is written. The server is not used for ranges again in
// the attempt; when it was the last one, the download falls back to one
// connection from byte 0.
type rangeError struct{ reason string }

func (e *rangeError) Error() string { return e.reason }

// changedError says the file changed on a server while it was being
// downloaded: its ETag or Last-Modified is not what it answered first.
// Bytes from two versions may be in the partial, so the download starts
// over on one connection.
type changedError struct{ reason string }

func (e *changedError) Error() string { return e.reason }

// busyError says a server turned an extra connection away (503 or 429):
// a courtesy limit, not a failure of the download.
type busyError struct{ status int }

func (e *busyError) Error() string {
	return fmt.Sprintf("HTTP %d %s to an extra connection", e.status, http.StatusText(e.status))
}

// rangeAnswer is what a checked 206 says.
type rangeAnswer struct {
	first, last, total int64
	val                validators
}

// checkRangeAnswer checks the response to "Range: bytes=first-last" (last
// < 0: open-ended) before a byte of its body is used. It returns a
// *rangeError for anything that is not exactly that range as a 206, a
// *busyError for 503 and 429, and a *netpolicy.StatusError for other
// statuses.
func checkRangeAnswer(resp *http.Response, first, last int64) (rangeAnswer, error) {
	u := resp.Request.URL.Redacted()
	switch resp.StatusCode {
	case http.StatusPartialContent:
	case http.StatusOK:
		return rangeAnswer{}, &rangeError{reason: fmt.Sprintf("%s answered a range request with the whole file (200)", u)}
	case http.StatusRequestedRangeNotSatisfiable:
		return rangeAnswer{}, &rangeError{reason: fmt.Sprintf("%s refused the range starting at byte %d (416)", u, first)}
	case http.StatusServiceUnavailable, http.StatusTooManyRequests:
		return rangeAnswer{}, &busyError{status: resp.StatusCode}
	default:
		return rangeAnswer{}, &netpolicy.StatusError{URL: u, Status: resp.StatusCode}
	}
	if ce := resp.Header.Get("Content-Encoding"); ce != "" && ce != "identity" {
		return rangeAnswer{}, &rangeError{reason: fmt.Sprintf("%s sent the range with Content-Encoding %.40q", u, ce)}
	}
	cr := resp.Header.Get("Content-Range")
	a, b, total, err := parseContentRange(cr)
	if err != nil {
		return rangeAnswer{}, &rangeError{reason: fmt.Sprintf("%s: %v", u, err)}
	}
	if total < 0 {
		return rangeAnswer{}, &rangeError{reason: fmt.Sprintf("%s: Content-Range %.80q does not say the file's size", u, cr)}
	}
	want := last
	if want < 0 {
		want = total - 1
	}
	if a != first || b != want {
		return rangeAnswer{}, &rangeError{reason: fmt.Sprintf("%s: Content-Range %d-%d, asked for %d-%d", u, a, b, first, want)}
	}
	if resp.ContentLength >= 0 && resp.ContentLength != b-a+1 {
		return rangeAnswer{}, &rangeError{reason: fmt.Sprintf("%s: Content-Length %d does not match Content-Range %d-%d", u, resp.ContentLength, a, b)}
	}
	return rangeAnswer{first: a, last: b, total: total, val: validatorsOf(resp)}, nil
}

func validatorsOf(resp *http.Response) validators {
	return validators{ETag: resp.Header.Get("ETag"), LastModified: resp.Header.Get("Last-Modified")}
}

// sameFile compares a server's validators now with what it said first.
// A validator that was there must not change or disappear.
func sameFile(first, now validators) string {
	switch {
	case first.ETag != "" && now.ETag != first.ETag:
		return fmt.Sprintf("ETag changed from %.80q to %.80q", first.ETag, now.ETag)
	case first.LastModified != "" && now.LastModified != first.LastModified:
		return fmt.Sprintf("Last-Modified changed from %.40q to %.40q", first.LastModified, now.LastModified)
	}
	return ""
}
