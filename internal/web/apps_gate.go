package web

import (
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/providerportal/portal/internal/oidc"
	"github.com/providerportal/portal/internal/twostep"
)

// gateView is the page between a person and an app that needs more: 2-Step
// Verification this sign-in, or a refusal.
type gateView struct {
	App    *twostep.App
	Setup  bool   // no method yet: one must be set up first
	Back   string // where the sign-in goes on (a local path)
	Reason string // refusal reason
	// AppBack is the app's address that tells it access_denied ("" for forward
	// auth): a registered redirect URI, which may be a native app's own scheme
	// (com.example.app:/cb), so it is marked safe for the template.
	AppBack template.URL
}

// appGate explains that the app needs 2-Step Verification and offers to go on
// (a form, so that no other site can start it).
func (s *Server) appGate(w http.ResponseWriter, r *http.Request, a *twostep.Auth, app *twostep.App, d twostep.AppDecision, back string) {
	p := s.page(r, a, "gate.title", app.Name)
	p.D = gateView{App: app, Setup: d.Verdict == twostep.AppSetup, Back: back}
	s.render(w, r, http.StatusOK, "app_gate", p)
}

// appRefused says clearly that this person may not use the app.
func (s *Server) appRefused(w http.ResponseWriter, r *http.Request, a *twostep.Auth, app *twostep.App, d twostep.AppDecision, appBack string) {
	p := s.page(r, a, "refused.title", app.Name)
	p.D = gateView{App: app, Reason: d.Reason, AppBack: template.URL(appBack)}
	s.render(w, r, http.StatusForbidden, "app_refused", p)
}

// pageAppTwoStep starts what an app needs: the second step, or setting up a
// method first (no grace logins), then the sign-in goes on to the app.
func (s *Server) pageAppTwoStep(w http.ResponseWriter, r *http.Request, a *twostep.Auth) error {
	back := localPath(r.PostFormValue("back"))
	app, err := s.appOfBack(r, back)
	if err != nil {
		return err
	}
	if err := s.svc.StartAppTwoStep(r.Context(), a, app, clientOf(r)); err != nil {
		if twostep.ErrorCode(err) != twostep.EConflict {
			return err
		}
	}
	s.setContinue(w, back)
	if a.Session.State == twostep.StateSignedIn || a.Session.State == twostep.StateSetupSuggested {
		http.Redirect(w, r, back, http.StatusSeeOther)
		return nil
	}
	s.redirectForState(w, r, a)
	return nil
}

// appOfBack finds the app a sign-in continues to: an OpenID Connect request or
// a forward-auth address. Errors: invalid_request, not_found.
func (s *Server) appOfBack(r *http.Request, back string) (*twostep.App, error) {
	u, err := url.Parse(back)
	if back == "" || err != nil {
		return nil, twostep.Errorf(twostep.EInvalid, "There is no app to continue to.")
	}
	switch {
	case u.Path == oidc.PathContinue && s.opts.OIDC != nil:
		q, err := s.opts.OIDC.Load(r.Context(), u.Query().Get("id"))
		if err != nil {
			return nil, err
		}
		return q.App, nil
	case u.Path == "/login/forward":
		_, app, err := s.svc.ReturnTarget(r.Context(), u.Query().Get("rd"))
		if err != nil {
			return nil, err
		}
		if app != nil {
			return app, nil
		}
	}
	return nil, twostep.Errorf(twostep.EInvalid, "There is no app to continue to.")
}

// rememberAppSignIn handles the sign-in page's ?next= (a same-site path) and
// ?rd= (a forward-auth address): it remembers where to go once signed in. A
// person already signed in is sent on at once for rd (the app decides what it
// still needs); it reports whether it answered.
func (s *Server) rememberAppSignIn(w http.ResponseWriter, r *http.Request) bool {
	q := r.URL.Query()
	switch {
	case q.Get("rd") != "":
		target, _, err := s.svc.ReturnTarget(r.Context(), q.Get("rd"))
		if err != nil {
			s.clearContinue(w) // a foreign address is ignored: sign in to the portal
			return false
		}
		back := "/login/forward?rd=" + url.QueryEscape(target)
		if a, err := s.svc.Authenticate(r.Context(), s.sessionToken(r)); err == nil &&
			(a.Session.State == twostep.StateSignedIn || a.Session.State == twostep.StateSetupSuggested) {
			http.Redirect(w, r, back, http.StatusSeeOther)
			return true
		}
		s.setContinue(w, back)
	case localPath(q.Get("next")) != "":
		s.setContinue(w, q.Get("next"))
	default:
		s.clearContinue(w)
	}
	return false
}

// pageLoginForward goes back to a forward-auth app after signing in, if the
// app admits the person: the address must be a registered host's (or the
// portal's own).
func (s *Server) pageLoginForward(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	target, app, err := s.svc.ReturnTarget(ctx, r.URL.Query().Get("rd"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	a, err := s.svc.Authenticate(ctx, s.sessionToken(r))
	if err != nil && twostep.ErrorCode(err) != twostep.EUnauthenticated {
		s.fail(w, r, err)
		return
	}
	back := "/login/forward?rd=" + url.QueryEscape(target)
	d := twostep.AppDecision{Verdict: twostep.AppSignIn}
	if app != nil {
		if d, err = s.svc.JudgeApp(ctx, a, app, time.Time{}); err != nil {
			s.fail(w, r, err)
			return
		}
	} else if a != nil && (a.Session.State == twostep.StateSignedIn || a.Session.State == twostep.StateSetupSuggested) {
		d.Verdict = twostep.AppAllowed
	}
	switch d.Verdict {
	case twostep.AppAllowed:
		http.Redirect(w, r, target, http.StatusFound)
	case twostep.AppSignIn:
		s.signInFor(w, r, a, back)
	case twostep.AppSecondStep, twostep.AppSetup:
		s.appGate(w, r, a, app, d, back)
	case twostep.AppRefused:
		s.svc.RecordAppRefusal(ctx, a, app, d.Reason, clientOf(r))
		s.appRefused(w, r, a, app, d, "")
	}
}

// originalRequest is the request a reverse proxy asks the forward-auth check
// about: nginx's X-Original-URL, or X-Forwarded-Proto, -Host and -Uri
// (Traefik, Caddy, Authelia's conventions).
func originalRequest(r *http.Request) (*url.URL, bool) {
	// Proxies pass the client's own headers on: Caddy and Traefik set
	// X-Forwarded-Host but keep a client's X-Original-URL, nginx sets
	// X-Original-URL but keeps a client's X-Forwarded-Host. So when both are
	// there they must name the same host, and neither may come twice; else
	// the request is refused rather than judged on the client's word.
	if len(r.Header.Values("X-Original-URL")) > 1 || len(r.Header.Values("X-Forwarded-Host")) > 1 {
		return nil, false
	}
	fromURL, hasURL := forwardedURL(r)
	fromParts, hasParts := forwardedParts(r)
	switch {
	case r.Header.Get("X-Original-URL") != "" && !hasURL, r.Header.Get("X-Forwarded-Host") != "" && !hasParts:
		return nil, false
	case hasURL && hasParts:
		if !strings.EqualFold(fromURL.Host, fromParts.Host) {
			return nil, false
		}
		return fromURL, true
	case hasURL:
		return fromURL, true
	}
	return fromParts, hasParts
}

// forwardedURL reads nginx's X-Original-URL.
func forwardedURL(r *http.Request) (*url.URL, bool) {
	raw := r.Header.Get("X-Original-URL")
	if raw == "" {
		return nil, false
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return nil, false
	}
	return u, true
}

// forwardedParts reads X-Forwarded-Proto, -Host and -Uri (Caddy, Traefik).
func forwardedParts(r *http.Request) (*url.URL, bool) {
	proto, host := strings.ToLower(r.Header.Get("X-Forwarded-Proto")), r.Header.Get("X-Forwarded-Host")
	if proto == "" {
		proto = "https"
	}
	if (proto != "http" && proto != "https") || host == "" || strings.ContainsAny(host, "/?#@ \\") {
		return nil, false
	}
	uri := r.Header.Get("X-Forwarded-Uri")
	if uri == "" {
		uri = "/"
	}
	u, err := url.Parse(proto + "://" + host + uri)
	if err != nil || u.Host != host || !strings.HasPrefix(uri, "/") {
		return nil, false
	}
	return u, true
}
