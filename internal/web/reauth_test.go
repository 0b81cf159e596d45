package web_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/twostep"
)

// Issue 10, finding 2: every password re-check counts against the account's
// sign-in limit and is audited, so a stolen session cannot guess the password.
func TestPasswordRechecksAreThrottledAndAudited(t *testing.T) {
	each(t, opts{}, func(t *testing.T, p *portal) {
		p.beta(true)
		calls := []struct {
			name  string
			setup func(c *client)
			try   func(c *client, password string) answer
		}{
			{"change password", nil, func(c *client, pw string) answer {
				return c.do("POST", "/api/v1/account/password", map[string]string{"current_password": pw, "new_password": "a brand new passphrase here"})
			}},
			{"turn off", turnOn, func(c *client, pw string) answer {
				return c.do("POST", "/api/v1/account/two-step/off", map[string]string{"password": pw})
			}},
			{"recovery codes", turnOn, func(c *client, pw string) answer {
				return c.do("POST", "/api/v1/account/recovery-codes", map[string]string{"password": pw})
			}},
			{"delete a method", func(c *client) {
				turnOn(c)
				c.do("POST", "/api/v1/account/methods/email", map[string]string{"email": "x@example.net", "confirm_email": "x@example.net"})
				c.do("POST", "/api/v1/account/methods/email/verify", map[string]string{"code": c.p.lastCode("x@example.net")})
			}, func(c *client, pw string) answer {
				return c.do("DELETE", "/api/v1/account/methods/email", map[string]string{"password": pw})
			}},
			{"start a method after a while", func(c *client) {
				turnOn(c)
				c.p.clock.Add(16 * time.Minute)
			}, func(c *client, pw string) answer {
				return c.do("POST", "/api/v1/account/methods/totp", map[string]string{"password": pw})
			}},
		}
		for i, call := range calls {
			name := fmt.Sprintf("u%d", i)
			p.user(name, twostep.RoleProvider)
			c := p.client()
			c.login(name)
			if call.setup != nil {
				call.setup(c)
			}
			for n := 1; n <= 10; n++ {
				expect(t, call.try(c, "not my password at all"), 401, "invalid_credentials")
			}
			a := call.try(c, "not my password at all")
			expect(t, a, 429, "too_many_attempts")
			if a.header.Get("Retry-After") == "" || a.errField("retry_after_seconds") == nil {
				t.Fatalf("%s: 429 without Retry-After: %s", call.name, a.raw)
			}
			// The right password is refused too until the window passes.
			expect(t, call.try(c, pw), 429, "too_many_attempts")
			if n := countAudit(t, p, name, "reauth_failed"); n != 12 {
				t.Fatalf("%s: %d reauth_failed audit rows, want 12 (10 wrong, 2 refused)", call.name, n)
			}
			// The same count stops the sign-in page too: it is one limit.
			expect(t, p.client().login(name), 429, "too_many_attempts")
			p.clock.Add(16 * time.Minute)
			if a := call.try(c, pw); a.status >= 300 {
				t.Fatalf("%s after the window: %d %s", call.name, a.status, a.raw)
			}
		}
	})
}

// turnOn turns 2SV on for the client's user.
func turnOn(c *client) {
	c.p.t.Helper()
	if a := c.do("POST", "/api/v1/account/two-step/on", nil); a.status != 200 {
		c.p.t.Fatalf("turn on: %s", a.raw)
	}
}

// countAudit counts audit rows of action whose actor is who.
func countAudit(t *testing.T, p *portal, who, action string) int {
	t.Helper()
	events, err := p.svc.AuditLog(context.Background(), p.staff, twostep.AuditQuery{Person: who, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range events {
		if e.Actor == who && e.Action == action {
			n++
		}
	}
	return n
}

// The admin reset page re-checks the admin's password under the same limit.
func TestAdminResetPasswordIsThrottled(t *testing.T) {
	each(t, opts{}, func(t *testing.T, p *portal) {
		p.beta(true)
		p.user("boss", twostep.RoleAdmin)
		p.user("jdoe", twostep.RoleProvider)
		c := p.client()
		c.form("/login", "username", "boss", "password", pw)
		for range 10 {
			if a := c.form("/admin/users/jdoe/reset", "password", "not my password at all"); a.status != 401 {
				t.Fatalf("wrong password: %d", a.status)
			}
		}
		if a := c.form("/admin/users/jdoe/reset", "password", pw); a.status != 429 {
			t.Fatalf("11th try with the right password: %d, want 429", a.status)
		}
		if n := countAudit(t, p, "boss", "reauth_failed"); n != 11 {
			t.Fatalf("%d reauth_failed rows", n)
		}
	})
}
