package web

import (
	"regexp"
	"strings"
)

// APIRoutes lists the patterns registered on the portal's own mux (routes.go)
// for /api/v1/ paths, in the order routes.go registers them.
func (s *Server) APIRoutes() []string {
	var out []string
	for _, p := range s.routes().patterns {
		if strings.Contains(p, "/api/v1/") {
			out = append(out, p)
		}
	}
	return out
}

// StatusOf is the HTTP status errors.go answers an error code with.
func StatusOf(code string) (int, bool) {
	status, ok := statusOf[code]
	return status, ok
}

// ErrorCodes lists every error code errors.go maps to a status.
func ErrorCodes() []string {
	out := make([]string, 0, len(statusOf))
	for code := range statusOf {
		out = append(out, code)
	}
	return out
}

// EnglishOnlyPhrases lists the pieces of English page text (between the
// catalogue's placeholders, at least three words) that Spanish words differently.
func EnglishOnlyPhrases() []string {
	placeholder := regexp.MustCompile(`%(\[\d+\])?[a-z]`)
	var out []string
	for k, en := range catalogEN {
		if catalogES[k] == en {
			continue
		}
		for _, piece := range placeholder.Split(en, -1) {
			piece = strings.TrimSpace(piece)
			if len(strings.Fields(piece)) >= 3 {
				out = append(out, piece)
			}
		}
	}
	return out
}

// notWords matches placeholders and everything that is not a letter.
var notWords = regexp.MustCompile(`%(\[\d+\])?[a-z]|[^\pL ]`)

// UntranslatedKeys lists the catalogue keys whose Spanish text is the English
// one, word for word (names such as "Passkey" aside: three words or more).
func UntranslatedKeys() []string {
	var out []string
	for k, en := range catalogEN {
		words := strings.Fields(notWords.ReplaceAllString(en, " "))
		if catalogES[k] == en && len(words) >= 3 {
			out = append(out, k)
		}
	}
	return out
}
