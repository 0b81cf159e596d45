package web_test

import (
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/twostep"
)

func TestBadInputAnswers(t *testing.T) {
	each(t, opts{}, func(t *testing.T, p *portal) {
		p.user("jdoe", twostep.RoleProvider)
		c := p.client()
		cases := []struct {
			name   string
			body   any
			status int
			code   string
		}{
			{"malformed", `{"username":`, 400, "invalid_request"},
			{"not an object", `[1,2]`, 400, "invalid_request"},
			{"wrong type", `{"username":5,"password":"x"}`, 400, "invalid_request"},
			{"unknown field", `{"username":"a","password":"b","admin":true}`, 400, "invalid_request"},
			{"two objects", `{"username":"a","password":"b"}{}`, 400, "invalid_request"},
			{"empty body", ``, 400, "invalid_request"},
			{"empty username", `{"username":"","password":"x"}`, 400, "invalid_request"},
			{"over-long password", `{"username":"jdoe","password":"` + strings.Repeat("x", 129) + `"}`, 400, "invalid_request"},
			{"oversized", `{"username":"` + strings.Repeat("a", 70<<10) + `"}`, 413, "invalid_request"},
			{"wrong password", `{"username":"jdoe","password":"wrong password"}`, 401, "invalid_credentials"},
			{"unknown user", `{"username":"ghost","password":"wrong password"}`, 401, "invalid_credentials"},
		}
		for _, tc := range cases {
			a := c.do("POST", "/api/v1/login", tc.body)
			if a.status != tc.status || a.errCode() != tc.code {
				t.Errorf("%s: %d %s %s", tc.name, a.status, a.errCode(), a.raw)
			}
			if msg, _ := a.errField("message").(string); msg == "" || strings.Contains(msg, "goroutine") {
				t.Errorf("%s: message %q", tc.name, msg)
			}
		}
		// The wrong-password and unknown-user answers are identical.
		a := c.do("POST", "/api/v1/login", `{"username":"jdoe","password":"wrong password"}`)
		b := c.do("POST", "/api/v1/login", `{"username":"ghost","password":"wrong password"}`)
		if string(a.raw) != string(b.raw) {
			t.Errorf("enumeration: %s vs %s", a.raw, b.raw)
		}
		expect(t, c.do("GET", "/api/v1/session", nil), 401, "unauthenticated")
		expect(t, c.do("GET", "/api/v1/nothing", nil), 404, "not_found")
		// Duplicate username through the staff API.
		s := p.client()
		s.login("am")
		expect(t, s.do("POST", "/api/v1/staff/centers/1/users", map[string]string{"username": "JDOE", "email": "x@example.org", "password": pw, "role": "provider"}), 409, "conflict")
		expect(t, s.do("POST", "/api/v1/staff/centers/999/users", map[string]string{"username": "z", "email": "x@example.org", "password": pw, "role": "provider"}), 404, "not_found")
		expect(t, s.do("POST", "/api/v1/staff/centers/1/users", map[string]string{"username": "z", "email": "x@example.org", "password": "password1234", "role": "provider"}), 400, "weak_password")
	})
}

func TestHeadersAndCookies(t *testing.T) {
	for _, secure := range []bool{false, true} {
		each(t, opts{secure: secure}, func(t *testing.T, p *portal) {
			p.user("jdoe", twostep.RoleProvider)
			a := p.client().login("jdoe")
			for h, want := range map[string]string{"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin"} {
				if a.header.Get(h) != want {
					t.Errorf("%s = %q", h, a.header.Get(h))
				}
			}
			if csp := a.header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") || !strings.Contains(csp, "default-src 'self'") {
				t.Errorf("CSP %q", csp)
			}
			if (a.header.Get("Strict-Transport-Security") != "") != secure {
				t.Errorf("HSTS %q with secure=%v", a.header.Get("Strict-Transport-Security"), secure)
			}
			cookie := a.header.Get("Set-Cookie")
			for _, want := range []string{"HttpOnly", "SameSite=Lax", "Path=/"} {
				if !strings.Contains(cookie, want) {
					t.Errorf("cookie %q lacks %s", cookie, want)
				}
			}
			if strings.HasPrefix(cookie, "__Host-portal_session=") != secure || strings.Contains(cookie, "Secure") != secure {
				t.Errorf("cookie %q with secure=%v", cookie, secure)
			}
		})
	}
}

func TestCrossOriginRefused(t *testing.T) {
	each(t, opts{}, func(t *testing.T, p *portal) {
		p.beta(true)
		p.user("jdoe", twostep.RoleProvider)
		c := p.client()
		c.login("jdoe")
		for _, path := range []string{"/api/v1/account/two-step/on", "/api/v1/account/methods/totp", "/api/v1/logout", "/api/v1/login"} {
			a := c.do("POST", path, `{}`, "Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site")
			expect(t, a, 403, "forbidden")
		}
		if a := c.do("DELETE", "/api/v1/account/methods/totp", `{"password":"x"}`, "Sec-Fetch-Site", "cross-site"); a.status != 403 {
			t.Fatalf("cross-site delete: %d", a.status)
		}
		// Same-origin browsers and plain API clients pass.
		if a := c.do("POST", "/api/v1/account/two-step/on", nil, "Sec-Fetch-Site", "same-origin"); a.status != 200 {
			t.Fatalf("same-origin: %d %s", a.status, a.raw)
		}
	})
}

func TestThrottleAndProxies(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	each(t, opts{set: func(s *twostep.Settings) { s.LoginAccountLimit, s.LoginAddressLimit = 100, 3 }}, func(t *testing.T, p *portal) {
		c := p.client()
		for range 3 {
			c.do("POST", "/api/v1/login", `{"username":"a","password":"wrong password"}`, "X-Forwarded-For", "203.0.113.1")
		}
		// Spoofed X-Forwarded-For from an untrusted peer does not dodge the per-address limit.
		a := c.do("POST", "/api/v1/login", `{"username":"b","password":"wrong password"}`, "X-Forwarded-For", "203.0.113.99")
		expect(t, a, 429, "too_many_attempts")
		if a.header.Get("Retry-After") == "" || a.errField("retry_after_seconds") == nil {
			t.Fatalf("no retry after: %s", a.raw)
		}
	})
	each(t, opts{proxies: trusted, set: func(s *twostep.Settings) { s.LoginAccountLimit, s.LoginAddressLimit = 100, 3 }}, func(t *testing.T, p *portal) {
		c := p.client()
		for range 3 {
			c.do("POST", "/api/v1/login", `{"username":"a","password":"wrong password"}`, "X-Forwarded-For", "203.0.113.1")
		}
		// Behind a trusted proxy each client address has its own count…
		expect(t, c.do("POST", "/api/v1/login", `{"username":"b","password":"wrong password"}`, "X-Forwarded-For", "203.0.113.2"), 401, "invalid_credentials")
		// …and a client cannot hide behind a forged entry added before the proxy's.
		expect(t, c.do("POST", "/api/v1/login", `{"username":"b","password":"wrong password"}`, "X-Forwarded-For", "198.51.100.7, 203.0.113.1"), 429, "too_many_attempts")
		// Security review, finding 6: IPv6 addresses count by their /64, so
		// rotating through one's own /64 dodges nothing.
		for _, ip := range []string{"2001:db8:77:1::a", "2001:db8:77:1::b", "2001:db8:77:1:ffff::c"} {
			expect(t, c.do("POST", "/api/v1/login", `{"username":"c","password":"wrong password"}`, "X-Forwarded-For", ip), 401, "invalid_credentials")
		}
		expect(t, c.do("POST", "/api/v1/login", `{"username":"d","password":"wrong password"}`, "X-Forwarded-For", "2001:db8:77:1::d"), 429, "too_many_attempts")
		expect(t, c.do("POST", "/api/v1/login", `{"username":"d","password":"wrong password"}`, "X-Forwarded-For", "2001:db8:77:2::d"), 401, "invalid_credentials")
	})
}

func TestOperations(t *testing.T) {
	each(t, opts{}, func(t *testing.T, p *portal) {
		c := p.client()
		if a := c.do("GET", "/healthz", nil); a.status != 200 {
			t.Fatal("healthz")
		}
		if a := c.do("GET", "/readyz", nil); a.status != 200 {
			t.Fatal("readyz")
		}
		c.do("POST", "/api/v1/login", `{"username":"a","password":"wrong password"}`)
		m := c.do("GET", "/metrics", nil)
		for _, want := range []string{"portal_http_requests_total", `portal_signins_total{result="invalid_credentials",step="password"} 1`, "portal_http_request_duration_seconds"} {
			if !strings.Contains(string(m.raw), want) {
				t.Errorf("metrics lack %s", want)
			}
		}
		p.store.Close()
		if a := c.do("GET", "/readyz", nil); a.status != http.StatusServiceUnavailable {
			t.Fatalf("readyz with the database gone: %d", a.status)
		}
		if a := c.do("POST", "/api/v1/login", `{"username":"a","password":"wrong password"}`); a.status != 500 || a.errCode() != "internal" || strings.Contains(string(a.raw), "sql") {
			t.Fatalf("login with the database gone: %d %s", a.status, a.raw)
		}
	})
}

// A session waiting for its second step reaches nothing but the sign-in calls
// (Nextcloud CVE-2021-32800, Kratos CVE-2024-45042).
func TestPendingSessionReachesNothingElse(t *testing.T) {
	each(t, opts{}, func(t *testing.T, p *portal) {
		p.beta(true)
		p.user("boss", twostep.RoleAdmin)
		c := p.client()
		c.login("boss")
		c.do("POST", "/api/v1/account/two-step/on", nil)
		setup := c.do("POST", "/api/v1/account/methods/totp", nil)
		secret := setup.body["secret"].(string)
		c.do("POST", "/api/v1/account/methods/totp/verify", map[string]string{"code": twostep.TOTPCode(secret, p.clock.Now())})
		pending := p.client()
		if a := pending.login("boss"); a.body["state"] != "two_step" || a.body["selected"] != "totp" {
			t.Fatalf("login: %s", a.raw)
		}
		routes := []struct{ method, path, body string }{
			{"GET", "/api/v1/account", ""},
			{"POST", "/api/v1/account/two-step/on", "{}"},
			{"POST", "/api/v1/account/two-step/off", `{"password":"` + pw + `"}`},
			{"POST", "/api/v1/account/methods/totp", "{}"},
			{"POST", "/api/v1/account/methods/totp/verify", `{"code":"123456"}`},
			{"POST", "/api/v1/account/methods/phone", `{"phone":"2015550123","confirm_phone":"2015550123"}`},
			{"POST", "/api/v1/account/methods/phone/resend", "{}"},
			{"POST", "/api/v1/account/methods/phone/verify", `{"code":"123456"}`},
			{"POST", "/api/v1/account/methods/email", `{"email":"a@example.org","confirm_email":"a@example.org"}`},
			{"POST", "/api/v1/account/methods/email/resend", "{}"},
			{"POST", "/api/v1/account/methods/email/verify", `{"code":"123456"}`},
			{"DELETE", "/api/v1/account/methods/totp", `{"password":"` + pw + `"}`},
			{"POST", "/api/v1/account/recovery-codes", `{"password":"` + pw + `"}`},
			{"POST", "/api/v1/account/password", `{"current_password":"` + pw + `","new_password":"another long passphrase"}`},
			{"GET", "/api/v1/account/sessions", ""},
			{"POST", "/api/v1/account/sessions/revoke-others", ""},
			{"GET", "/api/v1/admin/users", ""},
			{"POST", "/api/v1/admin/users", `{"username":"x","email":"x@example.org","password":"` + pw + `","role":"provider"}`},
			{"PUT", "/api/v1/admin/policy", `{"two_step_required":false}`},
			{"POST", "/api/v1/admin/users/boss/reset-two-step", ""},
			{"GET", "/api/v1/admin/audit", ""},
			{"GET", "/api/v1/staff/centers", ""},
			{"GET", "/api/v1/dev/outbox", ""},
			{"GET", "/account", ""},
			{"POST", "/account/two-step/off", "password=x"},
			{"GET", "/account/methods/totp/add", ""},
		}
		for _, r := range routes {
			var body any
			if r.body != "" {
				body = r.body
			}
			a := pending.do(r.method, r.path, body)
			if a.status < 300 || (a.status >= 300 && a.status < 400 && a.header.Get("Location") != "/login/verify") {
				t.Errorf("%s %s answered %d %s", r.method, r.path, a.status, a.raw)
			}
		}
		if a := pending.do("GET", "/api/v1/session", nil); a.status != 200 || a.body["state"] != "two_step" {
			t.Fatalf("session: %s", a.raw)
		}
		// The method was not deleted, 2SV is still on.
		if a := c.do("GET", "/api/v1/account", nil); len(a.body["two_step"].(map[string]any)["methods"].([]any)) != 1 {
			t.Fatalf("account changed through a pending session: %s", a.raw)
		}
	})
}

func TestRolesOnStaffAndAdminRoutes(t *testing.T) {
	each(t, opts{}, func(t *testing.T, p *portal) {
		p.beta(true)
		p.user("boss", twostep.RoleAdmin)
		p.user("jdoe", twostep.RoleProvider)
		other, _ := p.svc.CreateCenter(t.Context(), p.staff, "Oak School", twostep.Client{})
		p.svc.CreateUser(t.Context(), p.staff, twostep.NewUser{CenterID: other.ID, Username: "oak", Email: "oak@example.org", Password: pw, Role: twostep.RoleProvider}, twostep.Client{})
		prov, admin, staff := p.client(), p.client(), p.client()
		prov.login("jdoe")
		admin.login("boss")
		staff.login("am")
		expect(t, prov.do("GET", "/api/v1/staff/centers", nil), 403, "forbidden")
		expect(t, prov.do("GET", "/api/v1/admin/users", nil), 403, "forbidden")
		expect(t, admin.do("GET", "/api/v1/staff/centers", nil), 403, "forbidden")
		expect(t, admin.do("GET", "/api/v1/dev/outbox", nil), 403, "forbidden")
		expect(t, admin.do("POST", "/api/v1/admin/users/oak/reset-two-step", nil), 404, "not_found")
		expect(t, admin.do("POST", "/api/v1/admin/users/nobody/reset-two-step", nil), 404, "not_found")
		if a := admin.do("GET", "/api/v1/admin/users", nil); a.status != 200 || len(a.list) != 2 {
			t.Fatalf("admin users: %s", a.raw)
		}
		if a := admin.do("POST", "/api/v1/admin/users", map[string]string{"username": "nurse", "email": "n@example.org", "password": pw, "role": "provider"}); a.status != 201 {
			t.Fatalf("admin create: %s", a.raw)
		}
		a := staff.do("POST", "/api/v1/staff/centers", map[string]string{"name": "Birch Center"})
		if a.status != 201 || a.body["name"] != "Birch Center" {
			t.Fatalf("create center: %s", a.raw)
		}
		if a := staff.do("GET", "/api/v1/staff/centers", nil); a.status != 200 || len(a.list) != 3 {
			t.Fatalf("list centers: %s", a.raw)
		}
		if a := staff.do("PUT", "/api/v1/staff/centers/1", `{"two_step_available":false}`); a.status != 200 || a.body["two_step_available"] != false {
			t.Fatalf("beta off: %s", a.raw)
		}
		expect(t, staff.do("PUT", "/api/v1/staff/centers/999", `{"two_step_available":true}`), 404, "not_found")
		expect(t, admin.do("PUT", "/api/v1/admin/policy", `{"two_step_required":true}`), 409, "two_step_not_available")
		expect(t, admin.do("PUT", "/api/v1/admin/policy", `{"allowed_methods":["fax"]}`), 400, "invalid_request")
		expect(t, admin.do("PUT", "/api/v1/admin/policy", `{"grace_logins":-1}`), 400, "invalid_request")
		if a := staff.do("GET", "/api/v1/dev/outbox", nil); a.status != 200 {
			t.Fatalf("dev outbox: %s", a.raw)
		}
	})
}

// The whole 2SV flow of CONTRACT.md through the API.
func TestTwoStepThroughTheAPI(t *testing.T) {
	each(t, opts{}, func(t *testing.T, p *portal) {
		p.user("jdoe", twostep.RoleProvider)
		c := p.client()
		c.login("jdoe")
		expect(t, c.do("POST", "/api/v1/account/two-step/on", nil), 404, "two_step_not_available")
		p.beta(true)
		if a := c.do("POST", "/api/v1/account/two-step/on", nil); a.status != 200 {
			t.Fatalf("on: %s", a.raw)
		}
		expect(t, c.do("POST", "/api/v1/account/methods/phone", `{"phone":"2015550123","confirm_phone":"2015550124"}`), 400, "mismatch")
		expect(t, c.do("POST", "/api/v1/account/methods/phone", `{"phone":"+44 20 7946 0958","confirm_phone":"+44 20 7946 0958"}`), 400, "invalid_phone")
		expect(t, c.do("POST", "/api/v1/account/methods/email", `{"email":"nope","confirm_email":"nope"}`), 400, "invalid_email")
		a := c.do("POST", "/api/v1/account/methods/phone", `{"phone":"(201) 555-0123","confirm_phone":"+1 201 555 0123"}`)
		if a.status != 202 || a.body["resend_after_seconds"] != 60.0 || a.body["expires_in_seconds"] != 600.0 {
			t.Fatalf("phone start: %s", a.raw)
		}
		expect(t, c.do("POST", "/api/v1/account/methods/phone/resend", nil), 429, "resend_too_soon")
		expect(t, c.do("POST", "/api/v1/account/methods/phone/verify", `{"code":"12345"}`), 401, "invalid_code")
		code := p.lastCode("+12015550123")
		if a := c.do("POST", "/api/v1/account/methods/phone/verify", `{"code":"`+code[:3]+" "+code[3:]+`"}`); a.status != 201 || a.body["type"] != "phone" {
			t.Fatalf("phone verify: %s", a.raw)
		}
		expect(t, c.do("POST", "/api/v1/account/methods/phone", `{"phone":"2015550199","confirm_phone":"2015550199"}`), 409, "method_exists")
		setup := c.do("POST", "/api/v1/account/methods/totp", nil)
		if setup.status != 200 || !strings.HasPrefix(setup.body["otpauth_uri"].(string), "otpauth://totp/Provider%20Portal:jdoe?") || setup.body["qr_png_base64"] == "" {
			t.Fatalf("totp: %s", setup.raw)
		}
		if a := c.do("POST", "/api/v1/account/methods/totp/verify", map[string]string{"code": twostep.TOTPCode(setup.body["secret"].(string), p.clock.Now())}); a.status != 201 {
			t.Fatalf("totp verify: %s", a.raw)
		}
		acct := c.do("GET", "/api/v1/account", nil)
		ts := acct.body["two_step"].(map[string]any)
		if ts["on"] != true || len(ts["methods"].([]any)) != 2 || strings.Contains(string(acct.raw), setup.body["secret"].(string)) {
			t.Fatalf("account: %s", acct.raw)
		}
		// Sign in again: choose, send, verify.
		d := p.client()
		a = d.login("jdoe")
		if a.body["state"] != "two_step" || a.body["selected"] != nil || len(a.body["methods"].([]any)) != 2 {
			t.Fatalf("login: %s", a.raw)
		}
		expect(t, d.do("POST", "/api/v1/login/send-code", `{"method":"totp"}`), 400, "method_does_not_send")
		expect(t, d.do("POST", "/api/v1/login/send-code", `{"method":"email"}`), 404, "no_such_method")
		if a := d.do("POST", "/api/v1/login/send-code", `{"method":"phone"}`); a.status != 200 || a.body["resend_after_seconds"] != 60.0 {
			t.Fatalf("send: %s", a.raw)
		}
		expect(t, d.do("POST", "/api/v1/login/send-code", `{"method":"phone"}`), 429, "resend_too_soon")
		a = d.do("POST", "/api/v1/login/verify", `{"method":"phone","code":"000000"}`)
		if a.status != 401 || a.errCode() != "invalid_code" || a.errField("attempts_left") == nil {
			t.Fatalf("wrong code: %s", a.raw)
		}
		code = p.lastCode("+12015550123")
		if a := d.do("POST", "/api/v1/login/verify", `{"method":"phone","code":"`+code+`"}`); a.status != 200 || a.body["state"] != "signed_in" {
			t.Fatalf("verify: %s", a.raw)
		}
		if a := d.do("GET", "/api/v1/account/sessions", nil); a.status != 200 || len(a.list) != 2 {
			t.Fatalf("sessions: %s", a.raw)
		}
		// Expired code.
		e := p.client()
		e.login("jdoe")
		p.clock.Add(time.Minute)
		e.do("POST", "/api/v1/login/send-code", `{"method":"phone"}`)
		code = p.lastCode("+12015550123")
		p.clock.Add(11 * time.Minute)
		if a := e.do("POST", "/api/v1/login/verify", `{"method":"phone","code":"`+code+`"}`); a.status != 401 && a.status != 410 {
			t.Fatalf("expired: %s", a.raw)
		}
		// Delete and turn off need the password.
		d.login("jdoe")
		d = p.client()
		d.login("jdoe")
		p.clock.Add(30 * time.Second)
		d.do("POST", "/api/v1/login/verify", map[string]string{"method": "totp", "code": twostep.TOTPCode(setup.body["secret"].(string), p.clock.Now())})
		expect(t, d.do("DELETE", "/api/v1/account/methods/phone", `{"password":"nope nope nope"}`), 401, "invalid_credentials")
		if a := d.do("DELETE", "/api/v1/account/methods/phone", `{"password":"`+pw+`"}`); a.status != 204 {
			t.Fatalf("delete: %d %s", a.status, a.raw)
		}
		if a := d.do("POST", "/api/v1/account/two-step/off", `{"password":"`+pw+`"}`); a.status != 200 {
			t.Fatalf("off: %s", a.raw)
		}
		if a := p.client().login("jdoe"); a.body["state"] != "signed_in" {
			t.Fatalf("after off: %s", a.raw)
		}
	})
}
