package web_test

import (
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/deliver"
	"github.com/providerportal/portal/internal/twostep"
)

// Sign-in with a second step, My Account and the error answers, on both
// databases, every answer checked against docs/openapi.yaml.
func TestOpenAPIAnswersSignInAndAccount(t *testing.T) {
	limits := func(s *twostep.Settings) { s.LoginAccountLimit, s.LockoutFailures = 3, 3 }
	each(t, opts{set: limits}, func(t *testing.T, p *portal) {
		k := newContract(t, p)
		defer k.report()
		p.beta(true)
		p.user("jdoe", twostep.RoleProvider)
		c := p.client()
		if a := k.call(c, "POST", "/api/v1/login", map[string]string{"username": "jdoe", "password": pw}); a.body["state"] != "signed_in" {
			t.Fatalf("login: %s", a.raw)
		}
		k.call(c, "GET", "/api/v1/session", nil)
		k.call(c, "POST", "/api/v1/account/two-step/on", nil)
		setup := k.call(c, "POST", "/api/v1/account/methods/totp", map[string]string{})
		secret, _ := setup.body["secret"].(string)
		expect(t, k.call(c, "POST", "/api/v1/account/methods/totp/verify", map[string]string{"code": "000000"}), 401, "invalid_code")
		if a := k.call(c, "POST", "/api/v1/account/methods/totp/verify", map[string]string{"code": twostep.TOTPCode(secret, p.clock.Now())}); a.status != 201 {
			t.Fatalf("totp verify: %d %s", a.status, a.raw)
		}
		expect(t, k.call(c, "POST", "/api/v1/account/methods/totp", nil), 409, "method_exists")
		expect(t, k.call(c, "POST", "/api/v1/account/methods/email", map[string]string{"email": "j@example.org", "confirm_email": "k@example.org"}), 400, "mismatch")
		if a := k.call(c, "POST", "/api/v1/account/methods/email", map[string]string{"email": "j@example.org", "confirm_email": "j@example.org"}); a.status != 202 {
			t.Fatalf("email start: %d %s", a.status, a.raw)
		}
		expect(t, k.call(c, "POST", "/api/v1/account/methods/email/resend", nil), 429, "resend_too_soon")
		if a := k.call(c, "POST", "/api/v1/account/methods/email/verify", map[string]string{"code": p.lastCode("j@example.org")}); a.status != 201 {
			t.Fatalf("email verify: %d %s", a.status, a.raw)
		}
		expect(t, k.call(c, "POST", "/api/v1/account/methods/phone/verify", map[string]string{"code": "123456"}), 409, "no_pending_setup")
		if a := k.call(c, "POST", "/api/v1/account/recovery-codes", map[string]string{"password": pw}); len(a.body["codes"].([]any)) != 10 {
			t.Fatalf("recovery codes: %s", a.raw)
		}
		k.call(c, "GET", "/api/v1/account", nil)

		// A second sign-in: two_step, choose, send, verify.
		d := p.client()
		a := k.call(d, "POST", "/api/v1/login", map[string]string{"username": "jdoe", "password": pw})
		if a.body["state"] != "two_step" || a.body["selected"] != nil || len(a.body["methods"].([]any)) != 2 {
			t.Fatalf("login: %s", a.raw)
		}
		expect(t, k.call(d, "GET", "/api/v1/account", nil), 403, "two_step_pending")
		expect(t, k.call(d, "POST", "/api/v1/account/password", map[string]string{"current_password": pw, "new_password": "another long passphrase"}), 403, "two_step_pending")
		k.call(d, "GET", "/api/v1/session", nil)
		expect(t, k.call(d, "POST", "/api/v1/login/send-code", map[string]string{"method": "totp"}), 400, "method_does_not_send")
		expect(t, k.call(d, "POST", "/api/v1/login/send-code", map[string]string{"method": "phone"}), 404, "no_such_method")
		k.call(d, "POST", "/api/v1/login/send-code", map[string]string{"method": "email"})
		expect(t, k.call(d, "POST", "/api/v1/login/send-code", map[string]string{"method": "email"}), 429, "resend_too_soon")
		if a := k.call(d, "POST", "/api/v1/login/verify", map[string]string{"method": "email", "code": "000000"}); a.errField("attempts_left") == nil {
			t.Fatalf("wrong code: %s", a.raw)
		}
		p.clock.Add(30 * time.Second)
		if a := k.call(d, "POST", "/api/v1/login/verify", map[string]string{"method": "totp", "code": twostep.TOTPCode(secret, p.clock.Now())}); a.body["state"] != "signed_in" {
			t.Fatalf("verify: %s", a.raw)
		}
		expect(t, k.call(d, "POST", "/api/v1/login/verify", map[string]string{"method": "totp", "code": "123456"}), 409, "conflict")
		expect(t, k.call(d, "POST", "/api/v1/login/dismiss-notice", nil), 409, "conflict")
		k.call(d, "GET", "/api/v1/account/sessions", nil)
		// Password re-checks count against the sign-in limit (3 here).
		for range 3 {
			expect(t, k.call(d, "POST", "/api/v1/account/recovery-codes", map[string]string{"password": "not my password"}), 401, "invalid_credentials")
		}
		expect(t, k.call(d, "POST", "/api/v1/account/recovery-codes", map[string]string{"password": pw}), 429, "too_many_attempts")
		p.clock.Add(16 * time.Minute) // the sign-in window passes
		expect(t, k.call(d, "POST", "/api/v1/account/password", map[string]string{"current_password": "not my password", "new_password": "another long passphrase"}), 401, "invalid_credentials")
		expect(t, k.call(d, "POST", "/api/v1/account/password", map[string]string{"current_password": pw, "new_password": "password1234"}), 400, "weak_password")
		expect(t, k.call(d, "DELETE", "/api/v1/account/methods/email", map[string]string{"password": "not my password"}), 401, "invalid_credentials")
		k.call(d, "DELETE", "/api/v1/account/methods/email", map[string]string{"password": pw})
		expect(t, k.call(d, "DELETE", "/api/v1/account/methods/email", map[string]string{"password": pw}), 404, "no_such_method")
		k.call(d, "POST", "/api/v1/account/sessions/revoke-others", nil)
		k.call(d, "POST", "/api/v1/account/password", map[string]string{"current_password": pw, "new_password": "another long passphrase"})
		expect(t, k.call(d, "POST", "/api/v1/logout", nil, "Sec-Fetch-Site", "cross-site"), 403, "forbidden")
		k.call(d, "POST", "/api/v1/logout", nil)
		expect(t, k.call(d, "GET", "/api/v1/session", nil), 401, "unauthenticated")

		// Wrong codes lock the second step (423), with the wait.
		e := p.client()
		k.call(e, "POST", "/api/v1/login", map[string]string{"username": "jdoe", "password": "another long passphrase"})
		for range 2 {
			expect(t, k.call(e, "POST", "/api/v1/login/verify", map[string]string{"method": "totp", "code": "000000"}), 401, "invalid_code")
		}
		expect(t, k.call(e, "POST", "/api/v1/login/verify", map[string]string{"method": "totp", "code": "000000"}), 423, "locked")

		// Bad input, wrong passwords and the sign-in limit (429 with the wait).
		expect(t, k.bad(e, "POST", "/api/v1/login", `{"username":"jdoe","password":"x","admin":true}`), 400, "invalid_request")
		expect(t, k.bad(e, "POST", "/api/v1/login", `{"username":"`+strings.Repeat("a", 70<<10)+`"}`), 413, "invalid_request")
		for range 3 {
			expect(t, k.call(e, "POST", "/api/v1/login", map[string]string{"username": "jdoe", "password": "wrong password"}), 401, "invalid_credentials")
		}
		a = k.call(e, "POST", "/api/v1/login", map[string]string{"username": "jdoe", "password": "wrong password"})
		expect(t, a, 429, "too_many_attempts")
		if a.header.Get("Retry-After") == "" {
			t.Fatalf("429 without Retry-After: %v", a.header)
		}
	})
}

// Grace sign-ins, forced setup, the admin's and the account manager's calls.
func TestOpenAPIAnswersPolicyAdminAndStaff(t *testing.T) {
	each(t, opts{}, func(t *testing.T, p *portal) {
		k := newContract(t, p)
		defer k.report()
		p.user("boss", twostep.RoleAdmin)
		p.user("nurse", twostep.RoleProvider)
		admin := p.client()
		k.call(admin, "POST", "/api/v1/login", map[string]string{"username": "boss", "password": pw})
		expect(t, k.call(admin, "PUT", "/api/v1/admin/policy", map[string]any{"two_step_required": true}), 409, "two_step_not_available")
		expect(t, k.call(admin, "POST", "/api/v1/account/two-step/on", nil), 404, "two_step_not_available")
		p.beta(true)
		k.call(admin, "PUT", "/api/v1/admin/policy", map[string]any{"two_step_required": true, "grace_logins": 1, "allowed_methods": []string{"totp", "phone"}})
		k.call(admin, "GET", "/api/v1/admin/users", nil)
		if a := k.call(admin, "GET", "/api/v1/admin/users", nil, "Accept", "text/csv"); !strings.HasPrefix(string(a.raw), "username,") {
			t.Fatalf("csv: %s", a.raw)
		}
		newUser := map[string]string{"username": "clerk", "email": "clerk@example.org", "password": pw, "role": "provider"}
		k.call(admin, "POST", "/api/v1/admin/users", newUser)
		expect(t, k.call(admin, "POST", "/api/v1/admin/users", newUser), 409, "conflict")
		expect(t, k.call(admin, "POST", "/api/v1/admin/users", map[string]string{"username": "x", "email": "nope", "password": pw, "role": "provider"}), 400, "invalid_email")
		k.call(admin, "POST", "/api/v1/admin/users/clerk/reset-two-step", nil)
		expect(t, k.call(admin, "POST", "/api/v1/admin/users/nobody/reset-two-step", nil), 404, "not_found")
		k.call(admin, "GET", "/api/v1/admin/audit?limit=5", nil)
		if a := k.call(admin, "GET", "/api/v1/admin/audit?kind=account&person=clerk", nil); len(a.list) == 0 {
			t.Fatalf("audit filtered: %s", a.raw)
		}
		expect(t, k.bad(admin, "GET", "/api/v1/admin/audit?kind=gossip", nil), 400, "invalid_request")
		if a := k.bad(admin, "PUT", "/api/v1/admin/policy", map[string]any{"grace_logins": -4, "allowed_methods": []string{}}); len(a.errField("fields").([]any)) != 2 {
			t.Fatalf("every field at fault: %s", a.raw)
		}
		if a := k.call(admin, "PUT", "/api/v1/admin/policy", map[string]any{"time_zone": "America/Chicago"}); a.body["time_zone"] != "America/Chicago" {
			t.Fatalf("time zone: %s", a.raw)
		}
		expect(t, k.call(admin, "GET", "/api/v1/staff/centers", nil), 403, "forbidden")

		// Under the requirement: one grace sign-in, then setup is forced.
		n := p.client()
		if a := k.call(n, "POST", "/api/v1/login", map[string]string{"username": "nurse", "password": pw}); a.body["state"] != "setup_suggested" || a.body["grace_logins_left"] != 0.0 {
			t.Fatalf("grace: %s", a.raw)
		}
		k.call(n, "GET", "/api/v1/session", nil)
		expect(t, k.call(n, "GET", "/api/v1/admin/users", nil), 403, "forbidden")
		k.call(n, "POST", "/api/v1/login/dismiss-notice", nil)
		if a := k.call(n, "POST", "/api/v1/login", map[string]string{"username": "nurse", "password": pw}); a.body["state"] != "setup_required" {
			t.Fatalf("forced: %s", a.raw)
		}
		k.call(n, "GET", "/api/v1/account", nil)
		expect(t, k.call(n, "GET", "/api/v1/account/sessions", nil), 403, "two_step_setup_required")
		expect(t, k.call(n, "POST", "/api/v1/account/recovery-codes", map[string]string{"password": pw}), 403, "two_step_setup_required")
		expect(t, k.call(n, "POST", "/api/v1/account/methods/email", map[string]string{"email": "n@example.org", "confirm_email": "n@example.org"}), 403, "method_not_allowed")
		expect(t, k.call(n, "POST", "/api/v1/account/methods/phone", map[string]string{"phone": "+44 20 7946 0958", "confirm_phone": "+44 20 7946 0958"}), 400, "invalid_phone")
		k.call(n, "POST", "/api/v1/account/methods/phone", map[string]string{"phone": "(201) 555-0123", "confirm_phone": "2015550123"})
		expect(t, k.call(n, "POST", "/api/v1/account/methods/phone/resend", nil), 429, "resend_too_soon")
		if a := k.call(n, "POST", "/api/v1/account/methods/phone/verify", map[string]string{"code": p.lastCode("+12015550123")}); a.status != 201 {
			t.Fatalf("phone verify: %d %s", a.status, a.raw)
		}
		if a := k.call(n, "GET", "/api/v1/session", nil); a.body["state"] != "signed_in" {
			t.Fatalf("after setup: %s", a.raw)
		}
		expect(t, k.call(n, "DELETE", "/api/v1/account/methods/phone", map[string]string{"password": pw}), 409, "last_method_required")
		expect(t, k.call(n, "POST", "/api/v1/account/two-step/off", map[string]string{"password": pw}), 409, "required_by_center")

		// The account manager (2SV required for staff: the first sign-in is a grace one).
		s := p.client()
		if a := k.call(s, "POST", "/api/v1/login", map[string]string{"username": "am", "password": pw}); a.body["state"] != "setup_suggested" {
			t.Fatalf("staff login: %s", a.raw)
		}
		k.call(s, "GET", "/api/v1/account", nil)
		ctr := k.call(s, "POST", "/api/v1/staff/centers", map[string]string{"name": "Birch Center"})
		id := strconv.Itoa(int(ctr.body["id"].(float64)))
		expect(t, k.call(s, "POST", "/api/v1/staff/centers", map[string]string{"name": "Birch Center"}), 409, "conflict")
		k.call(s, "GET", "/api/v1/staff/centers", nil)
		k.call(s, "PUT", "/api/v1/staff/centers/"+id, map[string]any{"two_step_available": true, "grace_logins": 2})
		expect(t, k.call(s, "PUT", "/api/v1/staff/centers/999", map[string]any{"two_step_available": true}), 404, "not_found")
		k.call(s, "POST", "/api/v1/staff/centers/"+id+"/users", map[string]string{"username": "birch", "email": "b@example.org", "password": pw, "role": "admin"})
		expect(t, k.call(s, "POST", "/api/v1/staff/centers/"+id+"/users", map[string]string{"username": "birch2", "email": "b@example.org", "password": "password1234", "role": "admin"}), 400, "weak_password")
		k.call(s, "GET", "/api/v1/staff/audit?center="+id, nil)
		dev := deliver.NewDev(p.store, p.clock, slog.New(slog.DiscardHandler))
		if err := dev.Send(t.Context(), twostep.OutboxMessage{Channel: "sms", To: "+12015550123", Body: "Provider Portal verification code: 123456."}); err != nil {
			t.Fatal(err)
		}
		if a := k.call(s, "GET", "/api/v1/dev/outbox", nil); len(a.list) != 1 {
			t.Fatalf("dev outbox: %s", a.raw)
		}
		expect(t, k.call(admin, "GET", "/api/v1/dev/outbox", nil), 403, "forbidden")
	})
}
