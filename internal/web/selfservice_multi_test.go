package web_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/providerportal/portal/internal/twostep"
)

// One reset link opened on two instances and finished on both at once sets
// the password once (B10, B21).
func TestTwoInstancesUseAResetLinkOnce(t *testing.T) {
	a, b := twoInstances(t, opts{})
	a.user("jdoe", twostep.RoleProvider)
	a.client().do("POST", "/api/v1/password-reset", `{"login":"jdoe"}`)
	// Instance B's worker handles what A queued.
	if n, err := b.svc.HandleResetRequests(context.Background()); err != nil || n != 1 {
		t.Fatalf("B handled %d: %v", n, err)
	}
	tok := a.linkToken("jdoe@example.org")
	var clients []*client
	for i := range 10 {
		c := a.client()
		if i%2 == 1 {
			c = b.client()
		}
		if r := c.do("POST", "/api/v1/password-reset/start", map[string]string{"token": tok}); r.status != 200 {
			t.Fatalf("start: %s", r.raw)
		}
		clients = append(clients, c)
	}
	var wins atomic.Int32
	var wg sync.WaitGroup
	for i, c := range clients {
		wg.Go(func() {
			r := c.do("POST", "/api/v1/password-reset/finish", map[string]string{"new_password": newPW + string(rune('a'+i))})
			switch {
			case r.status == 204:
				wins.Add(1)
			case r.errCode() == "link_expired":
			case r.errCode() == "unauthenticated": // the winner already ended every session of theirs
			default:
				t.Errorf("finish: %d %s", r.status, r.raw)
			}
		})
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("%d finishes won across two instances", wins.Load())
	}
}

// A browser trusted through one instance skips the second step on the other;
// removed on the other, it asks again on the first (B10, B23).
func TestTwoInstancesShareTrustedBrowsers(t *testing.T) {
	a, b := twoInstances(t, opts{})
	secret := a.withTOTP("jdoe")
	ca := a.client()
	ca.login("jdoe")
	if r := ca.do("POST", "/api/v1/login/verify", map[string]any{"method": "totp", "code": a.totpNow(secret), "trust_browser": true}); r.status != 200 || ca.trustedCookie() == "" {
		t.Fatalf("trust on A: %s", r.raw)
	}
	ca.do("POST", "/api/v1/logout", nil)
	cb := ca.on(b)
	if r := cb.login("jdoe"); r.body["state"] != "signed_in" {
		t.Fatalf("B ignores A's trusted browser: %s", r.raw)
	}
	var id string
	for _, e := range cb.do("GET", "/api/v1/account/sessions", nil).list {
		if m := e.(map[string]any); m["kind"] == "trusted_browser" {
			id = m["id"].(string)
		}
	}
	expectStatus(t, cb.do("DELETE", "/api/v1/account/trusted-browsers/"+id, nil), 204)
	if r := a.client().do("POST", "/api/v1/login", map[string]string{"username": "jdoe", "password": pw}); r.body["state"] != "two_step" {
		t.Fatalf("A after removal on B: %s", r.raw)
	}
	ca2 := cb.on(a)
	if r := ca2.login("jdoe"); r.body["state"] != "two_step" {
		t.Fatalf("the removed browser on A: %s", r.raw)
	}
}
