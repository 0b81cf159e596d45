package web_test

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/oauth2"

	"github.com/providerportal/portal/internal/oidc"
	"github.com/providerportal/portal/internal/store/storetest"
	"github.com/providerportal/portal/internal/twostep"
	"github.com/providerportal/portal/internal/web"
)

// No client secret, code, access, refresh or ID token, or session id reaches
// the logs (the portal's and the OpenID library's, which logs through the
// default logger) through sign-ins, refreshes and refused requests.
func TestNoSecretsInAppLogs(t *testing.T) {
	var logs lockedBuffer
	log := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	old := slog.Default()
	slog.SetDefault(log)
	t.Cleanup(func() { slog.SetDefault(old) })

	s := storetest.Open(t, "sqlite")
	srv := httptest.NewUnstartedServer(nil)
	set := twostep.DefaultSettings()
	set.PublicURL = "http://" + srv.Listener.Addr().String()
	clock := &fakeClock{t: time.Now().UTC()}
	var keys twostep.Keys
	keys.Encryption[0], keys.Code[0] = 1, 2
	svc := twostep.New(s, twostep.NewHasher(twostep.Argon2Params{MemoryKiB: 64, Passes: 1, Lanes: 1}), keys, set, clock, log)
	provider, err := oidc.New(svc, set.PublicURL)
	if err != nil {
		t.Fatal(err)
	}
	provider.Prepare(context.Background())
	reg := prometheus.NewRegistry()
	srv.Config.Handler = web.New(svc, s, s, web.Options{SiteName: "Provider Portal", OIDC: provider}, log, reg, reg, nil).Handler()
	srv.Start()
	t.Cleanup(srv.Close)
	p := &portal{t: t, srv: srv, store: s, svc: svc, clock: clock, provider: provider}
	ctx := context.Background()
	p.staff, _ = svc.CreateUser(ctx, twostep.CLIActor, twostep.NewUser{Username: "am", Email: "am@vendor.test", Password: pw, Role: twostep.RoleStaff}, twostep.Client{})
	p.center, _ = svc.CreateCenter(ctx, p.staff, "Maple Clinic", twostep.Client{})
	p.beta(true)
	key := p.totpUser("jdoe", twostep.RoleProvider)

	app := newRP(t, p, twostep.NewApp{})
	c := p.client()
	c.signIn2SV("jdoe", key)
	var secrets []string
	code := app.code(app.authorize(c, "st"), "st")
	tok, _ := app.exchange(code, "")
	secrets = append(secrets, app.secret, code, tok.AccessToken, tok.RefreshToken, tok.Extra("id_token").(string), c.cookieValue())
	wrong := app.cfg
	wrong.ClientSecret = app.secret + "x"
	code2 := app.code(app.authorize(c, "s2"), "s2")
	secrets = append(secrets, code2, wrong.ClientSecret)
	_, err = wrong.Exchange(app.ctx, code2)
	oauthError(t, err, "invalid_client")
	tok.Expiry = time.Now().Add(-time.Minute)
	fresh, err := app.cfg.TokenSource(app.ctx, tok).Token()
	if err != nil {
		t.Fatal(err)
	}
	secrets = append(secrets, fresh.AccessToken, fresh.RefreshToken)
	_, err = app.cfg.TokenSource(app.ctx, &oauth2.Token{RefreshToken: tok.RefreshToken, Expiry: time.Now().Add(-time.Minute)}).Token()
	oauthError(t, err, "invalid_grant")      // reused
	_, err = app.cfg.Exchange(app.ctx, code) // replayed
	oauthError(t, err, "invalid_grant")
	c.do("GET", "/oauth/end_session?id_token_hint="+tok.Extra("id_token").(string), nil)

	out := logs.String()
	if !strings.Contains(out, "invalid_grant") {
		t.Fatalf("the refusals were not logged at all:\n%.2000s", out)
	}
	for _, secret := range secrets {
		if secret != "" && strings.Contains(out, secret) {
			t.Fatalf("a secret (%.12s…) is in the logs", secret)
		}
	}
	// Not even the access token's inner id: its hash is what the database keeps.
	if strings.Contains(out, "Bearer") {
		t.Fatal("an Authorization header is in the logs")
	}
}
