package oidc

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/providerportal/portal/internal/twostep"
)

// Request is an app's authorization request while the portal signs the
// person in. The web package carries its ID through the sign-in pages.
type Request struct {
	ID          string
	App         *twostep.App
	CreatedAt   time.Time
	HintSubject string // the sub of a valid id_token_hint, if any
	req         *authRequest
	kept        bool // stored (for the sign-in pages to come back to)
}

// PromptNone reports whether the app asked for no page at all (prompt=none).
func (q *Request) PromptNone() bool { return slices.Contains(q.req.params.Prompt, oidc.PromptNone) }

// FreshSince is the earliest sign-in the app accepts: with prompt=login the
// request's own time, with max_age that long before it; zero otherwise.
func (q *Request) FreshSince() time.Time {
	if q.req.params.MaxAge == nil {
		return time.Time{}
	}
	return q.CreatedAt.Add(-time.Duration(*q.req.params.MaxAge) * time.Second)
}

// AuthorizeError is an authorization request's failure. When Redirects is
// false the app (or redirect URI) is unknown: the person sees a page and
// nothing is sent anywhere.
type AuthorizeError struct {
	Err    *oidc.Error
	target op.ErrAuthRequest
}

func (e *AuthorizeError) Error() string { return e.Err.Error() }

// Redirects reports whether the error goes back to the app.
func (e *AuthorizeError) Redirects() bool { return e.target != nil && !e.Err.IsRedirectDisabled() }

func pageErr(e *oidc.Error) *AuthorizeError { return &AuthorizeError{Err: e} }

// Limits on parameters that are kept with the request.
const (
	maxState    = 2048
	maxNonce    = 1024
	maxHint     = 512
	maxLocales  = 256
	maxScope    = 1024
	maxIDHint   = 8192
	minVerifier = 43 // a PKCE S256 challenge is 43 characters of base64url
	maxVerifier = 128
)

// Authorize parses an /authorize request and validates it with the library,
// plus the portal's own rules: the redirect URI exactly as registered, the
// authorization code flow only, PKCE with S256 (required for public clients),
// bounded parameters. A valid request is kept and returned.
func (p *Provider) Authorize(r *http.Request) (*Request, error) {
	r = p.withIssuer(r)
	ctx := r.Context()
	areq, err := op.ParseAuthorizeRequest(r, p.op.Decoder())
	if err != nil {
		return nil, pageErr(oidc.ErrInvalidRequest().WithDescription("The sign-in request is malformed."))
	}
	if areq.ClientID == "" || areq.RedirectURI == "" {
		return nil, pageErr(oidc.ErrInvalidRequest().WithDescription("The sign-in request names no app or no redirect URI."))
	}
	app, err := p.svc.AppByClientID(ctx, areq.ClientID)
	if twostep.ErrorCode(err) == twostep.ENotFound {
		return nil, pageErr(oidc.ErrInvalidClient().WithDescription("No app is registered with this client_id."))
	} else if err != nil {
		return nil, err
	}
	if !slices.Contains(app.RedirectURIs, areq.RedirectURI) {
		return nil, pageErr(oidc.ErrInvalidRequestRedirectURI().WithDescription("This redirect URI is not registered for the app."))
	}
	back := func(e *oidc.Error) error { return &AuthorizeError{Err: e, target: areq} }
	switch {
	case areq.RequestParam != "":
		return nil, back(oidc.ErrRequestNotSupported())
	case len(areq.State) > maxState || len(areq.Nonce) > maxNonce || len(areq.LoginHint) > maxHint || len(areq.IDTokenHint) > maxIDHint ||
		len(areq.UILocales) > 16 || len(areq.Scopes) > 32 || len(areq.Prompt) > 4 || len(areq.ACRValues) > 8:
		return nil, back(oidc.ErrInvalidRequest().WithDescription("A parameter of the request is too long."))
	case areq.ResponseType != oidc.ResponseTypeCode:
		return nil, back(oidc.ErrUnauthorizedClient().WithDescription("Only response_type=code is supported."))
	case areq.ResponseMode != "" && areq.ResponseMode != oidc.ResponseModeQuery && areq.ResponseMode != oidc.ResponseModeFragment:
		areq.ResponseMode = ""
		return nil, back(oidc.ErrInvalidRequest().WithDescription("Only the query and fragment response modes are supported."))
	case areq.CodeChallenge == "" && app.Public:
		return nil, back(oidc.ErrInvalidRequest().WithDescription("PKCE (code_challenge with S256) is required for this app."))
	case areq.CodeChallenge != "" && (areq.CodeChallengeMethod != oidc.CodeChallengeMethodS256 ||
		len(areq.CodeChallenge) < minVerifier || len(areq.CodeChallenge) > maxVerifier):
		return nil, back(oidc.ErrInvalidRequest().WithDescription("code_challenge_method must be S256 with a 43-character challenge."))
	}
	scopeLen := 0
	for _, s := range areq.Scopes {
		scopeLen += len(s) + 1
	}
	if scopeLen > maxScope || len(r.Form.Get("ui_locales")) > maxLocales {
		return nil, back(oidc.ErrInvalidRequest().WithDescription("A parameter of the request is too long."))
	}
	sub, err := op.ValidateAuthRequestClient(ctx, areq, p.st.client(app), p.op.IDTokenHintVerifier(ctx))
	if err != nil {
		var oe *oidc.Error
		if !errors.As(err, &oe) {
			oe = oidc.ErrServerError().WithParent(err)
		}
		return nil, back(oe)
	}
	if !slices.Contains(areq.Scopes, oidc.ScopeOpenID) {
		return nil, back(oidc.ErrInvalidScope().WithDescription("The openid scope is required."))
	}
	ar, err := p.st.prepare(ctx, areq)
	if err != nil {
		return nil, err
	}
	return &Request{ID: ar.rec.ID, App: app, CreatedAt: ar.rec.CreatedAt, HintSubject: sub, req: ar}, nil
}

// Keep stores a request that waits for the person to sign in (its ID is then
// carried through the sign-in pages).
func (p *Provider) Keep(ctx context.Context, q *Request) error {
	if q.kept {
		return nil
	}
	if err := p.svc.KeepAuthRequest(ctx, q.req.rec); err != nil {
		return err
	}
	q.kept = true
	return nil
}

// Load finds a kept request when the sign-in pages come back to it.
// Errors: not_found (unknown, expired or finished).
func (p *Provider) Load(ctx context.Context, id string) (*Request, error) {
	rec, err := p.svc.AuthRequest(ctx, id)
	if err != nil {
		return nil, err
	}
	if rec.CodeHash != "" {
		return nil, twostep.Errorf(twostep.ENotFound, "This sign-in request is finished. Go back to the app and start again.")
	}
	ar, err := newAuthRequest(rec, p.svc.AppSubject)
	if err != nil {
		return nil, err
	}
	app, err := p.svc.AppByID(ctx, rec.AppID)
	if err != nil {
		return nil, err
	}
	q := &Request{ID: rec.ID, App: app, CreatedAt: rec.CreatedAt, req: ar, kept: true}
	if ar.params.IDTokenHint != "" {
		ctx = op.ContextWithIssuer(ctx, p.issuer)
		claims, err := op.VerifyIDTokenHint[*oidc.TokenClaims](ctx, ar.params.IDTokenHint, p.op.IDTokenHintVerifier(ctx))
		if err == nil || errors.As(err, &op.IDTokenHintExpiredError{}) {
			q.HintSubject = claims.GetSubject()
		}
	}
	return q, nil
}

// Finish records who signed in and sends the person back to the app with a code.
func (p *Provider) Finish(w http.ResponseWriter, r *http.Request, q *Request, a *twostep.Auth, c twostep.Client) error {
	if q.kept {
		if err := p.svc.CompleteAuthRequest(r.Context(), q.req.rec, a, q.App, c); err != nil {
			return err
		}
		q.req.subject = p.svc.AppSubject(a.User.ID)
		op.AuthResponse(q.req, p.op, w, p.withIssuer(r))
		return nil
	}
	// Signed in already: the request, its person and its code are one write.
	code, err := op.BuildAuthRequestCode(q.req, p.op.Crypto())
	if err != nil {
		return err
	}
	if err := p.svc.IssueCodeAtOnce(r.Context(), q.req.rec, a, q.App, code, c); err != nil {
		return err
	}
	to, err := op.AuthResponseURL(q.req.params.RedirectURI, q.req.params.ResponseType, q.req.params.ResponseMode,
		&op.CodeResponseType{Code: code, State: q.req.params.State}, p.op.Encoder())
	if err != nil {
		return err
	}
	http.Redirect(w, r, to, http.StatusFound)
	return nil
}

// Deny sends the app an error (access_denied, login_required,
// interaction_required) for its request.
func (p *Provider) Deny(w http.ResponseWriter, r *http.Request, q *Request, e *oidc.Error) {
	op.AuthRequestError(w, r, q.req, e, p.op)
}

// DenyURL is where the person goes to tell the app it was refused (a link on
// the refusal page): the app's redirect URI with error=access_denied.
func (p *Provider) DenyURL(q *Request) string {
	e := oidc.ErrAccessDenied().WithDescription("The person may not use this app.")
	e.State = q.req.params.State
	u, err := op.AuthResponseURL(q.req.params.RedirectURI, q.req.params.ResponseType, q.req.params.ResponseMode, e, p.op.Encoder())
	if err != nil {
		return ""
	}
	return u
}

// SendError answers a failed /authorize: back to the app when that is safe,
// else nothing (the caller shows a page).
func (p *Provider) SendError(w http.ResponseWriter, r *http.Request, e *AuthorizeError) {
	op.AuthRequestError(w, r, e.target, e.Err, p.op)
}
