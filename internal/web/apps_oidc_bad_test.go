package web_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/providerportal/portal/internal/twostep"
)

// Unknown apps and unregistered redirect URIs get a page and are never
// redirected to; malformed or oversized parameters get the error the specs
// define; nothing answers 500.
func TestOIDCBadAuthorizationRequests(t *testing.T) {
	each(t, opts{apps: true}, func(t *testing.T, p *portal) {
		p.beta(true)
		key := p.totpUser("jdoe", twostep.RoleProvider)
		app := newRP(t, p, twostep.NewApp{})
		c := p.client()
		c.signIn2SV("jdoe", key)
		id := url.QueryEscape(app.app.ClientID)
		page := func(query string, want ...string) {
			t.Helper()
			a := c.page("/oauth/authorize?" + query)
			if a.status != 400 || a.header.Get("Location") != "" {
				t.Fatalf("%s: want a 400 page and no redirect, got %d %s", query, a.status, a.header.Get("Location"))
			}
			contains(t, a, want...)
		}
		page("client_id=nobody&redirect_uri="+url.QueryEscape(rpRedirect)+"&response_type=code&scope=openid&state=x", "No app is registered")
		page("client_id="+id+"&redirect_uri="+url.QueryEscape("https://evil.example/cb")+"&response_type=code&scope=openid", "not registered")
		page("client_id="+id+"&redirect_uri="+url.QueryEscape(rpRedirect+"/more")+"&response_type=code&scope=openid", "not registered")
		page("client_id="+id+"&redirect_uri="+url.QueryEscape(rpRedirect+"?x=1")+"&response_type=code&scope=openid", "not registered")
		page("client_id=%zz&redirect_uri=x", "malformed")
		page("response_type=code&scope=openid", "names no app")
		page("client_id="+id+"&response_type=code&scope=openid", "names no app")

		back := func(extra url.Values, want string) {
			t.Helper()
			q := url.Values{"client_id": {app.app.ClientID}, "redirect_uri": {rpRedirect}, "response_type": {"code"}, "scope": {"openid"}, "state": {"st"}}
			for k, v := range extra {
				q[k] = v
			}
			app.appError(c.page("/oauth/authorize?"+q.Encode()), want)
		}
		back(url.Values{"response_type": {"token"}}, "unauthorized_client")
		back(url.Values{"response_type": {"code id_token"}}, "unauthorized_client")
		back(url.Values{"scope": {"profile"}}, "invalid_scope")
		back(url.Values{"scope": {""}}, "invalid_scope")
		back(url.Values{"response_mode": {"form_post"}}, "invalid_request")
		back(url.Values{"nonce": {strings.Repeat("n", 5000)}}, "invalid_request")
		back(url.Values{"prompt": {"none login"}}, "invalid_request")
		back(url.Values{"request": {"eyJhbGciOiJub25lIn0.e30."}}, "request_not_supported")
		back(url.Values{"code_challenge": {"short"}, "code_challenge_method": {"S256"}}, "invalid_request")
		page("client_id="+id+"&redirect_uri="+url.QueryEscape(rpRedirect)+"&response_type=code&scope=openid&max_age=soon", "malformed")
		// An oversized state comes back as invalid_request without the state.
		a := c.page("/oauth/authorize?" + url.Values{"client_id": {app.app.ClientID}, "redirect_uri": {rpRedirect}, "response_type": {"code"},
			"scope": {"openid"}, "state": {strings.Repeat("s", 3000)}}.Encode())
		if a.status != 302 || !strings.Contains(a.header.Get("Location"), "error=invalid_request") {
			t.Fatalf("oversized state: %d %s", a.status, a.header.Get("Location"))
		}
		if a := c.page("/oauth/authorize/continue?id=nothing-of-the-sort"); a.status != 404 {
			t.Fatalf("unknown request id: %d", a.status)
		}
		if a := c.page("/oauth/authorize/continue"); a.status != 404 {
			t.Fatalf("no request id: %d", a.status)
		}
	})
}

// The token, userinfo, introspection and revocation endpoints refuse bad
// clients, codes and tokens with the OAuth errors, never 500.
func TestOIDCBadTokenRequests(t *testing.T) {
	each(t, opts{apps: true}, func(t *testing.T, p *portal) {
		p.beta(true)
		key := p.totpUser("jdoe", twostep.RoleProvider)
		app := newRP(t, p, twostep.NewApp{})
		other := newRP(t, p, twostep.NewApp{Name: "Billing", RedirectURIs: []string{"http://127.0.0.1:9/billing"}})
		c := p.client()
		c.signIn2SV("jdoe", key)

		wrong := app.cfg
		wrong.ClientSecret = "not-the-secret"
		_, err := wrong.Exchange(app.ctx, app.code(app.authorize(c, "a"), "a"))
		oauthError(t, err, "invalid_client")
		unknown := app.cfg
		unknown.ClientID = "nobody"
		_, err = unknown.Exchange(app.ctx, "whatever")
		oauthError(t, err, "invalid_grant") // the code is judged first, and it is unknown

		code := app.code(app.authorize(c, "b"), "b")
		_, err = other.cfg.Exchange(other.ctx, code) // another app's code
		oauthError(t, err, "invalid_grant")
		moved := app.cfg
		moved.RedirectURL = "http://127.0.0.1:9/elsewhere"
		_, err = moved.Exchange(app.ctx, code)
		oauthError(t, err, "invalid_grant")
		_, err = app.cfg.Exchange(app.ctx, "garbage-code")
		oauthError(t, err, "invalid_grant")
		_, err = app.cfg.Exchange(app.ctx, strings.Repeat("x", 5000))
		oauthError(t, err, "invalid_grant")

		// Expired: a code lives a minute.
		late := app.code(app.authorize(c, "c"), "c")
		p.clock.Add(2 * time.Minute)
		_, err = app.cfg.Exchange(app.ctx, late)
		oauthError(t, err, "invalid_grant")

		post := func(path, body string, hdr ...string) answer {
			return c.do("POST", path, body, append([]string{"Content-Type", "application/x-www-form-urlencoded"}, hdr...)...)
		}
		for body, want := range map[string]string{
			"grant_type=password&username=jdoe&password=x":                           "unsupported_grant_type",
			"grant_type=client_credentials":                                          "unsupported_grant_type",
			"grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=x.y.z": "unsupported_grant_type",
			"":                                   "invalid_request",
			"grant_type=refresh_token":           "invalid_request",
			"grant_type=authorization_code&%zz=": "invalid_request",
		} {
			a := post("/oauth/token", body)
			if a.status >= 500 || a.body["error"] != want {
				t.Errorf("token %q: %d %s, want %s", body, a.status, a.raw, want)
			}
		}
		if a := post("/oauth/token", "grant_type=authorization_code&code="+strings.Repeat("A", 70<<10)); a.status >= 500 {
			t.Errorf("oversized token request: %d", a.status)
		}

		// userinfo without or with a bad token: 401.
		for _, h := range [][]string{nil, {"Authorization", "Bearer nonsense"}, {"Authorization", "Basic eDp5"}} {
			if a := c.do("GET", "/oauth/userinfo", nil, h...); a.status != 401 {
				t.Errorf("userinfo with %v: %d", h, a.status)
			}
		}

		// Introspection: for an authenticated client only; a live token is active.
		tok, _ := app.exchange(app.code(app.authorize(c, "d"), "d"), "")
		if a := post("/oauth/introspect", "token="+tok.AccessToken); a.status != 401 {
			t.Errorf("introspection without a client: %d", a.status)
		}
		basic := []string{"Authorization", "Basic " + basicAuth(app.app.ClientID, app.secret)}
		a := post("/oauth/introspect", "token="+url.QueryEscape(tok.AccessToken), basic...)
		if a.body["active"] != true || a.body["client_id"] != app.app.ClientID || a.body["username"] != "jdoe" || a.body["acr"] != "2sv" {
			t.Fatalf("introspection: %s", a.raw)
		}
		if a := post("/oauth/introspect", "token=nonsense", basic...); a.body["active"] != false {
			t.Fatalf("introspection of nonsense: %s", a.raw)
		}
		// Revocation by another app changes nothing; by the app itself ends the family.
		otherBasic := []string{"Authorization", "Basic " + basicAuth(other.app.ClientID, other.secret)}
		if a := post("/oauth/revoke", "token="+url.QueryEscape(tok.RefreshToken), otherBasic...); a.status != 200 {
			t.Fatalf("revoke by another app: %d %s", a.status, a.raw)
		}
		if _, err := app.provider.UserInfo(app.ctx, oauth2.StaticTokenSource(tok)); err != nil {
			t.Fatal("another app's revocation took effect")
		}
		if a := post("/oauth/revoke", "token="+url.QueryEscape(tok.AccessToken)+"&token_type_hint=access_token", basic...); a.status != 200 {
			t.Fatalf("revoke: %d %s", a.status, a.raw)
		}
		if _, err := app.provider.UserInfo(app.ctx, oauth2.StaticTokenSource(tok)); err == nil {
			t.Fatal("a revoked access token still works")
		}
		if a := post("/oauth/revoke", "token=x", "Authorization", "Basic "+basicAuth(app.app.ClientID, "wrong")); a.status != 401 {
			t.Fatalf("revoke with a wrong secret: %d", a.status)
		}
	})
}

func basicAuth(id, secret string) string {
	return base64Std(url.QueryEscape(id) + ":" + url.QueryEscape(secret))
}

// RP-initiated logout: with an id_token_hint for the person signed in, at
// once and back to a registered URI; without one, after asking; an
// unregistered URI is refused with a page.
func TestOIDCEndSession(t *testing.T) {
	each(t, opts{apps: true}, func(t *testing.T, p *portal) {
		p.beta(true)
		key := p.totpUser("jdoe", twostep.RoleProvider)
		app := newRP(t, p, twostep.NewApp{PostLogoutURIs: []string{"http://127.0.0.1:9/bye"}})
		c := p.client()
		c.signIn2SV("jdoe", key)
		tok, _ := app.exchange(app.code(app.authorize(c, "a"), "a"), "")
		hint := tok.Extra("id_token").(string)

		bad := c.page("/oauth/end_session?" + url.Values{"id_token_hint": {hint}, "post_logout_redirect_uri": {"https://evil.example/"}}.Encode())
		if bad.status != 400 || bad.header.Get("Location") != "" {
			t.Fatalf("unregistered post-logout URI: %d %s", bad.status, bad.header.Get("Location"))
		}
		if a := c.page("/oauth/end_session?id_token_hint=not.a.token"); a.status != 400 {
			t.Fatalf("forged hint: %d", a.status)
		}
		if a := c.do("GET", "/api/v1/session", nil); a.status != 200 {
			t.Fatal("a refused logout signed out")
		}

		a := c.page("/oauth/end_session?" + url.Values{"id_token_hint": {hint}, "post_logout_redirect_uri": {"http://127.0.0.1:9/bye"}, "state": {"z"}}.Encode())
		if a.status != 302 || a.header.Get("Location") != "http://127.0.0.1:9/bye?state=z" {
			t.Fatalf("logout: %d %s", a.status, a.header.Get("Location"))
		}
		if a := c.do("GET", "/api/v1/session", nil); a.status != 401 {
			t.Fatal("still signed in after logout")
		}
		tok.Expiry = time.Now().Add(-time.Minute)
		_, err := app.cfg.TokenSource(app.ctx, tok).Token()
		oauthError(t, err, "invalid_grant") // the app's tokens ended with the sign-out

		// Without a hint: a question first (no other site can sign you out).
		d := p.client()
		d.signIn2SV("jdoe", key)
		q := d.page("/oauth/end_session?client_id=" + app.app.ClientID + "&post_logout_redirect_uri=" + url.QueryEscape("http://127.0.0.1:9/bye"))
		contains(t, q, "Attendance asks to sign you out", `action="/oauth/end_session/confirm"`)
		if a := d.do("GET", "/api/v1/session", nil); a.status != 200 {
			t.Fatal("signed out without being asked")
		}
		done := d.form("/oauth/end_session/confirm", "client_id", app.app.ClientID, "post_logout_redirect_uri", "http://127.0.0.1:9/bye")
		contains(t, done, "You are signed out", `content="0;url=http://127.0.0.1:9/bye"`)
		if a := d.do("GET", "/api/v1/session", nil); a.status != 401 {
			t.Fatal("still signed in after confirming")
		}
		// Nobody signed in: straight on.
		if a := d.page("/oauth/end_session"); a.status != 200 {
			t.Fatalf("logout without a session: %d", a.status)
		}
	})
}
