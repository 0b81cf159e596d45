package web

import (
	"context"
	"net/http"
	"time"

	"github.com/providerportal/portal/internal/oidc"
	"github.com/providerportal/portal/internal/store"
	"github.com/providerportal/portal/internal/twostep"
)

// authedHandler is a handler for a signed-in (or signing-in) session.
type authedHandler func(w http.ResponseWriter, r *http.Request, a *twostep.Auth) error

// authed authenticates the session, applies the session-state rule for need and
// runs h; every error ends in one fail.
func (s *Server) authed(need twostep.Access, h authedHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		a, err := s.svc.Authenticate(r.Context(), s.sessionToken(r))
		if err == nil {
			err = a.Allow(need)
			if err != nil && !wantsJSON(r) {
				s.redirectForState(w, r, a)
				return
			}
		}
		if err == nil {
			r = r.WithContext(context.WithValue(r.Context(), keyAuth, a))
			err = h(w, r, a)
		}
		if err != nil {
			s.fail(w, r, err)
		}
	}
}

// routeTable is the portal's ServeMux, remembering every pattern registered on
// it, so a test can hold the JSON API's routes against docs/openapi.yaml.
type routeTable struct {
	*http.ServeMux
	patterns []string
}

// HandleFunc registers h for pattern and remembers the pattern.
func (t *routeTable) HandleFunc(pattern string, h func(http.ResponseWriter, *http.Request)) {
	t.patterns = append(t.patterns, pattern)
	t.ServeMux.HandleFunc(pattern, h)
}

// Handle registers h for pattern and remembers the pattern.
func (t *routeTable) Handle(pattern string, h http.Handler) {
	t.patterns = append(t.patterns, pattern)
	t.ServeMux.Handle(pattern, h)
}

// Handler returns the portal's whole HTTP handler.
func (s *Server) Handler() http.Handler {
	csrf := http.NewCrossOriginProtection()
	csrf.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, twostep.Errorf(twostep.EForbidden, "Requests from other sites are refused."))
	}))
	if s.opts.OIDC != nil {
		// Apps call these from other sites by design; none acts on a cookie
		// but end_session, which asks the person first.
		for _, p := range []string{oidc.PathToken, oidc.PathUserinfo, oidc.PathIntrospect, oidc.PathRevoke, oidc.PathEndSession} {
			csrf.AddInsecureBypassPattern("POST " + p)
		}
	}
	return s.withBasics(csrf.Handler(s.withOwnErrors(s.routes().ServeMux)))
}

// routes registers every route of the portal. Every /api/v1 route is described
// in docs/openapi.yaml (a test holds the two to each other).
func (s *Server) routes() *routeTable {
	mux := &routeTable{ServeMux: http.NewServeMux()}
	signIn, setup, full := twostep.AccessSignIn, twostep.AccessSetup, twostep.AccessFull

	// Operations.
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) })
	mux.HandleFunc("GET /readyz", s.readyz)
	if !s.opts.MetricsElsewhere {
		mux.Handle("GET /metrics", s.MetricsHandler())
	}
	mux.Handle("GET /static/{file...}", http.StripPrefix("/static/", staticHandler(s.notFound)))

	// JSON API: sign-in.
	mux.HandleFunc("POST /api/v1/login", s.apiLogin)
	mux.HandleFunc("POST /api/v1/login/send-code", s.authed(signIn, s.apiSendCode))
	mux.HandleFunc("POST /api/v1/login/verify", s.authed(signIn, s.apiVerify))
	mux.HandleFunc("POST /api/v1/login/dismiss-notice", s.authed(signIn, s.apiDismissNotice))
	mux.HandleFunc("POST /api/v1/login/passkey", s.apiBeginPasskeySignIn)
	mux.HandleFunc("POST /api/v1/login/passkey/verify", s.apiPasskeySignIn)
	mux.HandleFunc("POST /api/v1/logout", s.apiLogout)
	mux.HandleFunc("GET /api/v1/session", s.authed(signIn, s.apiSession))

	// JSON API: My Account.
	mux.HandleFunc("GET /api/v1/account", s.authed(setup, s.apiAccount))
	mux.HandleFunc("POST /api/v1/account/two-step/on", s.authed(full, s.apiTwoStepOn))
	mux.HandleFunc("POST /api/v1/account/two-step/off", s.authed(full, s.apiTwoStepOff))
	mux.HandleFunc("POST /api/v1/account/methods/totp", s.authed(setup, s.apiStartTOTP))
	mux.HandleFunc("POST /api/v1/account/methods/totp/verify", s.authed(setup, s.apiVerifySetup(twostep.MethodTOTP)))
	for _, t := range []twostep.MethodType{twostep.MethodPhone, twostep.MethodEmail} {
		base := "POST /api/v1/account/methods/" + string(t)
		mux.HandleFunc(base, s.authed(setup, s.apiStartContact(t)))
		mux.HandleFunc(base+"/resend", s.authed(setup, s.apiResendSetup(t)))
		mux.HandleFunc(base+"/verify", s.authed(setup, s.apiVerifySetup(t)))
	}
	mux.HandleFunc("POST /api/v1/account/methods/passkey", s.authed(setup, s.apiStartPasskey))
	mux.HandleFunc("POST /api/v1/account/methods/passkey/verify", s.authed(setup, s.apiFinishPasskey))
	mux.HandleFunc("DELETE /api/v1/account/methods/{type}", s.authed(full, s.apiDeleteMethod))
	mux.HandleFunc("DELETE /api/v1/account/methods/passkey/{id}", s.authed(full, s.apiDeletePasskey))
	mux.HandleFunc("POST /api/v1/account/recovery-codes", s.authed(full, s.apiRecoveryCodes))
	mux.HandleFunc("POST /api/v1/account/password", s.authed(full, s.apiPassword))
	mux.HandleFunc("GET /api/v1/account/sessions", s.authed(full, s.apiSessions))
	mux.HandleFunc("POST /api/v1/account/sessions/revoke-others", s.authed(full, s.apiRevokeOthers))
	mux.HandleFunc("DELETE /api/v1/account/trusted-browsers/{id}", s.authed(full, s.apiForgetTrusted))

	// JSON API: forgotten passwords and invitations (B21, B22).
	mux.HandleFunc("POST /api/v1/password-reset", s.apiPasswordReset)
	mux.HandleFunc("POST /api/v1/password-reset/start", s.apiPasswordResetStart)
	mux.HandleFunc("POST /api/v1/password-reset/finish", s.authed(signIn, s.apiPasswordResetFinish))
	mux.HandleFunc("POST /api/v1/invitations/accept", s.apiAcceptInvitation)

	// JSON API: center admin.
	mux.HandleFunc("GET /api/v1/admin/users", s.authed(full, s.apiAdminUsers))
	mux.HandleFunc("POST /api/v1/admin/users", s.authed(full, s.apiAdminCreateUser))
	mux.HandleFunc("PUT /api/v1/admin/policy", s.authed(full, s.apiAdminPolicy))
	mux.HandleFunc("POST /api/v1/admin/users/{username}/reset-two-step", s.authed(full, s.apiAdminReset))
	mux.HandleFunc("GET /api/v1/admin/audit", s.authed(full, s.apiAudit))
	mux.HandleFunc("POST /api/v1/admin/invitations", s.authed(full, s.apiInvite))
	mux.HandleFunc("GET /api/v1/admin/invitations", s.authed(full, s.apiInvitations))
	mux.HandleFunc("DELETE /api/v1/admin/invitations/{username}", s.authed(full, s.apiRevokeInvitation))
	mux.HandleFunc("POST /api/v1/admin/invitations/{username}/resend", s.authed(full, s.apiResendInvitation))

	// JSON API: account managers.
	mux.HandleFunc("POST /api/v1/staff/centers", s.authed(full, s.apiStaffCreateCenter))
	mux.HandleFunc("GET /api/v1/staff/centers", s.authed(full, s.apiStaffCenters))
	mux.HandleFunc("PUT /api/v1/staff/centers/{id}", s.authed(full, s.apiStaffUpdateCenter))
	mux.HandleFunc("POST /api/v1/staff/centers/{id}/users", s.authed(full, s.apiStaffCreateUser))
	mux.HandleFunc("GET /api/v1/staff/audit", s.authed(full, s.apiAudit))
	mux.HandleFunc("GET /api/v1/dev/outbox", s.authed(full, s.apiDevOutbox))

	// JSON API: its own description (docs/openapi.yaml).
	mux.HandleFunc("GET /api/v1/openapi.yaml", apiOpenAPI())

	// Apps (B20): the forward-auth check and the registry of apps.
	mux.HandleFunc("GET /api/v1/forward-auth", s.apiForwardAuth) // logged at debug level (logging.go)
	mux.HandleFunc("GET /api/v1/staff/apps", s.authed(full, s.apiStaffApps))
	mux.HandleFunc("POST /api/v1/staff/apps", s.authed(full, s.apiStaffCreateApp))
	mux.HandleFunc("DELETE /api/v1/staff/apps/{name}", s.authed(full, s.apiStaffDeleteApp))

	// Pages.
	mux.HandleFunc("GET /{$}", s.pageHome)
	mux.HandleFunc("GET /lang", s.pageLanguage)
	mux.HandleFunc("GET /login", s.pageLogin)
	mux.HandleFunc("POST /login", s.pageLoginPost)
	mux.HandleFunc("GET /login/verify", s.authed(signIn, s.pageChallenge))
	mux.HandleFunc("POST /login/send-code", s.authed(signIn, s.pageSendCode))
	mux.HandleFunc("POST /login/verify", s.authed(signIn, s.pageVerify))
	mux.HandleFunc("GET /login/notice", s.authed(signIn, s.pageNotice))
	mux.HandleFunc("POST /login/dismiss", s.authed(signIn, s.pageDismiss))
	mux.HandleFunc("POST /login/passkey", s.pagePasskeySignIn)
	mux.HandleFunc("POST /logout", s.pageLogout)
	mux.HandleFunc("GET /forgot-password", s.pageForgot)
	mux.HandleFunc("POST /forgot-password", s.pageForgotPost)
	mux.HandleFunc("GET /password-reset", s.pageResetLink)
	mux.HandleFunc("POST /password-reset/start", s.pageResetStart)
	mux.HandleFunc("GET /password-reset/new", s.authed(signIn, s.pageChoosePassword))
	mux.HandleFunc("POST /password-reset/new", s.authed(signIn, s.pageChoosePasswordPost))
	mux.HandleFunc("GET /invitation", s.pageInvitation)
	mux.HandleFunc("POST /invitation", s.pageAcceptInvitation)
	mux.HandleFunc("GET /account", s.authed(setup, s.pageAccount))
	mux.HandleFunc("POST /account/two-step/on", s.authed(full, s.pageTurnOn))
	mux.HandleFunc("GET /account/two-step/off", s.authed(full, s.pageTurnOffForm))
	mux.HandleFunc("POST /account/two-step/off", s.authed(full, s.pageTurnOff))
	mux.HandleFunc("GET /account/methods/{type}/add", s.authed(setup, s.pageAddMethod))
	mux.HandleFunc("POST /account/methods/{type}/add", s.authed(setup, s.pageAddMethodPost))
	mux.HandleFunc("POST /account/methods/{type}/resend", s.authed(setup, s.pageResendSetup))
	mux.HandleFunc("POST /account/methods/{type}/verify", s.authed(setup, s.pageVerifySetup))
	mux.HandleFunc("GET /account/methods/passkey/add", s.authed(setup, s.pageAddPasskey))
	mux.HandleFunc("POST /account/methods/passkey/add", s.authed(setup, s.pageAddPasskeyPost))
	mux.HandleFunc("POST /account/methods/passkey/verify", s.authed(setup, s.pageFinishPasskey))
	mux.HandleFunc("GET /account/methods/passkey/{id}/delete", s.authed(full, s.pageDeletePasskeyForm))
	mux.HandleFunc("POST /account/methods/passkey/{id}/delete", s.authed(full, s.pageDeletePasskey))
	mux.HandleFunc("GET /account/methods/{type}/delete", s.authed(full, s.pageDeleteForm))
	mux.HandleFunc("POST /account/methods/{type}/delete", s.authed(full, s.pageDelete))
	mux.HandleFunc("GET /account/recovery-codes", s.authed(full, s.pageRecoveryForm))
	mux.HandleFunc("POST /account/recovery-codes", s.authed(full, s.pageRecoveryCodes))
	mux.HandleFunc("GET /account/password", s.authed(full, s.pagePasswordForm))
	mux.HandleFunc("POST /account/password", s.authed(full, s.pagePassword))
	mux.HandleFunc("POST /account/sessions/revoke-others", s.authed(full, s.pageRevokeOthers))
	mux.HandleFunc("POST /account/trusted-browsers/{id}/delete", s.authed(full, s.pageForgetTrusted))
	mux.HandleFunc("GET /dev/outbox", s.authed(full, s.pageDevOutbox))
	mux.HandleFunc("GET /staff", s.authed(full, s.pageStaff))
	mux.HandleFunc("POST /staff/centers", s.authed(full, s.pageStaffCreateCenter))
	mux.HandleFunc("GET /staff/centers/{id}/beta", s.authed(full, s.pageStaffBetaForm))
	mux.HandleFunc("POST /staff/centers/{id}/beta", s.authed(full, s.pageStaffBeta))
	mux.HandleFunc("GET /staff/audit", s.authed(full, s.pageAudit))
	mux.HandleFunc("GET /staff/audit.csv", s.authed(full, s.pageAuditCSV))
	mux.HandleFunc("GET /admin", s.authed(full, s.pageAdmin))
	mux.HandleFunc("POST /admin/policy", s.authed(full, s.pageAdminPolicy))
	mux.HandleFunc("POST /admin/time-zone", s.authed(full, s.pageAdminTimeZone))
	mux.HandleFunc("GET /admin/users.csv", s.authed(full, s.pageAdminCSV))
	mux.HandleFunc("POST /admin/invitations", s.authed(full, s.pageInvite))
	mux.HandleFunc("POST /admin/invitations/{username}/resend", s.authed(full, s.pageResendInvitation))
	mux.HandleFunc("POST /admin/invitations/{username}/revoke", s.authed(full, s.pageRevokeInvitation))
	mux.HandleFunc("GET /admin/users/{username}/reset", s.authed(full, s.pageAdminResetForm))
	mux.HandleFunc("POST /admin/users/{username}/reset", s.authed(full, s.pageAdminReset))
	mux.HandleFunc("GET /admin/audit", s.authed(full, s.pageAudit))
	mux.HandleFunc("GET /admin/audit.csv", s.authed(full, s.pageAuditCSV))
	mux.HandleFunc("GET /login/continue", s.pageContinue)
	mux.HandleFunc("GET /login/forward", s.pageLoginForward)
	mux.HandleFunc("POST /apps/two-step", s.authed(full, s.pageAppTwoStep))
	mux.HandleFunc("GET /staff/apps", s.authed(full, s.pageApps))
	mux.HandleFunc("POST /staff/apps", s.authed(full, s.pageCreateApp))
	mux.HandleFunc("POST /staff/apps/delete", s.authed(full, s.pageDeleteApp))

	// OpenID Connect provider (B20): apps call the JSON endpoints from their
	// servers or, for public clients, from other origins (CORS, no cookies).
	if p := s.opts.OIDC; p != nil {
		mux.Handle("GET "+oidc.PathDiscovery, corsOpen(http.HandlerFunc(p.Discovery)))
		mux.Handle("GET "+oidc.PathKeys, corsOpen(http.HandlerFunc(p.Keys)))
		mux.Handle(oidc.PathToken, corsOpen(http.HandlerFunc(p.Token)))
		mux.Handle(oidc.PathUserinfo, corsOpen(http.HandlerFunc(p.Userinfo)))
		mux.Handle(oidc.PathIntrospect, corsOpen(http.HandlerFunc(p.Introspect)))
		mux.Handle(oidc.PathRevoke, corsOpen(http.HandlerFunc(p.Revoke)))
		mux.HandleFunc("GET "+oidc.PathAuthorize, s.oidcAuthorize)
		mux.HandleFunc("GET "+oidc.PathContinue, s.oidcContinue)
		mux.HandleFunc("GET "+oidc.PathEndSession, s.oidcEndSession)
		mux.HandleFunc("POST "+oidc.PathEndSession, s.oidcEndSession)
		mux.HandleFunc("POST "+oidc.PathEndSession+"/confirm", s.oidcEndSession)
	}
	return mux
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.db.Ping(ctx); err != nil {
		s.log.WarnContext(ctx, "not ready", "err", err)
		http.Error(w, "database unreachable\n", http.StatusServiceUnavailable)
		return
	}
	w.Write([]byte("ready\n"))
}

func (s *Server) devMessages(r *http.Request, a *twostep.Auth) ([]store.DevMessage, error) {
	if !s.opts.DevOutbox {
		return nil, twostep.Errorf(twostep.ENotFound, "The dev outbox is off.")
	}
	if a.User.Role != twostep.RoleStaff {
		return nil, twostep.Errorf(twostep.EForbidden, "Only account managers read the dev outbox.")
	}
	return s.dev.DevMessages(r.Context(), 200)
}

// corsOpen lets pages of other origins call an OpenID endpoint (public clients
// in the browser): any origin, never with cookies.
func corsOpen(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		if r.Method == http.MethodOptions {
			w.Header().Set("Access-Control-Allow-Methods", "GET, POST")
			w.Header().Set("Access-Control-Allow-Headers", "Authorization, Content-Type")
			w.Header().Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		h.ServeHTTP(w, r)
	})
}
