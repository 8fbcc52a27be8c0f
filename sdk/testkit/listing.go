package testkit

import (
	"fmt"
	"html"
	"net/url"
	"strings"
	"time"
)

// Entry is one line of a rendered directory listing.
type Entry struct {
	Name    string
	Dir     bool
	Size    int64
	ModTime time.Time
}

// Listing renders a directory listing page for the directory title (a URL
// path such as "/pub/fedora/linux/releases/41/") in style.
func Listing(style Style, title string, entries []Entry) []byte {
	switch style {
	case Apache:
		return apacheListing(title, entries)
	case Lighttpd:
		return lighttpdListing(title, entries)
	}
	return nginxListing(title, entries)
}

func href(e Entry) string {
	h := (&url.URL{Path: e.Name}).EscapedPath()
	if e.Dir {
		h += "/"
	}
	return html.EscapeString(h)
}

func nginxListing(title string, entries []Entry) []byte {
	t := html.EscapeString(title)
	b := fmt.Appendf(nil, "<html>\r\n<head><title>Index of %s</title></head>\r\n<body>\r\n<h1>Index of %s</h1><hr><pre><a href=\"../\">../</a>\r\n", t, t)
	for _, e := range entries {
		text := e.Name
		size := fmt.Sprint(e.Size)
		if e.Dir {
			text += "/"
			size = "-"
		}
		if len(text) > 50 { // nginx truncates long names in the text
			text = text[:47] + "..>"
		}
		b = fmt.Appendf(b, "<a href=\"%s\">%s</a>%*s %s %19s\r\n", href(e), html.EscapeString(text), max(1, 51-len(text)), "", e.ModTime.UTC().Format("02-Jan-2006 15:04"), size)
	}
	return append(b, "</pre><hr></body>\r\n</html>\r\n"...)
}

func apacheListing(title string, entries []Entry) []byte {
	t := html.EscapeString(strings.TrimSuffix(title, "/"))
	var b strings.Builder
	fmt.Fprintf(&b, "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 3.2 Final//EN\">\n<html>\n <head>\n  <title>Index of %s</title>\n </head>\n <body>\n<h1>Index of %s</h1>\n  <table>\n", t, t)
	b.WriteString("   <tr><th valign=\"top\"><img src=\"/icons/blank.gif\" alt=\"[ICO]\"></th><th><a href=\"?C=N;O=D\">Name</a></th><th><a href=\"?C=M;O=A\">Last modified</a></th><th><a href=\"?C=S;O=A\">Size</a></th></tr>\n")
	parent := html.EscapeString(parentOf(title))
	fmt.Fprintf(&b, "<tr><td valign=\"top\"><img src=\"/icons/back.gif\" alt=\"[PARENTDIR]\"></td><td><a href=\"%s\">Parent Directory</a></td><td>&nbsp;</td><td align=\"right\">  - </td></tr>\n", parent)
	for _, e := range entries {
		name, icon, size := e.Name, "unknown", humanSize(e.Size, false)
		if e.Dir {
			name, icon, size = e.Name+"/", "folder", "  - "
		}
		fmt.Fprintf(&b, "<tr><td valign=\"top\"><a href=\"%s\"><img src=\"/icons/%s.gif\" alt=\"[   ]\"></a></td><td><a href=\"%s\">%s</a></td><td align=\"right\">%s  </td><td align=\"right\">%s</td></tr>\n",
			href(e), icon, href(e), html.EscapeString(name), e.ModTime.UTC().Format("2006-01-02 15:04"), size)
	}
	b.WriteString("</table>\n</body></html>\n")
	return []byte(b.String())
}

func lighttpdListing(title string, entries []Entry) []byte {
	t := html.EscapeString(title)
	var b strings.Builder
	fmt.Fprintf(&b, "<!DOCTYPE html>\n<html><head><title>Index of %s</title></head><body>\n<h2>Index of %s</h2>\n<div class=\"list\"><table summary=\"Directory Listing\" cellpadding=\"0\" cellspacing=\"0\"><tbody>\n", t, t)
	b.WriteString("<tr class=\"d\"><td class=\"n\"><a href=\"../\">..</a>/</td><td class=\"m\">&nbsp;</td><td class=\"s\">- &nbsp;</td><td class=\"t\">Directory</td></tr>\n")
	for _, e := range entries {
		size, kind, class := humanSize(e.Size, true), "application/octet-stream", ""
		if e.Dir {
			size, kind, class = "- &nbsp;", "Directory", ` class="d"`
		}
		fmt.Fprintf(&b, "<tr%s><td class=\"n\"><a href=\"%s\">%s</a></td><td class=\"m\">%s</td><td class=\"s\">%s</td><td class=\"t\">%s</td></tr>\n",
			class, href(e), html.EscapeString(e.Name), e.ModTime.UTC().Format("2006-Jan-02 15:04:05"), size, kind)
	}
	b.WriteString("</tbody></table></div></body></html>\n")
	return []byte(b.String())
}

func parentOf(title string) string {
	t := strings.TrimSuffix(title, "/")
	if i := strings.LastIndexByte(t, '/'); i >= 0 {
		return t[:i+1]
	}
	return "/"
}

// humanSize rounds as Apache ("468M", "1.2K", "833") and lighttpd
// ("118.0M", "0.8K") do.
func humanSize(n int64, lighttpd bool) string {
	units := "KMGT"
	if !lighttpd && n < 1024 {
		return fmt.Sprint(n)
	}
	f := float64(n) / 1024
	u := 0
	for f >= 1024 && u < len(units)-1 {
		f /= 1024
		u++
	}
	if lighttpd || f < 10 {
		return fmt.Sprintf("%.1f%c", f, units[u])
	}
	return fmt.Sprintf("%.0f%c", f, units[u])
}
