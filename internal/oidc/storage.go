package oidc

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/providerportal/portal/internal/twostep"
)

// storage is the library's op.Storage over the domain: every rule (single use
// of codes and refresh tokens, reuse detection, who may use an app) is the
// domain's; this file only translates.
type storage struct {
	svc   *twostep.Service
	keys  *keyCache
	ttl   time.Duration // access and ID tokens
	login string        // LoginURL prefix
}

var _ op.Storage = (*storage)(nil)

// asOIDC turns a domain error into the OAuth error the library answers with;
// anything else stays a server error (and is logged by the library).
func asOIDC(err error) error {
	var de *twostep.Error
	if !errors.As(err, &de) {
		return err
	}
	switch de.Code {
	case twostep.EInvalidGrant:
		return oidc.ErrInvalidGrant().WithDescription("%s", de.Message)
	case twostep.ENotFound:
		return oidc.ErrInvalidRequest().WithDescription("%s", de.Message)
	case twostep.EAccessDenied:
		return oidc.ErrAccessDenied().WithDescription("%s", de.Message)
	}
	return oidc.ErrInvalidRequest().WithDescription("%s", de.Message)
}

func (s *storage) client(app *twostep.App) *client {
	return &client{app: app, idTTL: s.ttl, loginAt: s.login}
}

// GetClientByClientID finds a registered OpenID Connect client; an unknown one
// is invalid_client (never a server error).
func (s *storage) GetClientByClientID(ctx context.Context, clientID string) (op.Client, error) {
	app, err := s.svc.AppByClientID(ctx, clientID)
	if twostep.ErrorCode(err) == twostep.ENotFound {
		return nil, oidc.ErrInvalidClient().WithDescription("unknown client")
	}
	if err != nil {
		return nil, oidc.ErrServerError().WithParent(err)
	}
	return s.client(app), nil
}

// AuthorizeClientIDSecret checks a confidential client's secret (constant time).
func (s *storage) AuthorizeClientIDSecret(ctx context.Context, clientID, secret string) error {
	app, err := s.svc.AppByClientID(ctx, clientID)
	if twostep.ErrorCode(err) == twostep.ENotFound {
		return oidc.ErrInvalidClient().WithDescription("invalid client_id / client_secret")
	}
	if err != nil {
		return oidc.ErrServerError().WithParent(err)
	}
	if !app.CheckSecret(secret) {
		return oidc.ErrInvalidClient().WithDescription("invalid client_id / client_secret")
	}
	return nil
}

// CreateAuthRequest keeps a validated authorization request.
func (s *storage) CreateAuthRequest(ctx context.Context, req *oidc.AuthRequest, _ string) (op.AuthRequest, error) {
	ar, err := s.prepare(ctx, req)
	if err != nil {
		return nil, err
	}
	return ar, s.svc.KeepAuthRequest(ctx, ar.rec)
}

// prepare makes the domain's record of a request, not yet stored.
func (s *storage) prepare(ctx context.Context, req *oidc.AuthRequest) (*authRequest, error) {
	app, err := s.svc.AppByClientID(ctx, req.ClientID)
	if err != nil {
		return nil, asOIDC(err)
	}
	params, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	return newAuthRequest(s.svc.PrepareAuthRequest(app, params), s.svc.AppSubject)
}

func (s *storage) AuthRequestByID(ctx context.Context, id string) (op.AuthRequest, error) {
	rec, err := s.svc.AuthRequest(ctx, id)
	if err != nil {
		return nil, asOIDC(err)
	}
	return newAuthRequest(rec, s.svc.AppSubject)
}

func (s *storage) AuthRequestByCode(ctx context.Context, code string) (op.AuthRequest, error) {
	rec, err := s.svc.AuthRequestByCode(ctx, code)
	if err != nil {
		return nil, asOIDC(err)
	}
	return newAuthRequest(rec, s.svc.AppSubject)
}

func (s *storage) SaveAuthCode(ctx context.Context, id, code string) error {
	return asOIDC(s.svc.SetAuthCode(ctx, id, code))
}

// DeleteAuthRequest keeps the request: its redeemed code must stay known so a
// second use can revoke what the first gave. Expired requests are swept.
func (s *storage) DeleteAuthRequest(context.Context, string) error { return nil }

// CreateAccessToken redeems a code (once) for an access token.
func (s *storage) CreateAccessToken(ctx context.Context, req op.TokenRequest) (string, time.Time, error) {
	ar, ok := req.(*authRequest)
	if !ok {
		return "", time.Time{}, oidc.ErrUnsupportedGrantType()
	}
	toks, err := s.svc.RedeemCode(ctx, ar.rec, ar.GetScopes(), false)
	if err != nil {
		return "", time.Time{}, asOIDC(err)
	}
	return toks.AccessID, toks.AccessExpires, nil
}

// CreateAccessAndRefreshTokens redeems a code for both tokens, or rotates a
// refresh token (used once; reuse revokes its family).
func (s *storage) CreateAccessAndRefreshTokens(ctx context.Context, req op.TokenRequest, current string) (string, string, time.Time, error) {
	var toks *twostep.AppTokens
	var err error
	switch r := req.(type) {
	case *authRequest:
		toks, err = s.svc.RedeemCode(ctx, r.rec, r.GetScopes(), true)
	case *refreshRequest:
		toks, err = s.svc.RotateRefresh(ctx, r.signIn.Grant, current)
	default:
		return "", "", time.Time{}, oidc.ErrUnsupportedGrantType()
	}
	if err != nil {
		return "", "", time.Time{}, asOIDC(err)
	}
	return toks.AccessID, toks.Refresh, toks.AccessExpires, nil
}

func (s *storage) TokenRequestByRefreshToken(ctx context.Context, token string) (op.RefreshTokenRequest, error) {
	in, err := s.svc.RefreshGrant(ctx, token)
	if err != nil {
		return nil, asOIDC(err)
	}
	app, err := s.svc.AppByID(ctx, in.Grant.AppID)
	if err != nil {
		return nil, asOIDC(err)
	}
	return &refreshRequest{signIn: in, clientID: app.ClientID, subject: s.svc.AppSubject(in.User.ID), scopes: in.Grant.Scopes}, nil
}

// TerminateSession revokes a person's grants for a client (the portal's own
// end_session handler does this and ends the browser's session).
func (s *storage) TerminateSession(ctx context.Context, subject, clientID string) error {
	return nil
}

// GetRefreshTokenInfo tells the revocation endpoint whether token is one of
// clientID's refresh tokens.
func (s *storage) GetRefreshTokenInfo(ctx context.Context, clientID, token string) (string, string, error) {
	in, err := s.svc.RefreshGrant(ctx, token)
	if err != nil {
		return "", "", op.ErrInvalidRefreshToken
	}
	app, err := s.svc.AppByID(ctx, in.Grant.AppID)
	if err != nil || app.ClientID != clientID {
		return "", "", op.ErrInvalidRefreshToken
	}
	return s.svc.AppSubject(in.User.ID), token, nil
}

// RevokeToken revokes the grant of a token (an access token's id or a refresh
// token) issued to clientID; anything else changes nothing (RFC 7009).
func (s *storage) RevokeToken(ctx context.Context, token, _, clientID string) *oidc.Error {
	app, err := s.svc.AppByClientID(ctx, clientID)
	if err != nil {
		return oidc.ErrInvalidClient()
	}
	if err := s.svc.RevokeAppToken(ctx, app, token); err != nil {
		return oidc.ErrServerError().WithParent(err)
	}
	return nil
}

func (s *storage) SigningKey(ctx context.Context) (op.SigningKey, error) { return s.keys.active(ctx) }

func (s *storage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.RS256}, nil
}

func (s *storage) KeySet(ctx context.Context) ([]op.Key, error) { return s.keys.published(ctx) }

// GetPrivateClaimsFromScopes is for JWT access tokens, which the portal does not issue.
func (s *storage) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}

// GetKeyByIDAndClientID: clients authenticate with secrets, never with keys.
func (s *storage) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, oidc.ErrInvalidClient().WithDescription("key-based client authentication is not supported")
}

// ValidateJWTProfileScopes: the JWT profile grant is not supported.
func (s *storage) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, oidc.ErrUnsupportedGrantType()
}

func (s *storage) Health(context.Context) error { return nil }

func fieldsOf(amr string) []string { return strings.Fields(amr) }
