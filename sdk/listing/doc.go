// Package listing reads the HTML directory listings that web servers make
// for mirror directories (Apache mod_autoindex, nginx autoindex, lighttpd
// mod_dirlisting), for plugin authors whose upstream publishes no index
// but a directory: Alpine's releases/cloud/, Fedora's releases/<N>/Cloud/.
//
//	entries, err := listing.Parse(body)
//	for _, e := range entries {
//		if !e.Dir && strings.HasSuffix(e.Name, ".qcow2") { … }
//	}
//
// Parse reads the link targets, never the link texts (nginx truncates long
// names in the text, and a hostile text can say anything). It keeps the
// entries of the listed directory itself: a plain name, or a name with a
// trailing "/" for a subdirectory (Dir). Links to the parent, to other
// hosts, absolute paths, sort queries (?C=N;O=D), fragments, hidden names
// and names with a backslash or a control character are skipped. Targets
// are URL-decoded and HTML-unescaped.
//
// The modification time and size are read from the rest of the entry's
// line when it has a single entry: nginx's "25-Jan-2024 20:44  123731968"
// (an exact byte count), Apache's "2024-01-25 20:44  118M" and lighttpd's
// "2024-Jan-25 20:44:00  118.0M" (rounded sizes: Size is then -1 and
// SizeText says what the page said). A time is UTC as the page writes it.
//
// It fails closed: a page that has neither an "Index of" title, nor a
// link to the parent directory, nor a single entry is ErrNotListing (an
// error page served with 200, a JSON document, a digest file), a name
// listed twice is an error, and a page may list at most MaxEntries.
package listing
