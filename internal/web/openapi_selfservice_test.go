package web_test

import (
	"testing"

	"github.com/providerportal/portal/internal/twostep"
)

// Forgotten passwords, invitations and trusted browsers through the API on
// both databases, every answer checked against docs/openapi.yaml.
func TestOpenAPIAnswersSelfService(t *testing.T) {
	caps := func(s *twostep.Settings) { s.SendCaps.Address = twostep.Cap{PerHour: 5} }
	each(t, opts{set: caps}, func(t *testing.T, p *portal) {
		k := newContract(t, p)
		defer k.report()
		secret := p.withTOTP("jdoe")
		p.user("boss", twostep.RoleAdmin)

		// Password reset with the second step, and its error answers.
		c := p.client()
		expectStatus(t, k.call(c, "POST", "/api/v1/password-reset", map[string]string{"login": "jdoe"}), 202)
		expectStatus(t, k.call(c, "POST", "/api/v1/password-reset", map[string]string{"login": "nobody"}), 202)
		expect(t, k.bad(c, "POST", "/api/v1/password-reset", map[string]string{"login": ""}), 400, "invalid_request")
		expect(t, k.call(c, "POST", "/api/v1/password-reset/start", map[string]string{"token": "nonsense"}), 410, "link_expired")
		expect(t, k.call(c, "POST", "/api/v1/password-reset/finish", map[string]string{"new_password": newPW}), 401, "unauthenticated")
		tok := p.linkToken("jdoe@example.org")
		if a := k.call(c, "POST", "/api/v1/password-reset/start", map[string]string{"token": tok}); a.body["state"] != "two_step" {
			t.Fatalf("start: %s", a.raw)
		}
		k.call(c, "GET", "/api/v1/session", nil)
		expect(t, k.call(c, "POST", "/api/v1/password-reset/finish", map[string]string{"new_password": newPW}), 403, "two_step_pending")
		if a := k.call(c, "POST", "/api/v1/login/verify", map[string]any{"method": "totp", "code": p.totpNow(secret)}); a.body["state"] != "choose_password" {
			t.Fatalf("verify: %s", a.raw)
		}
		expect(t, k.call(c, "POST", "/api/v1/password-reset/finish", map[string]string{"new_password": "password1234"}), 400, "weak_password")
		expectStatus(t, k.call(c, "POST", "/api/v1/password-reset/finish", map[string]string{"new_password": newPW}), 204)
		expect(t, k.call(c, "POST", "/api/v1/password-reset/start", map[string]string{"token": tok}), 410, "link_expired")
		for range 3 {
			k.call(c, "POST", "/api/v1/password-reset", map[string]string{"login": "ghost"})
		}
		expect(t, k.call(c, "POST", "/api/v1/password-reset", map[string]string{"login": "ghost"}), 429, "send_limit_reached")

		// Without a second step: choose_password at once; a sign-in session cannot finish.
		p.user("ann", twostep.RoleProvider)
		d := p.client()
		k.call(d, "POST", "/api/v1/login", map[string]string{"username": "ann", "password": pw})
		expect(t, k.call(d, "POST", "/api/v1/password-reset/finish", map[string]string{"new_password": newPW}), 403, "forbidden")
		p.svc.RequestPasswordReset(t.Context(), "ann", "en", twostep.Client{IP: "198.51.100.9"})
		if a := k.call(d, "POST", "/api/v1/password-reset/start", map[string]string{"token": p.linkToken("ann@example.org")}); a.body["state"] != "choose_password" {
			t.Fatalf("start: %s", a.raw)
		}

		// Trusted browsers.
		b := p.client()
		k.call(b, "POST", "/api/v1/login", map[string]string{"username": "jdoe", "password": newPW})
		if a := k.call(b, "POST", "/api/v1/login/verify", map[string]any{"method": "totp", "code": p.totpNow(secret), "trust_browser": true}); a.body["state"] != "signed_in" {
			t.Fatalf("verify: %s", a.raw)
		}
		var id string
		for _, e := range k.call(b, "GET", "/api/v1/account/sessions", nil).list {
			if m := e.(map[string]any); m["kind"] == "trusted_browser" {
				id = m["id"].(string)
			}
		}
		expectStatus(t, k.call(b, "DELETE", "/api/v1/account/trusted-browsers/"+id, nil), 204)
		expect(t, k.call(b, "DELETE", "/api/v1/account/trusted-browsers/"+id, nil), 404, "not_found")

		// Invitations and the policy's days.
		admin := p.client()
		k.call(admin, "POST", "/api/v1/login", map[string]string{"username": "boss", "password": pw})
		if a := k.call(admin, "PUT", "/api/v1/admin/policy", map[string]int{"trusted_browser_days": 14}); a.status != 200 {
			t.Fatalf("policy: %s", a.raw)
		}
		expect(t, k.bad(admin, "PUT", "/api/v1/admin/policy", map[string]int{"trusted_browser_days": 91}), 400, "invalid_request")
		nurse := map[string]string{"username": "nurse", "email": "nurse@example.org", "role": "provider"}
		expectStatus(t, k.call(admin, "POST", "/api/v1/admin/invitations", nurse), 201)
		expect(t, k.call(admin, "POST", "/api/v1/admin/invitations", nurse), 409, "username_taken")
		expect(t, k.call(admin, "POST", "/api/v1/admin/invitations", map[string]string{"username": "x", "email": "nope", "role": "admin"}), 400, "invalid_email")
		expect(t, k.call(b, "POST", "/api/v1/admin/invitations", map[string]string{"username": "y", "email": "y@example.org", "role": "admin"}), 403, "forbidden")
		expect(t, k.call(b, "GET", "/api/v1/admin/invitations", nil), 403, "forbidden")
		k.call(admin, "GET", "/api/v1/admin/invitations", nil)
		expectStatus(t, k.call(admin, "POST", "/api/v1/admin/invitations/nurse/resend", nil), 200)
		expect(t, k.call(admin, "POST", "/api/v1/admin/invitations/ghost/resend", nil), 404, "not_found")
		msgs := p.messagesTo("nurse@example.org")
		inv := tokenIn.FindStringSubmatch(msgs[len(msgs)-1].Body)[1]
		expect(t, k.call(p.client(), "POST", "/api/v1/invitations/accept", map[string]string{"token": inv, "password": "nurse"}), 400, "weak_password")
		expectStatus(t, k.call(p.client(), "POST", "/api/v1/invitations/accept", map[string]string{"token": inv, "password": newPW}), 201)
		expect(t, k.call(p.client(), "POST", "/api/v1/invitations/accept", map[string]string{"token": inv, "password": newPW}), 410, "link_expired")
		k.call(admin, "POST", "/api/v1/admin/invitations", map[string]string{"username": "temp", "email": "temp@example.org", "role": "admin"})
		expectStatus(t, k.call(admin, "DELETE", "/api/v1/admin/invitations/temp", nil), 204)
		expect(t, k.call(admin, "DELETE", "/api/v1/admin/invitations/temp", nil), 404, "not_found")
	})
}
