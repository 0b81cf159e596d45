// Package oidc makes the portal an OpenID Connect provider for other apps
// (B20) on github.com/zitadel/oidc's OpenID-certified op package: discovery,
// the authorization code flow with PKCE, refresh tokens, userinfo, JWKS,
// revocation, introspection and RP-initiated logout. The rules (who may use
// an app, single use of codes and refresh tokens, signing keys) are the
// domain's; this package translates between the protocol and the domain, and
// the web package serves the sign-in pages.
package oidc

import (
	"context"
	"net/http"
	"strings"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/text/language"

	"github.com/providerportal/portal/internal/twostep"
)

// Paths of the provider's endpoints (discovery names them all).
const (
	PathDiscovery  = "/.well-known/openid-configuration"
	PathAuthorize  = "/oauth/authorize"
	PathContinue   = "/oauth/authorize/continue" // the sign-in pages come back here with ?id=
	PathToken      = "/oauth/token"
	PathUserinfo   = "/oauth/userinfo"
	PathIntrospect = "/oauth/introspect"
	PathRevoke     = "/oauth/revoke"
	PathEndSession = "/oauth/end_session"
	PathKeys       = "/oauth/keys"
)

// Provider is the OpenID Connect provider.
type Provider struct {
	op     *op.Provider
	svc    *twostep.Service
	st     *storage
	issuer string
}

// New returns the provider for issuer (PORTAL_PUBLIC_URL).
func New(svc *twostep.Service, issuer string) (*Provider, error) {
	set := svc.Settings()
	st := &storage{svc: svc, keys: &keyCache{svc: svc}, ttl: set.AppTokenTTL, login: PathContinue + "?id="}
	cfg := &op.Config{
		CryptoKey:             svc.DerivedKey("oidc-codes-and-access-tokens"),
		CodeMethodS256:        true,
		AuthMethodPost:        true,
		GrantTypeRefreshToken: true,
		SupportedUILocales:    []language.Tag{language.English, language.Spanish},
		SupportedScopes:       []string{oidc.ScopeOpenID, oidc.ScopeProfile, oidc.ScopeEmail, oidc.ScopeOfflineAccess},
		SupportedClaims: []string{"sub", "aud", "exp", "iat", "iss", "auth_time", "nonce", "acr", "amr", "c_hash", "at_hash", "azp",
			"preferred_username", "email", "email_verified", "center", "role"},
	}
	opts := []op.Option{
		op.WithCustomAuthEndpoint(op.NewEndpoint(PathAuthorize)),
		op.WithCustomTokenEndpoint(op.NewEndpoint(PathToken)),
		op.WithCustomUserinfoEndpoint(op.NewEndpoint(PathUserinfo)),
		op.WithCustomIntrospectionEndpoint(op.NewEndpoint(PathIntrospect)),
		op.WithCustomRevocationEndpoint(op.NewEndpoint(PathRevoke)),
		op.WithCustomEndSessionEndpoint(op.NewEndpoint(PathEndSession)),
		op.WithCustomKeysEndpoint(op.NewEndpoint(PathKeys)),
	}
	if strings.HasPrefix(issuer, "http://") {
		opts = append(opts, op.WithAllowInsecure())
	}
	p, err := op.NewProvider(cfg, st, op.StaticIssuer(issuer), opts...)
	if err != nil {
		return nil, err
	}
	return &Provider{op: p, svc: svc, st: st, issuer: issuer}, nil
}

// Prepare makes the first signing key when there is none; call it at start.
func (p *Provider) Prepare(ctx context.Context) error { return p.svc.EnsureSigningKey(ctx) }

// RotateKey rotates the signing key and signs with the new one at once on this
// instance (others follow within a minute; the old key stays published).
func (p *Provider) RotateKey(ctx context.Context, actor *twostep.User, c twostep.Client) (*twostep.SigningKey, error) {
	k, err := p.svc.RotateSigningKey(ctx, actor, c)
	if err == nil {
		p.st.keys.forget()
	}
	return k, err
}

// withIssuer puts the issuer where the library's handlers look for it.
func (p *Provider) withIssuer(r *http.Request) *http.Request {
	return r.WithContext(op.ContextWithIssuer(r.Context(), p.issuer))
}

// Discovery serves /.well-known/openid-configuration: what the library
// describes, narrowed to what the portal offers (authorization code only).
func (p *Provider) Discovery(w http.ResponseWriter, r *http.Request) {
	r = p.withIssuer(r)
	d := op.CreateDiscoveryConfig(r.Context(), p.op, p.st)
	d.DeviceAuthorizationEndpoint = ""
	d.ResponseTypesSupported = []string{string(oidc.ResponseTypeCode)}
	d.ResponseModesSupported = []string{string(oidc.ResponseModeQuery), string(oidc.ResponseModeFragment)}
	d.GrantTypesSupported = []oidc.GrantType{oidc.GrantTypeCode, oidc.GrantTypeRefreshToken}
	d.CodeChallengeMethodsSupported = []oidc.CodeChallengeMethod{oidc.CodeChallengeMethodS256}
	d.TokenEndpointAuthMethodsSupported = []oidc.AuthMethod{oidc.AuthMethodBasic, oidc.AuthMethodPost, oidc.AuthMethodNone}
	d.IntrospectionEndpointAuthMethodsSupported = []oidc.AuthMethod{oidc.AuthMethodBasic}
	d.RevocationEndpointAuthMethodsSupported = []oidc.AuthMethod{oidc.AuthMethodBasic, oidc.AuthMethodPost, oidc.AuthMethodNone}
	d.TokenEndpointAuthSigningAlgValuesSupported = nil
	d.IntrospectionEndpointAuthSigningAlgValuesSupported = nil
	d.RevocationEndpointAuthSigningAlgValuesSupported = nil
	d.RequestObjectSigningAlgValuesSupported = nil
	d.RequestParameterSupported = false
	// acr is a claim the portal sets truthfully ("pwd" or "2sv"), but an app
	// asks for 2SV by its registration (--require-two-step), not by
	// acr_values, which is therefore not advertised.
	d.ACRValuesSupported = nil
	d.SubjectTypesSupported = []string{"public"}
	w.Header().Set("Cache-Control", "public, max-age=300")
	op.Discover(w, d)
}

// Token serves the token endpoint: the authorization_code and refresh_token
// grants; any other grant is unsupported_grant_type.
func (p *Provider) Token(w http.ResponseWriter, r *http.Request) {
	r = p.withIssuer(r)
	switch r.FormValue("grant_type") {
	case string(oidc.GrantTypeCode), string(oidc.GrantTypeRefreshToken):
		w.Header().Set("Cache-Control", "no-store")
		op.Exchange(w, r, p.op)
	case "":
		op.RequestError(w, r, oidc.ErrInvalidRequest().WithDescription("grant_type missing"), nil)
	default:
		op.RequestError(w, r, oidc.ErrUnsupportedGrantType().WithDescription("only authorization_code and refresh_token"), nil)
	}
}

// Userinfo serves the userinfo endpoint.
func (p *Provider) Userinfo(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	op.Userinfo(w, p.withIssuer(r), p.op)
}

// Introspect serves token introspection for resource servers (RFC 7662): the
// caller authenticates as a confidential client.
func (p *Provider) Introspect(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	op.Introspect(w, p.withIssuer(r), p.op)
}

// Revoke serves token revocation (RFC 7009).
func (p *Provider) Revoke(w http.ResponseWriter, r *http.Request) {
	op.Revoke(w, p.withIssuer(r), p.op)
}

// Keys serves the JWKS: the active signing key and recently retired ones.
func (p *Provider) Keys(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "public, max-age=60")
	op.Keys(w, p.withIssuer(r), p.st)
}
