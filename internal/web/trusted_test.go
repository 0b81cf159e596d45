package web_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/providerportal/portal/internal/twostep"
)

// trustedCookie is the client's trusted-browser cookie ("" when none).
func (c *client) trustedCookie() string {
	u, _ := url.Parse(c.p.srv.URL)
	for _, ck := range c.http.Jar.Cookies(u) {
		if strings.HasSuffix(ck.Name, "portal_trusted") {
			return ck.Value
		}
	}
	return ""
}

func TestTrustedBrowserAPI(t *testing.T) {
	each(t, opts{}, func(t *testing.T, p *portal) {
		secret := p.withTOTP("jdoe")
		c := p.client()
		c.login("jdoe")
		a := c.do("POST", "/api/v1/login/verify", map[string]any{"method": "totp", "code": p.totpNow(secret), "trust_browser": true})
		if a.status != 200 || a.body["state"] != "signed_in" || c.trustedCookie() == "" {
			t.Fatalf("verify with trust: %s %v", a.raw, a.header.Values("Set-Cookie"))
		}
		tok := c.trustedCookie()
		for _, ck := range a.header.Values("Set-Cookie") {
			if strings.HasPrefix(ck, "portal_trusted=") && (!strings.Contains(ck, "HttpOnly") || !strings.Contains(ck, "SameSite=Lax") || !strings.Contains(ck, "Max-Age=7776000")) {
				t.Fatalf("trusted cookie %q", ck)
			}
		}
		// Signed out, then a password sign-in from this cookie jar answers signed_in at once.
		c.do("POST", "/api/v1/logout", nil)
		if a := c.login("jdoe"); a.body["state"] != "signed_in" {
			t.Fatalf("trusted sign-in: %s", a.raw)
		}
		expect(t, c.do("POST", "/api/v1/login", map[string]string{"username": "jdoe", "password": "not the password"}), 401, "invalid_credentials")
		if a := p.client().login("jdoe"); a.body["state"] != "two_step" {
			t.Fatalf("another browser: %s", a.raw)
		}
		sessions := c.do("GET", "/api/v1/account/sessions", nil)
		var trusted map[string]any
		for _, e := range sessions.list {
			if m := e.(map[string]any); m["kind"] == "trusted_browser" {
				trusted = m
			}
		}
		if trusted == nil || trusted["trusted_until"] == nil || trusted["current"] != true || strings.Contains(string(sessions.raw), tok) {
			t.Fatalf("sessions: %s", sessions.raw)
		}
		id := trusted["id"].(string)
		other := p.client()
		other.login("jdoe")
		other.do("POST", "/api/v1/login/verify", map[string]any{"method": "totp", "code": p.totpNow(secret)})
		expect(t, p.client().do("DELETE", "/api/v1/account/trusted-browsers/"+id, nil), 401, "unauthenticated")
		expectStatus(t, other.do("DELETE", "/api/v1/account/trusted-browsers/"+id, nil), 204)
		expect(t, other.do("DELETE", "/api/v1/account/trusted-browsers/"+id, nil), 404, "not_found")
		c.do("POST", "/api/v1/logout", nil)
		if a := c.login("jdoe"); a.body["state"] != "two_step" {
			t.Fatalf("after removal: %s", a.raw)
		}
	})
}

func TestTrustedBrowserPolicy(t *testing.T) {
	each(t, opts{}, func(t *testing.T, p *portal) {
		secret := p.withTOTP("jdoe")
		p.user("boss", twostep.RoleAdmin)
		admin := p.client()
		admin.login("boss")
		expect(t, admin.do("PUT", "/api/v1/admin/policy", `{"trusted_browser_days":91}`), 400, "invalid_request")
		if a := admin.do("PUT", "/api/v1/admin/policy", `{"trusted_browser_days":7}`); a.status != 200 || a.body["trusted_browser_days"] != 7.0 {
			t.Fatalf("policy: %s", a.raw)
		}
		c := p.client()
		c.form("/login", "username", "jdoe", "password", pw)
		contains(t, c.page("/login/verify"), `name="trust_browser"`, "Don&#39;t ask again on this browser for 7 days")
		redirectsTo(t, c.form("/login/verify", "method", "totp", "code", p.totpNow(secret), "trust_browser", "true"), "/account")
		if c.trustedCookie() == "" {
			t.Fatal("no trusted-browser cookie")
		}
		acct := c.page("/account")
		contains(t, acct, "Trusted browsers", "trusted until", "this browser", `action="/account/trusted-browsers/`)
		c.form("/logout")
		redirectsTo(t, c.form("/login", "username", "jdoe", "password", pw), "/account")
		// The admin turns it off: no box, and the trust no longer counts.
		admin.do("PUT", "/api/v1/admin/policy", `{"trusted_browser_days":0}`)
		c.form("/logout")
		redirectsTo(t, c.form("/login", "username", "jdoe", "password", pw), "/login/verify")
		if strings.Contains(string(c.page("/login/verify").raw), "trust_browser") {
			t.Fatal("the box shows while the center turned it off")
		}
		contains(t, admin.page("/admin"), `name="trusted_browser_days"`, `value="0"`)
		contains(t, admin.form("/admin/policy", "two_step_required", "false", "grace_logins", "3", "allowed_methods", "totp", "trusted_browser_days", "100"), `id="trusted_browser_days-error"`)
		redirectsTo(t, admin.form("/admin/policy", "grace_logins", "3", "allowed_methods", "totp", "trusted_browser_days", "14"), "/admin?done=policy")
		// Removing one from the page.
		redirectsTo(t, c.form("/login/verify", "method", "totp", "code", p.totpNow(secret)), "/account")
		id := strings.SplitN(strings.SplitN(string(c.page("/account").raw), `action="/account/trusted-browsers/`, 2)[1], "/", 2)[0]
		redirectsTo(t, c.form("/account/trusted-browsers/"+id+"/delete"), "/account?done=untrusted")
		contains(t, c.page("/account?done=untrusted"), "That browser will ask for the second step again.")
		if strings.Contains(string(c.page("/account").raw), "Trusted browsers") {
			t.Fatal("a removed browser is still listed")
		}
	})
}
