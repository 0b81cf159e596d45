package web

import (
	"net/url"
	"strings"
)

// localPath returns next when it is a path on this site, and "" otherwise. It
// is the one check every redirect target taken from a request goes through
// (the language switch, "continue to" after signing in, …). Browsers strip tabs
// and newlines from URLs and treat a backslash as a slash, so "/\t/evil.example"
// or "/\\evil.example" would leave the site: anything with a control character
// or a backslash is refused, as is anything with a scheme, a host or a leading "//".
func localPath(next string) string {
	if next == "" || len(next) > 2048 || next[0] != '/' || strings.HasPrefix(next, "//") {
		return ""
	}
	for i := 0; i < len(next); i++ {
		if c := next[i]; c < 0x20 || c == 0x7f || c == '\\' {
			return ""
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" || !strings.HasPrefix(u.Path, "/") {
		return ""
	}
	// A path that decodes to "//…" or starts with an encoded backslash is refused too.
	if strings.HasPrefix(u.Path, "//") || strings.Contains(strings.ToLower(next), "%5c") {
		return ""
	}
	return next
}
