package ubuntu

import (
	"errors"
	"fmt"
	"strings"
)

// maxRelPath bounds a path read from a stream; real ones are under 100 bytes.
const maxRelPath = 512

// checkRelPath checks a path read from a stream before it is joined to a
// URL: relative, slash-separated, each element starting with a letter or
// digit and made of letters, digits and . _ + ~ - (and : when colon is
// set, for stream documents such as com.ubuntu.cloud:released:download.json).
// So no "." or ".." elements, no empty elements ("//"), no leading "/", no
// scheme, query, fragment, percent-escape, backslash or space: the result
// needs no escaping and cannot leave the mirror root.
func checkRelPath(p string, colon bool) error {
	if p == "" {
		return errors.New("empty")
	}
	if len(p) > maxRelPath {
		return fmt.Errorf("longer than %d bytes", maxRelPath)
	}
	for _, elem := range strings.Split(p, "/") {
		if elem == "" {
			return fmt.Errorf("%q has an empty element (a leading, trailing or double slash)", clip(p))
		}
		if !isAlnum(elem[0]) {
			return fmt.Errorf("%q: element %q does not start with a letter or digit", clip(p), clip(elem))
		}
		for i := 0; i < len(elem); i++ {
			c := elem[i]
			if isAlnum(c) || strings.IndexByte("._+~-", c) >= 0 || (colon && c == ':') {
				continue
			}
			return fmt.Errorf("%q: element %q has the character %q", clip(p), clip(elem), rune(c))
		}
	}
	return nil
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}
