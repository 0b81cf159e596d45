package web

import "strings"

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
