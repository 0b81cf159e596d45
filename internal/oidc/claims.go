package oidc

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/providerportal/portal/internal/twostep"
)

// fillClaims writes what an app learns of a person (CONTRACT.md): sub always;
// preferred_username with the profile scope; email and email_verified with
// the email scope; center (absent for account managers) and role always; amr
// and acr when amr is given (the ID token carries them in its own fields).
func fillClaims(info *oidc.UserInfo, p *twostep.AppPerson, subject string, scopes []string, amr string) {
	info.Subject = subject
	if slices.Contains(scopes, oidc.ScopeProfile) {
		info.PreferredUsername = p.User.Username
	}
	if slices.Contains(scopes, oidc.ScopeEmail) {
		info.Email = p.User.Email
		info.EmailVerified = oidc.Bool(p.EmailVerified)
		if !p.EmailVerified {
			info.AppendClaims("email_verified", false) // say so rather than leave it out
		}
	}
	if p.CenterName != "" {
		info.AppendClaims("center", p.CenterName)
	}
	info.AppendClaims("role", string(p.User.Role))
	if amr != "" {
		info.AppendClaims("amr", strings.Fields(amr))
		info.AppendClaims("acr", acrOf(amr))
	}
}

// SetUserinfoFromScopes is deprecated in the library; SetUserinfoFromRequest does the work.
func (s *storage) SetUserinfoFromScopes(context.Context, *oidc.UserInfo, string, string, []string) error {
	return nil
}

// SetUserinfoFromRequest fills the ID token's claims.
func (s *storage) SetUserinfoFromRequest(ctx context.Context, info *oidc.UserInfo, req op.IDTokenRequest, scopes []string) error {
	var p *twostep.AppPerson
	var err error
	switch r := req.(type) {
	case *authRequest:
		p, err = s.svc.AppPerson(ctx, r.rec.UserID)
	case *refreshRequest:
		info.AppendClaims("acr", acrOf(r.signIn.Grant.AMR)) // the library sets acr from authorization requests only
		p, err = s.svc.SignedInPerson(ctx, r.signIn)
	default:
		return fmt.Errorf("unexpected token request %T", req)
	}
	if err != nil {
		return err
	}
	fillClaims(info, p, req.GetSubject(), scopes, "")
	return nil
}

// SetUserinfoFromToken answers the userinfo endpoint for a live access token.
func (s *storage) SetUserinfoFromToken(ctx context.Context, info *oidc.UserInfo, tokenID, subject, _ string) error {
	in, err := s.svc.AccessSignIn(ctx, tokenID)
	if err != nil {
		return asOIDC(err)
	}
	if s.svc.AppSubject(in.User.ID) != subject {
		return oidc.ErrInvalidGrant()
	}
	p, err := s.svc.SignedInPerson(ctx, in)
	if err != nil {
		return err
	}
	fillClaims(info, p, subject, in.Grant.Scopes, in.Grant.AMR)
	return nil
}

// SetIntrospectionFromToken answers a resource server (an authenticated client)
// about a live access token.
func (s *storage) SetIntrospectionFromToken(ctx context.Context, resp *oidc.IntrospectionResponse, tokenID, subject, _ string) error {
	in, err := s.svc.AccessSignIn(ctx, tokenID)
	if err != nil {
		return asOIDC(err)
	}
	if s.svc.AppSubject(in.User.ID) != subject {
		return oidc.ErrInvalidGrant()
	}
	app, err := s.svc.AppByID(ctx, in.Grant.AppID)
	if err != nil {
		return err
	}
	p, err := s.svc.SignedInPerson(ctx, in)
	if err != nil {
		return err
	}
	info := new(oidc.UserInfo)
	fillClaims(info, p, subject, in.Grant.Scopes, in.Grant.AMR)
	resp.SetUserInfo(info)
	resp.Scope = in.Grant.Scopes
	resp.ClientID = app.ClientID
	resp.Audience = []string{app.ClientID}
	resp.TokenType = oidc.BearerToken
	resp.AuthTime = oidc.FromTime(in.Grant.AuthTime)
	resp.AuthenticationMethodsReferences = oidc.AuthenticationMethodsReferences(fieldsOf(in.Grant.AMR))
	resp.IssuedAt = oidc.FromTime(in.Grant.CreatedAt)
	if in.Token != nil {
		resp.Expiration = oidc.FromTime(in.Token.ExpiresAt)
	}
	return nil
}
