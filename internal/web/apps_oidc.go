package web

import (
	"errors"
	"html/template"
	"net/http"
	"net/url"

	zoidc "github.com/zitadel/oidc/v3/pkg/oidc"

	"github.com/providerportal/portal/internal/oidc"
	"github.com/providerportal/portal/internal/twostep"
)

// oidcAuthorize serves an app's /authorize: a valid request goes on with the
// person's session (or to the sign-in pages); an unknown app or redirect URI
// gets a page here and is never redirected to.
func (s *Server) oidcAuthorize(w http.ResponseWriter, r *http.Request) {
	q, err := s.opts.OIDC.Authorize(r)
	if err != nil {
		s.oidcFail(w, r, err)
		return
	}
	s.oidcProceed(w, r, q)
}

// oidcContinue is where the sign-in pages come back to with the request's id.
func (s *Server) oidcContinue(w http.ResponseWriter, r *http.Request) {
	q, err := s.opts.OIDC.Load(r.Context(), r.URL.Query().Get("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.oidcProceed(w, r, q)
}

func (s *Server) oidcFail(w http.ResponseWriter, r *http.Request, err error) {
	var ae *oidc.AuthorizeError
	if !errors.As(err, &ae) {
		s.fail(w, r, err)
		return
	}
	if ae.Redirects() {
		s.opts.OIDC.SendError(w, r, ae)
		return
	}
	s.fail(w, r, twostep.Errorf(twostep.EInvalid, "This app's sign-in request cannot be served: %s Ask the app's administrator.", ae.Err.Description))
}

// oidcProceed applies the app's rules to the browser's session: a code for the
// app, the sign-in pages (or login_required with prompt=none), the step that
// 2SV needs, or a refusal that the app learns as access_denied.
func (s *Server) oidcProceed(w http.ResponseWriter, r *http.Request, q *oidc.Request) {
	ctx := r.Context()
	a, err := s.svc.Authenticate(ctx, s.sessionToken(r))
	if err != nil && twostep.ErrorCode(err) != twostep.EUnauthenticated {
		s.fail(w, r, err)
		return
	}
	fresh := q.FreshSince()
	if a != nil && q.HintSubject != "" && s.svc.AppSubject(a.User.ID) != q.HintSubject && a.Session.AuthAt.Before(q.CreatedAt) {
		fresh = q.CreatedAt // the app expects someone else: sign in again
	}
	d, err := s.svc.JudgeApp(ctx, a, q.App, fresh)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	back := oidc.PathContinue + "?id=" + url.QueryEscape(q.ID)
	if (d.Verdict == twostep.AppSignIn || d.Verdict == twostep.AppSecondStep || d.Verdict == twostep.AppSetup) && !q.PromptNone() {
		if err := s.opts.OIDC.Keep(ctx, q); err != nil { // the sign-in pages come back to it
			s.fail(w, r, err)
			return
		}
	}
	switch d.Verdict {
	case twostep.AppAllowed:
		if err := s.opts.OIDC.Finish(w, r, q, a, clientOf(r)); err != nil {
			s.fail(w, r, err)
		}
	case twostep.AppSignIn:
		if q.PromptNone() {
			s.opts.OIDC.Deny(w, r, q, zoidc.ErrLoginRequired())
			return
		}
		s.signInFor(w, r, a, back)
	case twostep.AppSecondStep, twostep.AppSetup:
		if q.PromptNone() {
			s.opts.OIDC.Deny(w, r, q, zoidc.ErrInteractionRequired().WithDescription("2-Step Verification is needed for this app."))
			return
		}
		s.appGate(w, r, a, q.App, d, back)
	case twostep.AppRefused:
		s.svc.RecordAppRefusal(ctx, a, q.App, d.Reason, clientOf(r))
		if q.PromptNone() {
			s.opts.OIDC.Deny(w, r, q, zoidc.ErrAccessDenied())
			return
		}
		s.appRefused(w, r, a, q.App, d, s.opts.OIDC.DenyURL(q))
	}
}

// oidcEndSession serves RP-initiated logout. With an id_token_hint for the
// person signed in here, they are signed out at once; otherwise they are
// asked first (so no other site can sign them out). Then back to the app's
// registered post-logout URI, or to a page saying they are signed out.
func (s *Server) oidcEndSession(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, twostep.Errorf(twostep.EInvalid, "The sign-out request is malformed."))
		return
	}
	lo, err := s.opts.OIDC.EndSession(r)
	if err != nil {
		s.fail(w, r, twostep.Errorf(twostep.EInvalid, "This app's sign-out request cannot be served: %s", describe(err)))
		return
	}
	a, err := s.svc.Authenticate(r.Context(), s.sessionToken(r))
	if err != nil && twostep.ErrorCode(err) != twostep.EUnauthenticated {
		s.fail(w, r, err)
		return
	}
	confirmed := r.Method == http.MethodPost && r.URL.Path == oidc.PathEndSession+"/confirm"
	if a != nil && !confirmed && (lo.Subject == "" || lo.Subject != s.svc.AppSubject(a.User.ID)) {
		d := s.page(r, a, "logout.title")
		d.D = logoutView{App: lo.App, Form: r.Form}
		s.render(w, r, http.StatusOK, "logout_confirm", d)
		return
	}
	if a != nil {
		appID := int64(0)
		if lo.App != nil {
			appID = lo.App.ID
		}
		if err := s.svc.EndAppSignIns(r.Context(), a.User.ID, appID); err != nil {
			s.fail(w, r, err)
			return
		}
		if err := s.svc.Logout(r.Context(), a, clientOf(r)); err != nil {
			s.fail(w, r, err)
			return
		}
		s.clearSessionCookie(w)
	}
	if lo.RedirectURI != "" && r.Method == http.MethodGet {
		http.Redirect(w, r, lo.RedirectURI, http.StatusFound)
		return
	}
	d := s.page(r, nil, "signedout.title")
	d.Refresh = template.URL(lo.RedirectURI) // registered exactly; after a form a page moves on (form-action 'self' stops redirects)
	d.D = lo
	s.render(w, r, http.StatusOK, "signed_out", d)
}

// logoutView is the sign-out question: the app asking, and its parameters to send again.
type logoutView struct {
	App  *twostep.App
	Form url.Values
}

// Fields are the request's parameters to carry through the confirmation.
func (v logoutView) Fields() []struct{ Name, Value string } {
	var out []struct{ Name, Value string }
	for _, k := range []string{"id_token_hint", "client_id", "post_logout_redirect_uri", "state", "logout_hint", "ui_locales"} {
		if val := v.Form.Get(k); val != "" {
			out = append(out, struct{ Name, Value string }{k, val})
		}
	}
	return out
}

func describe(err error) string {
	var oe *zoidc.Error
	if errors.As(err, &oe) && oe.Description != "" {
		return oe.Description
	}
	return "it is not valid."
}
