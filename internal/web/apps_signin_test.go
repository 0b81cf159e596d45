package web_test

import (
	"context"
	"html"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/providerportal/portal/internal/twostep"
)

var metaRefresh = regexp.MustCompile(`http-equiv="refresh" content="0;url=([^"]+)"`)

// follow goes on from a /login/continue page the way a browser does.
func (c *client) follow(a answer) answer {
	c.p.t.Helper()
	if a.status == 303 || a.status == 302 {
		loc := a.header.Get("Location")
		if strings.HasPrefix(loc, "http") {
			return a
		}
		return c.follow(c.page(loc))
	}
	if m := metaRefresh.FindSubmatch(a.raw); m != nil {
		return c.follow(c.page(strings.ReplaceAll(string(m[1]), "&amp;", "&")))
	}
	return a
}

// Someone not signed in goes from the app's /authorize through the portal's
// own pages — password, second step — and back to the app with a code.
func TestOIDCSignInThroughThePortalPages(t *testing.T) {
	each(t, opts{apps: true}, func(t *testing.T, p *portal) {
		p.beta(true)
		key := p.totpUser("jdoe", twostep.RoleProvider)
		app := newRP(t, p, twostep.NewApp{})
		c := p.client()
		a := app.authorize(c, "st")
		loc := a.header.Get("Location")
		if a.status != 302 || !strings.HasPrefix(loc, "/login?next=") {
			t.Fatalf("want the sign-in page, got %d %s", a.status, loc)
		}
		contains(t, c.page(loc), ">Sign in</button>")
		redirectsTo(t, c.form("/login", "username", "jdoe", "password", pw), "/login/verify")
		v := c.form("/login/verify", "method", "totp", "code", twostep.TOTPCode(key, p.clock.Now()))
		redirectsTo(t, v, "/login/continue")
		page := c.page("/login/continue")
		contains(t, page, `http-equiv="refresh"`, "/oauth/authorize/continue?id=")
		code := app.code(c.follow(page), "st")
		_, id := app.exchange(code, "")
		var got claims
		id.Claims(&got)
		if got.ACR != "2sv" || got.PreferredUsername != "jdoe" {
			t.Fatalf("claims %+v", got)
		}
		// The way there is used up: the pending continue is gone, and the
		// request cannot give a second code.
		redirectsTo(t, c.form("/logout"), "/login")
		if a := c.page(strings.TrimPrefix(metaRefresh.FindStringSubmatch(string(page.raw))[1], "")); a.status != 404 {
			t.Fatalf("a finished request answered %d", a.status)
		}
	})
}

// An app that needs 2SV takes a person without it through setup first (no
// grace logins), then on to the app; the sign-in counts as two factors.
func TestOIDCAppTakesPersonThroughSetup(t *testing.T) {
	each(t, opts{apps: true}, func(t *testing.T, p *portal) {
		p.beta(true)
		p.user("jdoe", twostep.RoleProvider)
		app := newRP(t, p, twostep.NewApp{})
		c := p.client()
		if a := c.login("jdoe"); a.body["state"] != "signed_in" {
			t.Fatalf("login: %s", a.raw)
		}
		gate := app.authorize(c, "st")
		if gate.status != 200 {
			t.Fatalf("want the 2SV page, got %d %s", gate.status, gate.header.Get("Location"))
		}
		contains(t, gate, "Attendance needs 2-Step Verification", `action="/apps/two-step"`)
		back := regexp.MustCompile(`name="back" value="([^"]+)"`).FindStringSubmatch(string(gate.raw))[1]
		back = strings.ReplaceAll(back, "&amp;", "&")
		redirectsTo(t, c.form("/apps/two-step", "back", back), "/account")
		if a := c.do("GET", "/api/v1/session", nil); a.body["state"] != "setup_required" {
			t.Fatalf("session %s", a.raw)
		}
		// Nothing else works until a method is set up: the app gets no code.
		if a := c.page(back); a.status == 302 && strings.Contains(a.header.Get("Location"), "code=") {
			t.Fatal("a code before the setup")
		}
		setup := c.do("POST", "/api/v1/account/methods/totp", nil)
		key := setup.body["secret"].(string)
		if a := c.do("POST", "/api/v1/account/methods/totp/verify", map[string]string{"code": twostep.TOTPCode(key, p.clock.Now())}); a.status != 201 {
			t.Fatalf("verify: %s", a.raw)
		}
		code := app.code(c.follow(c.page("/login/continue")), "st")
		_, id := app.exchange(code, "")
		var got claims
		id.Claims(&got)
		if got.ACR != "2sv" || strings.Join(got.AMR, " ") != "pwd otp mfa" {
			t.Fatalf("claims after setup %+v", got)
		}
	})
}

// A person who has a method but signed in without the second step (here: the
// beta came on later) confirms with it before the app gets a code.
func TestOIDCAppAsksForTheSecondStep(t *testing.T) {
	each(t, opts{apps: true}, func(t *testing.T, p *portal) {
		p.beta(true)
		key := p.totpUser("jdoe", twostep.RoleProvider)
		p.beta(false)
		app := newRP(t, p, twostep.NewApp{})
		c := p.client()
		if a := c.login("jdoe"); a.body["state"] != "signed_in" {
			t.Fatalf("login: %s", a.raw)
		}
		p.beta(true)
		gate := app.authorize(c, "st")
		contains(t, gate, "Continue with my second step")
		back := strings.ReplaceAll(regexp.MustCompile(`name="back" value="([^"]+)"`).FindStringSubmatch(string(gate.raw))[1], "&amp;", "&")
		redirectsTo(t, c.form("/apps/two-step", "back", back), "/login/verify")
		redirectsTo(t, c.form("/login/verify", "method", "totp", "code", twostep.TOTPCode(key, p.clock.Now())), "/login/continue")
		code := app.code(c.follow(c.page("/login/continue")), "st")
		_, id := app.exchange(code, "")
		var got claims
		id.Claims(&got)
		if got.ACR != "2sv" {
			t.Fatalf("claims %+v", got)
		}
		// An app that does not need 2SV takes the password alone (acr pwd).
		lax := newRP(t, p, twostep.NewApp{Name: "Notice board", RedirectURIs: []string{"http://127.0.0.1:9/board"}, RequireTwoStep: new(false)})
		d := p.client()
		p.beta(false)
		d.login("jdoe")
		_, id = lax.exchange(lax.code(lax.authorize(d, "x"), "x"), "")
		id.Claims(&got)
		if got.ACR != "pwd" || strings.Join(got.AMR, " ") != "pwd" {
			t.Fatalf("password-only claims %+v", got)
		}
	})
}

// A person outside the app's centers or roles sees a clear page; the app gets
// access_denied through its link. Where the center has no 2SV and the app
// needs it, the same.
func TestOIDCRefusesPeopleOutsideTheApp(t *testing.T) {
	each(t, opts{apps: true}, func(t *testing.T, p *portal) {
		p.beta(true)
		p.otherCenter("Birch Clinic", "stranger")
		app := newRP(t, p, twostep.NewApp{Centers: []string{"Maple Clinic"}, RequireTwoStep: new(false)})
		c := p.client()
		c.login("stranger")
		a := app.authorize(c, "st")
		if a.status != 403 {
			t.Fatalf("want 403, got %d %s", a.status, a.header.Get("Location"))
		}
		contains(t, a, "You cannot use Attendance", "not open to people of your center")
		link := regexp.MustCompile(`id="back-to-app"|href="([^"]+)" id="back-to-app"`).FindStringSubmatch(string(a.raw))
		if len(link) < 2 {
			t.Fatalf("no link back to the app:\n%s", a.raw)
		}
		u, _ := url.Parse(html.UnescapeString(link[1]))
		if !strings.HasPrefix(u.String(), rpRedirect) || u.Query().Get("error") != "access_denied" || u.Query().Get("state") != "st" {
			t.Fatalf("link back %s", u)
		}
		// prompt=none: straight back with access_denied.
		app.appError(app.authorize(c, "st", oauth2.SetAuthURLParam("prompt", "none")), "access_denied")

		// Roles: an app for admins refuses a provider.
		admins := newRP(t, p, twostep.NewApp{Name: "Billing", RedirectURIs: []string{"http://127.0.0.1:9/billing"}, Roles: []twostep.Role{twostep.RoleAdmin}, RequireTwoStep: new(false)})
		p.user("prov", twostep.RoleProvider)
		d := p.client()
		d.login("prov")
		if a := admins.authorize(d, "x"); a.status != 403 {
			t.Fatalf("role: want 403, got %d", a.status)
		}
		// 2SV needed where the center does not offer it.
		p.beta(false)
		strict := newRP(t, p, twostep.NewApp{Name: "Records", RedirectURIs: []string{"http://127.0.0.1:9/records"}})
		e := p.client()
		e.login("prov")
		a = strict.authorize(e, "y")
		if a.status != 403 {
			t.Fatalf("no 2SV offered: want 403, got %d", a.status)
		}
		contains(t, a, "does not offer yet")
	})
}

// prompt=none never shows a page; prompt=login and max_age ask for the
// password again; an id_token_hint for someone else asks for a sign-in.
func TestOIDCPromptAndMaxAge(t *testing.T) {
	each(t, opts{apps: true}, func(t *testing.T, p *portal) {
		p.beta(true)
		key := p.totpUser("jdoe", twostep.RoleProvider)
		app := newRP(t, p, twostep.NewApp{})
		c := p.client()
		app.appError(app.authorize(c, "st", oauth2.SetAuthURLParam("prompt", "none")), "login_required")
		c.login("jdoe") // half-way: the second step is not done
		app.appError(app.authorize(c, "st", oauth2.SetAuthURLParam("prompt", "none")), "login_required")
		p.user("nob", twostep.RoleProvider)
		n := p.client()
		n.login("nob") // signed in without 2SV: the app needs a setup first
		app.appError(app.authorize(n, "st", oauth2.SetAuthURLParam("prompt", "none")), "interaction_required")

		d := p.client()
		d.signIn2SV("jdoe", key)
		_, id := app.exchange(app.code(app.authorize(d, "a", oauth2.SetAuthURLParam("prompt", "none")), "a"), "")
		var before claims
		id.Claims(&before)
		hint := "" // an ID token to hint with later
		tok, _ := app.cfg.Exchange(app.ctx, app.code(app.authorize(d, "h"), "h"))
		hint = tok.Extra("id_token").(string)

		p.clock.Add(10 * time.Second)
		a := app.authorize(d, "b", oauth2.SetAuthURLParam("prompt", "login"))
		if a.status != 302 || !strings.HasPrefix(a.header.Get("Location"), "/login?next=") {
			t.Fatalf("prompt=login: want the sign-in page, got %d %s", a.status, a.header.Get("Location"))
		}
		d.page(a.header.Get("Location"))
		redirectsTo(t, d.form("/login", "username", "jdoe", "password", pw), "/login/verify")
		redirectsTo(t, d.form("/login/verify", "method", "totp", "code", twostep.TOTPCode(key, p.clock.Now())), "/login/continue")
		_, id = app.exchange(app.code(d.follow(d.page("/login/continue")), "b"), "")
		var after claims
		id.Claims(&after)
		if after.AuthTime <= before.AuthTime {
			t.Fatalf("prompt=login: auth_time %d not after %d", after.AuthTime, before.AuthTime)
		}

		p.clock.Add(2 * time.Minute)
		a = app.authorize(d, "c", oauth2.SetAuthURLParam("max_age", "60"))
		if a.status != 302 || !strings.HasPrefix(a.header.Get("Location"), "/login?next=") {
			t.Fatalf("max_age: want the sign-in page, got %d %s", a.status, a.header.Get("Location"))
		}
		app.code(app.authorize(d, "e", oauth2.SetAuthURLParam("max_age", "3600")), "e")

		// A hint about jdoe while someone else is signed in: sign in again.
		p.totpUser("ann", twostep.RoleProvider)
		e := p.client()
		e.login("ann")
		a = app.authorize(e, "f", oauth2.SetAuthURLParam("id_token_hint", hint), oauth2.SetAuthURLParam("prompt", "none"))
		app.appError(a, "login_required")
	})
}

// The R14 pages on the way to an app: the grace notice, then on a later
// sign-in the forced setup, each time on to the app afterwards.
func TestOIDCThroughGraceNoticeAndForcedSetup(t *testing.T) {
	each(t, opts{apps: true}, func(t *testing.T, p *portal) {
		p.beta(true)
		p.require(true)
		one := 1
		if _, err := p.svc.SetPolicy(t.Context(), p.staff, p.center.ID, twostep.Policy{GraceLogins: &one}, twostep.Client{}); err != nil {
			t.Fatal(err)
		}
		p.user("jdoe", twostep.RoleProvider)
		app := newRP(t, p, twostep.NewApp{RequireTwoStep: new(false)})
		c := p.client()
		a := app.authorize(c, "g")
		c.page(a.header.Get("Location"))
		redirectsTo(t, c.form("/login", "username", "jdoe", "password", pw), "/login/notice")
		contains(t, c.page("/login/notice"), "2-Step Verification")
		redirectsTo(t, c.form("/login/dismiss", "next", "later"), "/login/continue")
		app.exchange(app.code(c.follow(c.page("/login/continue")), "g"), "")

		// No grace left: setting up a method comes first, then the app.
		d := p.client()
		a = app.authorize(d, "f")
		login, _ := url.Parse(a.header.Get("Location"))
		d.page(login.String())
		redirectsTo(t, d.form("/login", "username", "jdoe", "password", pw), "/account")
		if a := d.page(login.Query().Get("next")); a.status == 302 && strings.Contains(a.header.Get("Location"), "code=") {
			t.Fatal("a code before the forced setup")
		}
		setup := d.do("POST", "/api/v1/account/methods/totp", nil)
		key := setup.body["secret"].(string)
		done := d.form("/account/methods/totp/verify", "code", twostep.TOTPCode(key, p.clock.Now()))
		// Done (after "I saved these", the first recovery codes) goes on to the app.
		contains(t, done, `<form method="get" action="/login/continue" class="codes-saved">`)
		_, id := app.exchange(app.code(d.follow(d.page("/login/continue?done=saved")), "f"), "")
		var got claims
		id.Claims(&got)
		if got.ACR != "2sv" {
			t.Fatalf("after the forced setup: %+v", got)
		}
	})
}

// A browser trusted to skip the second step (B23) signs in with the password
// only (amr pwd): an app that needs 2SV still asks for the second step.
func TestOIDCTrustedBrowserStillStepsUpForTheApp(t *testing.T) {
	each(t, opts{apps: true}, func(t *testing.T, p *portal) {
		p.beta(true)
		key := p.totpUser("jdoe", twostep.RoleProvider)
		app := newRP(t, p, twostep.NewApp{})
		c := p.client()
		c.login("jdoe")
		if a := c.do("POST", "/api/v1/login/verify", map[string]any{"method": "totp", "code": twostep.TOTPCode(key, p.clock.Now()), "trust_browser": true}); a.status != 200 {
			t.Fatalf("verify: %s", a.raw)
		}
		p.clock.Add(30 * time.Second)
		c.do("POST", "/api/v1/logout", nil)
		if a := c.login("jdoe"); a.body["state"] != "signed_in" {
			t.Fatalf("the trusted browser was asked again: %s", a.raw)
		}
		gate := app.authorize(c, "t")
		contains(t, gate, "Continue with my second step")
	})
}

// Review (issue 11), finding 6: a native app (its own URI scheme) gets its
// access_denied link too, not a link the template filtered away.
func TestOIDCRefusalLinkForANativeApp(t *testing.T) {
	each(t, opts{apps: true}, func(t *testing.T, p *portal) {
		p.beta(true)
		p.otherCenter("Birch Clinic", "stranger")
		app, _, err := p.svc.CreateApp(context.Background(), p.staff, twostep.NewApp{Name: "Pocket", Public: true,
			RedirectURIs: []string{"com.example.pocket:/cb"}, Centers: []string{"Maple Clinic"}, RequireTwoStep: new(false)}, twostep.Client{})
		if err != nil {
			t.Fatal(err)
		}
		c := p.client()
		c.login("stranger")
		q := url.Values{"client_id": {app.ClientID}, "redirect_uri": {"com.example.pocket:/cb"}, "response_type": {"code"},
			"scope": {"openid"}, "state": {"st"}, "code_challenge": {"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"}, "code_challenge_method": {"S256"}}
		a := c.page("/oauth/authorize?" + q.Encode())
		if a.status != 403 || strings.Contains(string(a.raw), "ZgotmplZ") {
			t.Fatalf("refusal for a native app: %d\n%s", a.status, a.raw)
		}
		contains(t, a, `href="com.example.pocket:/cb?error=access_denied`)
	})
}
