package main

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// testRP is a web app that signs people in with OpenID Connect through the
// portal, with golang.org/x/oauth2 and go-oidc.
type testRP struct {
	t        *testing.T
	srv      *httptest.Server
	cfg      oauth2.Config
	verifier *gooidc.IDTokenVerifier
	provider *gooidc.Provider
	mu       sync.Mutex
	pending  map[string][2]string // state → nonce, PKCE verifier
	idToken  string
}

func newTestRP(t *testing.T) *testRP {
	rp := &testRP{t: t, pending: map[string][2]string{}}
	rp.srv = httptest.NewServer(http.HandlerFunc(rp.serve))
	t.Cleanup(rp.srv.Close)
	return rp
}

func (rp *testRP) connect(issuer, clientID, secret string) {
	ctx := context.Background()
	p, err := gooidc.NewProvider(ctx, issuer)
	if err != nil {
		rp.t.Fatal(err)
	}
	rp.provider = p
	rp.verifier = p.Verifier(&gooidc.Config{ClientID: clientID})
	rp.cfg = oauth2.Config{ClientID: clientID, ClientSecret: secret, Endpoint: p.Endpoint(), RedirectURL: rp.srv.URL + "/callback",
		Scopes: []string{gooidc.ScopeOpenID, "profile", "email"}}
}

func (rp *testRP) page(w http.ResponseWriter, body string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprintf(w, `<!doctype html><html lang="en"><head><title>Attendance</title></head><body><main><h1>Attendance</h1>%s</main></body></html>`, body)
}

func (rp *testRP) serve(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	switch r.URL.Path {
	case "/start":
		state, nonce, verifier := oauth2.GenerateVerifier()[:20], oauth2.GenerateVerifier()[:20], oauth2.GenerateVerifier()
		rp.mu.Lock()
		rp.pending[state] = [2]string{nonce, verifier}
		rp.mu.Unlock()
		http.Redirect(w, r, rp.cfg.AuthCodeURL(state, gooidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier)), http.StatusFound)
	case "/callback":
		rp.mu.Lock()
		p, ok := rp.pending[r.URL.Query().Get("state")]
		delete(rp.pending, r.URL.Query().Get("state"))
		rp.mu.Unlock()
		if e := r.URL.Query().Get("error"); e != "" || !ok {
			rp.page(w, "<p>Sign-in failed: "+html.EscapeString(e)+"</p>")
			return
		}
		tok, err := rp.cfg.Exchange(ctx, r.URL.Query().Get("code"), oauth2.VerifierOption(p[1]))
		if err != nil {
			rp.page(w, "<p>Exchange failed: "+html.EscapeString(err.Error())+"</p>")
			return
		}
		raw, _ := tok.Extra("id_token").(string)
		id, err := rp.verifier.Verify(ctx, raw)
		if err != nil || id.Nonce != p[0] {
			rp.page(w, "<p>Bad ID token</p>")
			return
		}
		var c struct {
			User   string   `json:"preferred_username"`
			Center string   `json:"center"`
			Role   string   `json:"role"`
			ACR    string   `json:"acr"`
			AMR    []string `json:"amr"`
		}
		id.Claims(&c)
		rp.mu.Lock()
		rp.idToken = raw
		rp.mu.Unlock()
		rp.page(w, fmt.Sprintf(`<p id="who">Signed in as %s of %s (%s), acr %s, amr %s</p><p><a id="logout" href="/logout">Sign out</a></p>`,
			html.EscapeString(c.User), html.EscapeString(c.Center), html.EscapeString(c.Role), html.EscapeString(c.ACR), html.EscapeString(strings.Join(c.AMR, " "))))
	case "/logout":
		var endSession struct {
			URL string `json:"end_session_endpoint"`
		}
		rp.provider.Claims(&endSession)
		rp.mu.Lock()
		hint := rp.idToken
		rp.mu.Unlock()
		http.Redirect(w, r, endSession.URL+"?id_token_hint="+hint+"&post_logout_redirect_uri="+rp.srv.URL+"/bye&state=s1", http.StatusFound)
	case "/bye":
		rp.page(w, "<p>Signed out of Attendance (state "+html.EscapeString(r.URL.Query().Get("state"))+")</p>")
	}
}
