package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/providerportal/portal/internal/twostep"
)

// apiForwardAuth is the check a reverse proxy (nginx auth_request, Caddy
// forward_auth, Traefik forwardAuth) makes before every request to a protected
// app (CONTRACT.md): 200 with the Remote-* headers when the person may use the
// app; when they must sign in (or pass the second step the app needs), 302 to
// the portal's sign-in with rd= the original address, or 401 (with that
// address in Location) for Accept: application/json or ?mode=401; 403 when the
// app refuses them. One session read, no write but the once-a-minute last seen.
func (s *Server) apiForwardAuth(w http.ResponseWriter, r *http.Request) {
	orig, ok := originalRequest(r)
	if !ok {
		s.fail(w, r, twostep.Errorf(twostep.EInvalid, "Send the original request in X-Original-URL, or X-Forwarded-Proto, X-Forwarded-Host and X-Forwarded-Uri."))
		return
	}
	res, err := s.svc.ForwardAuth(r.Context(), s.sessionToken(r), orig.Host)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	switch res.Decision.Verdict {
	case twostep.AppAllowed:
		u := res.Auth.User
		h.Set("Remote-User", u.Username)
		h.Set("Remote-Email", u.Email)
		h.Set("Remote-Role", string(u.Role))
		center := "" // account managers belong to no center; the header is there, empty, so no client can supply one
		if c := res.Auth.Center; c != nil && !c.IsStaffPolicy() {
			center = c.Name
		}
		h.Set("Remote-Center", center)
		w.WriteHeader(http.StatusOK)
	case twostep.AppRefused:
		s.fail(w, r, twostep.Errorf(twostep.EAccessDenied, "You may not use this app."))
	default:
		login := strings.TrimSuffix(s.svc.Settings().PublicURL, "/") + "/login?rd=" + url.QueryEscape(orig.String())
		h.Set("Location", login)
		if r.URL.Query().Get("mode") == "401" || strings.Contains(r.Header.Get("Accept"), "application/json") {
			s.fail(w, r, twostep.Errorf(twostep.EUnauthenticated, "Please sign in."))
			return
		}
		w.WriteHeader(http.StatusFound)
	}
}
