package web

import (
	"html/template"
	"net/http"
	"net/url"
	"time"

	"github.com/providerportal/portal/internal/twostep"
)

// Signing in for an app: the app's request (an OpenID Connect request's id,
// or a forward-auth address to go back to) is carried through the sign-in
// pages — password, second step, grace notice, forced setup — as a local path
// in a short-lived cookie; when the sign-in is complete the pages go to
// /login/continue instead of My Account, which goes on to that path.

// continueCookie names the cookie that holds where to go after signing in.
func (s *Server) continueCookie() string {
	if s.opts.Secure {
		return "__Host-portal_continue"
	}
	return "portal_continue"
}

// continueFor is how long a pending sign-in for an app is remembered.
const continueFor = 30 * time.Minute

// setContinue remembers a same-site path to go to once signed in.
func (s *Server) setContinue(w http.ResponseWriter, path string) {
	if path = localPath(path); path == "" {
		return
	}
	http.SetCookie(w, &http.Cookie{Name: s.continueCookie(), Value: url.QueryEscape(path), Path: "/", HttpOnly: true, Secure: s.opts.Secure,
		SameSite: http.SameSiteLaxMode, MaxAge: int(continueFor / time.Second)})
}

func (s *Server) clearContinue(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: s.continueCookie(), Value: "", Path: "/", HttpOnly: true, Secure: s.opts.Secure,
		SameSite: http.SameSiteLaxMode, MaxAge: -1, Expires: time.Unix(0, 0)})
}

// pendingContinue is the remembered path, or "" (always through localPath).
func (s *Server) pendingContinue(r *http.Request) string {
	c, err := r.Cookie(s.continueCookie())
	if err != nil {
		return ""
	}
	p, err := url.QueryUnescape(c.Value)
	if err != nil {
		return ""
	}
	return localPath(p)
}

// signedInPath is where a sign-in that just completed goes: on to an app
// waiting for it, else My Account.
func (s *Server) signedInPath(r *http.Request) string {
	if s.pendingContinue(r) != "" {
		return "/login/continue"
	}
	return "/account"
}

// pageContinue goes on to the app a sign-in was for. It is a page that moves
// on by itself (meta refresh, no script), not a redirect: the sign-in forms'
// Content-Security-Policy (form-action 'self') rightly stops a form's
// redirects from leaving the site, and the app is another site.
func (s *Server) pageContinue(w http.ResponseWriter, r *http.Request) {
	next := s.pendingContinue(r)
	s.clearContinue(w)
	if next == "" {
		next = "/account"
	}
	d := s.page(r, nil, "continue.title")
	if a, err := s.svc.Authenticate(r.Context(), s.sessionToken(r)); err == nil {
		d.Auth = a
	}
	d.Refresh, d.D = template.URL(next), next // next passed localPath (or is /account)
	s.render(w, r, http.StatusOK, "continue", d)
}

// signInFor sends someone who must sign in (again) for an app to the sign-in
// page, remembering where to come back to. A session half-way through
// signing in goes on where it stands.
func (s *Server) signInFor(w http.ResponseWriter, r *http.Request, a *twostep.Auth, back string) {
	s.setContinue(w, back)
	if a != nil && (a.Session.State == twostep.StateTwoStep || a.Session.State == twostep.StateSetupRequired) {
		s.redirectForState(w, r, a)
		return
	}
	http.Redirect(w, r, "/login?next="+url.QueryEscape(back), http.StatusFound)
}
