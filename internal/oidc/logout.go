package oidc

import (
	"errors"
	"net/http"
	"slices"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/providerportal/portal/internal/twostep"
)

// Logout is a validated RP-initiated logout request (end_session_endpoint).
type Logout struct {
	Subject     string       // the sub of a valid id_token_hint; "" without one
	App         *twostep.App // the app asking, when it says (client_id or the hint's azp)
	RedirectURI string       // a registered post-logout URI (with state), or "": the portal's own page
}

// EndSession validates a logout request with the library: the id_token_hint's
// signature (an expired hint is accepted, as OpenID Connect RP-Initiated
// Logout allows), client_id matching its azp, and post_logout_redirect_uri
// exactly as registered for the app. Errors are *oidc.Error (never redirected).
func (p *Provider) EndSession(r *http.Request) (*Logout, error) {
	r = p.withIssuer(r)
	req, err := op.ParseEndSessionRequest(r, p.op.Decoder())
	if err != nil {
		return nil, oidc.ErrInvalidRequest().WithDescription("The sign-out request is malformed.")
	}
	if len(req.IdTokenHint) > maxIDHint || len(req.State) > maxState || len(req.PostLogoutRedirectURI) > 2048 {
		return nil, oidc.ErrInvalidRequest().WithDescription("A parameter of the sign-out request is too long.")
	}
	wanted := req.PostLogoutRedirectURI
	es, err := op.ValidateEndSessionRequest(r.Context(), req, p.op)
	if err != nil {
		var oe *oidc.Error
		if errors.As(err, &oe) && oe.ErrorType != oidc.ServerError {
			return nil, oe
		}
		return nil, oidc.ErrInvalidRequest().WithDescription("The sign-out request is not valid.")
	}
	out := &Logout{Subject: es.UserID}
	if es.ClientID != "" {
		if out.App, err = p.svc.AppByClientID(r.Context(), es.ClientID); err != nil {
			return nil, oidc.ErrInvalidClient().WithDescription("unknown client")
		}
	}
	if wanted != "" {
		if out.App == nil || !slices.Contains(out.App.PostLogoutURIs, wanted) {
			return nil, oidc.ErrInvalidRequest().WithDescription("post_logout_redirect_uri is not registered for this app (give client_id or id_token_hint).")
		}
		out.RedirectURI = es.RedirectURI
	}
	return out, nil
}
