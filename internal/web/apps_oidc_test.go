package web_test

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/providerportal/portal/internal/twostep"
)

// claims are what CONTRACT.md promises an app.
type claims struct {
	Sub               string   `json:"sub"`
	PreferredUsername string   `json:"preferred_username"`
	Email             string   `json:"email"`
	EmailVerified     *bool    `json:"email_verified"`
	AuthTime          int64    `json:"auth_time"`
	Center            string   `json:"center"`
	Role              string   `json:"role"`
	AMR               []string `json:"amr"`
	ACR               string   `json:"acr"`
}

// A confidential client signs a person in with the authorization code flow,
// verifies the ID token with go-oidc, reads userinfo, refreshes (rotating the
// refresh token) and finds a reused refresh token and a replayed code revoke
// what they gave.
func TestOIDCConfidentialClient(t *testing.T) {
	each(t, opts{apps: true}, func(t *testing.T, p *portal) {
		p.beta(true)
		key := p.totpUser("jdoe", twostep.RoleProvider)
		app := newRP(t, p, twostep.NewApp{})
		if app.secret == "" || strings.Contains(app.app.SecretHash, app.secret) {
			t.Fatal("a confidential client gets a secret, stored only hashed")
		}
		c := p.client()
		c.signIn2SV("jdoe", key)
		state, nonce := randomString(), randomString()
		code := app.code(app.authorize(c, state, gooidc.Nonce(nonce)), state)
		tok, id := app.exchange(code, nonce)

		var got claims
		if err := id.Claims(&got); err != nil {
			t.Fatal(err)
		}
		u, _ := p.svc.UserByUsername(t.Context(), "jdoe")
		if got.Sub == "" || got.Sub == strconv.FormatInt(u.ID, 10) || strings.Contains(got.Sub, strconv.FormatInt(u.ID, 10)) && len(got.Sub) < 6 {
			t.Fatalf("sub %q must be opaque", got.Sub)
		}
		if got.PreferredUsername != "jdoe" || got.Email != "jdoe@example.org" || got.Center != "Maple Clinic" || got.Role != "provider" ||
			strings.Join(got.AMR, " ") != "pwd otp mfa" || got.ACR != "2sv" || got.AuthTime == 0 || got.EmailVerified == nil || *got.EmailVerified {
			t.Fatalf("ID token claims %+v", got)
		}

		// userinfo with the access token
		info, err := app.provider.UserInfo(app.ctx, oauth2.StaticTokenSource(tok))
		if err != nil {
			t.Fatal(err)
		}
		var ui claims
		info.Claims(&ui)
		if ui.Sub != got.Sub || ui.PreferredUsername != "jdoe" || ui.Center != "Maple Clinic" || ui.ACR != "2sv" {
			t.Fatalf("userinfo %+v", ui)
		}

		// The same person has the same sub next time.
		c.p.clock.Add(time.Second)
		code2 := app.code(app.authorize(c, "s2"), "s2")
		_, id2 := app.exchange(code2, "")
		if id2.Subject != got.Sub {
			t.Fatalf("sub changed: %s then %s", got.Sub, id2.Subject)
		}

		// Refresh: a new pair, the old refresh token is used up.
		if tok.RefreshToken == "" {
			t.Fatal("offline_access gave no refresh token")
		}
		old := tok.RefreshToken
		tok.Expiry = time.Now().Add(-time.Minute)
		fresh, err := app.cfg.TokenSource(app.ctx, tok).Token()
		if err != nil {
			t.Fatalf("refresh: %v", err)
		}
		if fresh.RefreshToken == "" || fresh.RefreshToken == old || fresh.AccessToken == tok.AccessToken {
			t.Fatal("refresh must rotate both tokens")
		}
		app.verify(fresh, "")
		var rc claims
		idr, _ := app.verifier.Verify(app.ctx, fresh.Extra("id_token").(string))
		idr.Claims(&rc)
		if rc.ACR != "2sv" || rc.Sub != got.Sub {
			t.Fatalf("refreshed ID token %+v", rc)
		}
		// Reusing the old refresh token fails and revokes the family.
		_, err = app.cfg.TokenSource(app.ctx, &oauth2.Token{RefreshToken: old, Expiry: time.Now().Add(-time.Minute)}).Token()
		oauthError(t, err, "invalid_grant")
		_, err = app.cfg.TokenSource(app.ctx, &oauth2.Token{RefreshToken: fresh.RefreshToken, Expiry: time.Now().Add(-time.Minute)}).Token()
		oauthError(t, err, "invalid_grant")
		if _, err := app.provider.UserInfo(app.ctx, oauth2.StaticTokenSource(fresh)); err == nil {
			t.Fatal("an access token of a revoked family still works")
		}

		// A code used twice: the second use fails and revokes what the first gave.
		c.p.clock.Add(time.Second)
		code3 := app.code(app.authorize(c, "s3"), "s3")
		tok3, _ := app.exchange(code3, "")
		_, err = app.cfg.Exchange(app.ctx, code3)
		oauthError(t, err, "invalid_grant")
		if _, err := app.provider.UserInfo(app.ctx, oauth2.StaticTokenSource(tok3)); err == nil {
			t.Fatal("tokens of a replayed code still work")
		}
		// The audit log says who signed in to which app.
		events, _ := p.svc.AuditLog(t.Context(), p.staff, twostep.AuditQuery{Limit: 50})
		found := false
		for _, e := range events {
			found = found || (e.Action == "app_sign_in" && e.Target == "Attendance" && e.Actor == "jdoe")
		}
		if !found {
			t.Fatal("no app_sign_in audit event")
		}
	})
}

// A public client must use PKCE with S256; a missing or wrong verifier fails.
func TestOIDCPublicClientPKCE(t *testing.T) {
	each(t, opts{apps: true}, func(t *testing.T, p *portal) {
		p.beta(true)
		key := p.totpUser("jdoe", twostep.RoleProvider)
		app := newRP(t, p, twostep.NewApp{Public: true})
		if app.secret != "" {
			t.Fatal("a public client has no secret")
		}
		c := p.client()
		c.signIn2SV("jdoe", key)
		// Without PKCE: back to the app with invalid_request.
		app.appError(app.authorize(c, "s0"), "invalid_request")
		// plain is not enough.
		app.appError(app.authorize(c, "s1", oauth2.SetAuthURLParam("code_challenge", strings.Repeat("a", 43)), oauth2.SetAuthURLParam("code_challenge_method", "plain")), "invalid_request")

		verifier := oauth2.GenerateVerifier()
		code := app.code(app.authorize(c, "s2", oauth2.S256ChallengeOption(verifier)), "s2")
		_, err := app.cfg.Exchange(app.ctx, code)
		oauthError(t, err, "invalid_request") // no verifier
		_, err = app.cfg.Exchange(app.ctx, code, oauth2.VerifierOption(oauth2.GenerateVerifier()))
		oauthError(t, err, "invalid_grant") // wrong verifier
		tok, _ := app.exchange(code, "", oauth2.VerifierOption(verifier))
		if tok.AccessToken == "" {
			t.Fatal("no access token")
		}
		// A public client refreshes without a secret, and revokes its token.
		tok.Expiry = time.Now().Add(-time.Minute)
		fresh, err := app.cfg.TokenSource(app.ctx, tok).Token()
		if err != nil {
			t.Fatal(err)
		}
		r := c.do("POST", "/oauth/revoke", "token="+fresh.RefreshToken+"&client_id="+app.app.ClientID, "Content-Type", "application/x-www-form-urlencoded")
		if r.status != 200 {
			t.Fatalf("revoke: %d %s", r.status, r.raw)
		}
		_, err = app.cfg.TokenSource(app.ctx, &oauth2.Token{RefreshToken: fresh.RefreshToken, Expiry: time.Now().Add(-time.Minute)}).Token()
		oauthError(t, err, "invalid_grant")
	})
}

// Discovery names the portal's endpoints and what it supports.
func TestOIDCDiscovery(t *testing.T) {
	each(t, opts{apps: true}, func(t *testing.T, p *portal) {
		a := p.client().do("GET", "/.well-known/openid-configuration", nil)
		var d map[string]any
		json.Unmarshal(a.raw, &d)
		base := p.svc.Settings().PublicURL
		for k, v := range map[string]string{"issuer": base, "authorization_endpoint": base + "/oauth/authorize", "token_endpoint": base + "/oauth/token",
			"userinfo_endpoint": base + "/oauth/userinfo", "jwks_uri": base + "/oauth/keys", "end_session_endpoint": base + "/oauth/end_session",
			"revocation_endpoint": base + "/oauth/revoke", "introspection_endpoint": base + "/oauth/introspect"} {
			if d[k] != v {
				t.Errorf("%s = %v, want %s", k, d[k], v)
			}
		}
		if _, ok := d["device_authorization_endpoint"]; ok {
			t.Error("device flow advertised")
		}
		if got, _ := json.Marshal(d["code_challenge_methods_supported"]); string(got) != `["S256"]` {
			t.Errorf("code_challenge_methods_supported %s", got)
		}
		if got, _ := json.Marshal(d["id_token_signing_alg_values_supported"]); string(got) != `["RS256"]` {
			t.Errorf("id_token_signing_alg_values_supported %s", got)
		}
	})
}
