package web_test

import (
	"testing"

	"github.com/providerportal/portal/internal/twostep"
	"github.com/providerportal/portal/internal/twostep/passkeytest"
)

// Every passkey call, held to docs/openapi.yaml: requests, answers and errors.
func TestOpenAPIAnswersPasskeys(t *testing.T) {
	each(t, opts{}, func(t *testing.T, p *portal) {
		k := newContract(t, p)
		defer k.report()
		p.beta(true)
		p.user("jdoe", twostep.RoleProvider)
		c := p.client()
		k.call(c, "POST", "/api/v1/login", map[string]string{"username": "jdoe", "password": pw})
		k.call(c, "POST", "/api/v1/account/two-step/on", nil)
		dev := passkeytest.New(origin)
		opts := k.call(c, "POST", "/api/v1/account/methods/passkey", map[string]string{"name": "Laptop"})
		resp, _, _ := dev.Create(opts.raw)
		expect(t, k.call(c, "POST", "/api/v1/account/methods/passkey/verify", `{"id":"AAAA","rawId":"AAAA","type":"public-key","response":{"clientDataJSON":"e30","attestationObject":"oA"}}`), 400, "invalid_passkey")
		added := k.call(c, "POST", "/api/v1/account/methods/passkey/verify", string(resp))
		if added.status != 201 {
			t.Fatalf("verify: %d %s", added.status, added.raw)
		}
		k.call(c, "GET", "/api/v1/account", nil)

		// Alone.
		b := p.client()
		o := k.call(b, "POST", "/api/v1/login/passkey", nil)
		answer, _ := dev.Get(o.raw)
		k.call(b, "POST", "/api/v1/login/passkey/verify", string(answer))
		expect(t, k.call(b, "POST", "/api/v1/login/passkey/verify", string(answer)), 401, "invalid_passkey")
		k.call(b, "GET", "/api/v1/account", nil)

		// As the second step.
		d := p.client()
		k.call(d, "POST", "/api/v1/login", map[string]string{"username": "jdoe", "password": pw})
		k.call(d, "GET", "/api/v1/session", nil)
		o = k.call(d, "POST", "/api/v1/login/send-code", map[string]string{"method": "passkey"})
		answer, _ = dev.Get(o.raw)
		k.call(d, "POST", "/api/v1/login/verify", `{"method":"passkey","credential":`+string(answer)+`}`)

		expect(t, k.call(d, "DELETE", "/api/v1/account/methods/passkey/999", map[string]string{"password": pw}), 404, "no_such_method")
		if a := k.call(d, "DELETE", "/api/v1/account/methods/passkey/"+added.body["id"].(string), map[string]string{"password": pw}); a.status != 204 {
			t.Fatalf("delete: %d %s", a.status, a.raw)
		}
	})
	each(t, opts{set: func(s *twostep.Settings) { s.PublicURL = "http://127.0.0.1:8080" }}, func(t *testing.T, p *portal) {
		k := newContract(t, p)
		defer k.report()
		p.beta(true)
		p.user("jdoe", twostep.RoleProvider)
		c := p.client()
		k.call(c, "POST", "/api/v1/login", map[string]string{"username": "jdoe", "password": pw})
		k.call(c, "GET", "/api/v1/account", nil)
		k.call(c, "POST", "/api/v1/account/two-step/on", nil)
		expect(t, k.call(c, "POST", "/api/v1/account/methods/passkey", nil), 404, "passkeys_not_offered")
		expect(t, k.call(p.client(), "POST", "/api/v1/login/passkey", nil), 404, "passkeys_not_offered")
	})
}
