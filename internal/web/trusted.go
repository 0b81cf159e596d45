package web

import (
	"net/http"
	"strings"
	"time"

	"github.com/providerportal/portal/internal/twostep"
)

// The trusted-browser cookie (B23) holds the tokens of the people who chose
// "don't ask again" on this browser, newest first, separated by dots. It is
// separate from the session cookie and outlives it; the database decides how
// long each token works.
const (
	trustedCookieMax    = 10
	trustedCookieMaxAge = twostep.MaxTrustedBrowserDays * 24 * time.Hour
)

func (s *Server) trustedCookieName() string {
	if s.opts.Secure {
		return "__Host-portal_trusted"
	}
	return "portal_trusted"
}

// trustedTokens reads the trusted-browser tokens of the request's browser.
func (s *Server) trustedTokens(r *http.Request) []string {
	c, err := r.Cookie(s.trustedCookieName())
	if err != nil || c.Value == "" {
		return nil
	}
	toks := strings.Split(c.Value, ".")
	if len(toks) > trustedCookieMax {
		toks = toks[:trustedCookieMax]
	}
	return toks
}

// trustBrowser remembers the browser after a second step when the person asked
// for it: the new token goes first in the cookie, beside other people's. The
// sign-in has succeeded already, so a failure here is only logged: the next
// sign-in asks for the second step again.
func (s *Server) trustBrowser(w http.ResponseWriter, r *http.Request, a *twostep.Auth) {
	token, _, keep, err := s.svc.TrustBrowser(r.Context(), a, clientOf(r))
	if err != nil {
		s.log.WarnContext(r.Context(), "browser not trusted", "err", err, "request_id", requestID(r))
		return
	}
	toks := append([]string{token}, keep...)
	if len(toks) > trustedCookieMax {
		toks = toks[:trustedCookieMax]
	}
	http.SetCookie(w, &http.Cookie{Name: s.trustedCookieName(), Value: strings.Join(toks, "."), Path: "/", HttpOnly: true,
		Secure: s.opts.Secure, SameSite: http.SameSiteLaxMode, MaxAge: int(trustedCookieMaxAge.Seconds())})
}

func (s *Server) apiForgetTrusted(w http.ResponseWriter, r *http.Request, a *twostep.Auth) error {
	if err := s.svc.ForgetTrustedBrowser(r.Context(), a, r.PathValue("id"), clientOf(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) pageForgetTrusted(w http.ResponseWriter, r *http.Request, a *twostep.Auth) error {
	if err := s.svc.ForgetTrustedBrowser(r.Context(), a, r.PathValue("id"), clientOf(r)); err != nil {
		return err
	}
	http.Redirect(w, r, "/account?done=untrusted", http.StatusSeeOther)
	return nil
}
