package web_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/providerportal/portal/internal/twostep"
)

// rp is a relying party built from the real client libraries an app would
// use: golang.org/x/oauth2 for the code flow and github.com/coreos/go-oidc for
// discovery and ID token verification.
type rp struct {
	t        *testing.T
	p        *portal
	app      *twostep.App
	secret   string
	cfg      oauth2.Config
	provider *gooidc.Provider
	verifier *gooidc.IDTokenVerifier
	ctx      context.Context
}

const rpRedirect = "http://127.0.0.1:9/callback"

// newRP registers an OpenID Connect app (RedirectURIs default to rpRedirect)
// and discovers the portal as its provider.
func newRP(t *testing.T, p *portal, na twostep.NewApp) *rp {
	t.Helper()
	if na.RedirectURIs == nil {
		na.RedirectURIs = []string{rpRedirect}
	}
	if na.Name == "" {
		na.Name = "Attendance"
	}
	app, secret, err := p.svc.CreateApp(context.Background(), p.staff, na, twostep.Client{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := gooidc.ClientContext(context.Background(), &http.Client{Timeout: 10 * time.Second})
	issuer := p.svc.Settings().PublicURL
	prov, err := gooidc.NewProvider(ctx, issuer)
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	r := &rp{t: t, p: p, app: app, secret: secret, provider: prov, ctx: ctx,
		verifier: prov.Verifier(&gooidc.Config{ClientID: app.ClientID}),
		cfg: oauth2.Config{ClientID: app.ClientID, ClientSecret: secret, Endpoint: prov.Endpoint(), RedirectURL: app.RedirectURIs[0],
			Scopes: []string{gooidc.ScopeOpenID, "profile", "email", gooidc.ScopeOfflineAccess}}}
	return r
}

func randomString() string {
	b := make([]byte, 16)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// authorize sends the browser c to the authorization endpoint and returns
// where the portal sent it (the app's redirect URI, or a page of its own).
func (r *rp) authorize(c *client, state string, opts ...oauth2.AuthCodeOption) answer {
	r.t.Helper()
	u := r.cfg.AuthCodeURL(state, opts...)
	return c.do("GET", strings.TrimPrefix(u, r.p.srv.URL), nil, "Accept", "text/html")
}

// code expects a redirect to the app with a code and the state, and returns the code.
func (r *rp) code(a answer, state string) string {
	r.t.Helper()
	loc, err := url.Parse(a.header.Get("Location"))
	if a.status != http.StatusFound || err != nil || !strings.HasPrefix(loc.String(), r.cfg.RedirectURL) {
		r.t.Fatalf("want a redirect to the app, got %d %s: %.300s", a.status, a.header.Get("Location"), a.raw)
	}
	if loc.Query().Get("state") != state || loc.Query().Get("code") == "" {
		r.t.Fatalf("redirect %s: want a code and state %q", loc, state)
	}
	return loc.Query().Get("code")
}

// appError expects a redirect to the app with error=want.
func (r *rp) appError(a answer, want string) url.Values {
	r.t.Helper()
	loc, err := url.Parse(a.header.Get("Location"))
	if a.status != http.StatusFound || err != nil || !strings.HasPrefix(loc.String(), r.cfg.RedirectURL) {
		r.t.Fatalf("want a redirect to the app with %s, got %d %s: %.300s", want, a.status, a.header.Get("Location"), a.raw)
	}
	if got := loc.Query().Get("error"); got != want {
		r.t.Fatalf("redirect %s: want error %q", loc, want)
	}
	return loc.Query()
}

// exchange redeems a code and verifies the ID token it brings.
func (r *rp) exchange(code, nonce string, opts ...oauth2.AuthCodeOption) (*oauth2.Token, *gooidc.IDToken) {
	r.t.Helper()
	tok, err := r.cfg.Exchange(r.ctx, code, opts...)
	if err != nil {
		r.t.Fatalf("exchange: %v", err)
	}
	return tok, r.verify(tok, nonce)
}

func (r *rp) verify(tok *oauth2.Token, nonce string) *gooidc.IDToken {
	r.t.Helper()
	raw, _ := tok.Extra("id_token").(string)
	id, err := r.verifier.Verify(r.ctx, raw)
	if err != nil {
		r.t.Fatalf("ID token: %v", err)
	}
	if nonce != "" && id.Nonce != nonce {
		r.t.Fatalf("nonce %q, want %q", id.Nonce, nonce)
	}
	return id
}

// oauthError expects err to be the token endpoint's answer with code.
func oauthError(t *testing.T, err error, code string) {
	t.Helper()
	var re *oauth2.RetrieveError
	if err == nil || !errors.As(err, &re) || re.ErrorCode != code {
		t.Fatalf("want %s from the token endpoint, got %v", code, err)
	}
	if re.Response.StatusCode >= 500 {
		t.Fatalf("%s answered %d", code, re.Response.StatusCode)
	}
}

// totpUser creates a person with an authenticator app and returns its key.
func (p *portal) totpUser(name string, role twostep.Role) string {
	p.t.Helper()
	p.user(name, role)
	c := p.client()
	c.login(name)
	c.do("POST", "/api/v1/account/two-step/on", nil)
	setup := c.do("POST", "/api/v1/account/methods/totp", nil)
	key, _ := setup.body["secret"].(string)
	if a := c.do("POST", "/api/v1/account/methods/totp/verify", map[string]string{"code": twostep.TOTPCode(key, p.clock.Now())}); a.status != 201 {
		p.t.Fatalf("add totp: %s", a.raw)
	}
	p.clock.Add(30 * time.Second) // the next sign-in needs a fresh time step
	return key
}

// signIn2SV signs c in with the password and the authenticator app.
func (c *client) signIn2SV(name, key string) {
	c.p.t.Helper()
	if a := c.login(name); a.body["state"] != "two_step" {
		c.p.t.Fatalf("login: %s", a.raw)
	}
	if a := c.do("POST", "/api/v1/login/verify", map[string]string{"method": "totp", "code": twostep.TOTPCode(key, c.p.clock.Now())}); a.status != 200 {
		c.p.t.Fatalf("verify: %s", a.raw)
	}
	c.p.clock.Add(30 * time.Second)
}

// otherCenter creates a second center with a provider in it.
func (p *portal) otherCenter(center, user string) {
	p.t.Helper()
	ctx := context.Background()
	ctr, err := p.svc.CreateCenter(ctx, p.staff, center, twostep.Client{})
	if err != nil {
		p.t.Fatal(err)
	}
	if _, err := p.svc.CreateUser(ctx, p.staff, twostep.NewUser{CenterID: ctr.ID, Username: user, Email: user + "@example.org", Password: pw, Role: twostep.RoleProvider}, twostep.Client{}); err != nil {
		p.t.Fatal(err)
	}
}

func base64Std(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// jwksKIDs lists the key ids p publishes.
func jwksKIDs(t *testing.T, p *portal) string {
	t.Helper()
	a := p.client().do("GET", "/oauth/keys", nil)
	var set struct {
		Keys []struct {
			KID string `json:"kid"`
			Use string `json:"use"`
			Alg string `json:"alg"`
		} `json:"keys"`
	}
	if err := json.Unmarshal(a.raw, &set); err != nil || len(set.Keys) == 0 {
		t.Fatalf("jwks: %s", a.raw)
	}
	var ids []string
	for _, k := range set.Keys {
		if k.Use != "sig" || k.Alg != "RS256" {
			t.Fatalf("jwks key %+v", k)
		}
		ids = append(ids, k.KID)
	}
	return strings.Join(ids, " ")
}

// headerKID reads the kid of a JWT's header.
func headerKID(t *testing.T, jwt string) string {
	t.Helper()
	head, _, _ := strings.Cut(jwt, ".")
	raw, err := base64.RawURLEncoding.DecodeString(head)
	if err != nil {
		t.Fatal(err)
	}
	var h struct {
		KID string `json:"kid"`
	}
	json.Unmarshal(raw, &h)
	return h.KID
}
