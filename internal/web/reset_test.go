package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/twostep"
)

func TestPasswordResetAPI(t *testing.T) {
	each(t, opts{}, func(t *testing.T, p *portal) {
		p.user("jdoe", twostep.RoleProvider)
		old := p.client()
		old.login("jdoe")
		c := p.client()
		// The same answer for an account and for nobody.
		known := c.do("POST", "/api/v1/password-reset", `{"login":"jdoe"}`)
		unknown := c.do("POST", "/api/v1/password-reset", `{"login":"nobody@example.org"}`)
		expectStatus(t, known, 202)
		if unknown.status != known.status || string(unknown.raw) != string(known.raw) {
			t.Fatalf("answers differ: %s / %s", known.raw, unknown.raw)
		}
		expect(t, c.do("POST", "/api/v1/password-reset", `{"login":""}`), 400, "invalid_request")
		tok := p.linkToken("jdoe@example.org")
		// Bad links: one clear answer, never a 500, nothing about the account.
		for _, bad := range []string{"", "x", strings.Repeat("A", 43), tok[:40] + "!!!", `\u0000`} {
			expect(t, c.do("POST", "/api/v1/password-reset/start", map[string]string{"token": bad}), 410, "link_expired")
		}
		expect(t, c.do("POST", "/api/v1/password-reset/finish", `{"new_password":"`+newPW+`"}`), 401, "unauthenticated")
		a := c.do("POST", "/api/v1/password-reset/start", map[string]string{"token": tok})
		if a.status != 200 || a.body["state"] != "choose_password" || c.cookieValue() == "" {
			t.Fatalf("start: %d %s", a.status, a.raw)
		}
		expect(t, c.do("GET", "/api/v1/account", nil), 403, "forbidden")
		expect(t, c.do("POST", "/api/v1/password-reset/finish", `{"new_password":"password1234"}`), 400, "weak_password")
		expectStatus(t, c.do("POST", "/api/v1/password-reset/finish", `{"new_password":"`+newPW+`"}`), 204)
		expect(t, old.do("GET", "/api/v1/account", nil), 401, "unauthenticated")
		expect(t, p.client().do("POST", "/api/v1/password-reset/start", map[string]string{"token": tok}), 410, "link_expired")
		expect(t, p.client().login("jdoe"), 401, "invalid_credentials")
		if a := p.client().do("POST", "/api/v1/login", map[string]string{"username": "jdoe", "password": newPW}); a.status != 200 {
			t.Fatalf("new password: %s", a.raw)
		}
		// A normal session cannot finish a reset.
		s := p.client()
		s.do("POST", "/api/v1/login", map[string]string{"username": "jdoe", "password": newPW})
		expect(t, s.do("POST", "/api/v1/password-reset/finish", `{"new_password":"`+newPW+`x"}`), 403, "forbidden")
	})
}

func TestPasswordResetSecondStepAPI(t *testing.T) {
	each(t, opts{}, func(t *testing.T, p *portal) {
		secret := p.withTOTP("jdoe")
		c := p.client()
		c.do("POST", "/api/v1/password-reset", `{"login":"JDOE@example.org"}`)
		a := c.do("POST", "/api/v1/password-reset/start", map[string]string{"token": p.linkToken("jdoe@example.org")})
		if a.status != 200 || a.body["state"] != "two_step" || a.body["selected"] != "totp" || len(a.body["methods"].([]any)) != 1 {
			t.Fatalf("start: %s", a.raw)
		}
		expect(t, c.do("POST", "/api/v1/password-reset/finish", `{"new_password":"`+newPW+`"}`), 403, "two_step_pending")
		expect(t, c.do("GET", "/api/v1/account", nil), 403, "two_step_pending")
		expect(t, c.do("POST", "/api/v1/login/verify", `{"method":"totp","code":"000000"}`), 401, "invalid_code")
		a = c.do("POST", "/api/v1/login/verify", map[string]any{"method": "totp", "code": p.totpNow(secret), "trust_browser": true})
		if a.status != 200 || a.body["state"] != "choose_password" {
			t.Fatalf("verify: %s", a.raw)
		}
		if a.header.Get("Set-Cookie") != "" && strings.Contains(strings.Join(a.header.Values("Set-Cookie"), " "), "portal_trusted") {
			t.Fatal("a password reset trusted the browser")
		}
		if s := c.do("GET", "/api/v1/session", nil); s.body["state"] != "choose_password" {
			t.Fatalf("session: %s", s.raw)
		}
		expect(t, c.do("GET", "/api/v1/account", nil), 403, "forbidden")
		expectStatus(t, c.do("POST", "/api/v1/password-reset/finish", `{"new_password":"`+newPW+`"}`), 204)
		// The reset did not sign anyone in: the next sign-in asks the second step.
		if a := p.client().do("POST", "/api/v1/login", map[string]string{"username": "jdoe", "password": newPW}); a.body["state"] != "two_step" {
			t.Fatalf("after reset: %s", a.raw)
		}
	})
}

func TestPasswordResetSendLimit(t *testing.T) {
	set := func(s *twostep.Settings) { s.SendCaps.Address = twostep.Cap{PerHour: 2} }
	each(t, opts{set: set}, func(t *testing.T, p *portal) {
		c := p.client()
		c.do("POST", "/api/v1/password-reset", `{"login":"a"}`)
		c.do("POST", "/api/v1/password-reset", `{"login":"b"}`)
		a := c.do("POST", "/api/v1/password-reset", `{"login":"c"}`)
		expect(t, a, 429, "send_limit_reached")
		if a.header.Get("Retry-After") == "" || a.errField("retry_after_seconds") == nil {
			t.Fatalf("no retry-after: %v %s", a.header, a.raw)
		}
	})
}

// The pages: "Forgot password?" on the sign-in page, the same page after
// asking whatever the account, a link that starts nothing by itself, the
// second step when it applies, the new password, then a normal sign-in.
func TestPasswordResetPages(t *testing.T) {
	each(t, opts{}, func(t *testing.T, p *portal) {
		secret := p.withTOTP("jdoe")
		c := p.client()
		contains(t, c.page("/login"), `href="/forgot-password"`, "Forgot password?")
		contains(t, c.page("/forgot-password"), `<label for="login">Username or email address</label>`, `autocomplete="username"`)
		contains(t, c.form("/forgot-password", "login", ""), `id="login-error"`)
		sent := c.form("/forgot-password", "login", "jdoe")
		nobody := c.form("/forgot-password", "login", "ghost")
		contains(t, sent, "Check your email", "works once, for 30 minutes")
		if sent.status != 200 || nobody.status != 200 || strings.ReplaceAll(string(nobody.raw), "ghost", "jdoe") != string(sent.raw) {
			t.Fatal("the page after asking tells whether the account exists")
		}
		tok := p.linkToken("jdoe@example.org")
		for _, bad := range []string{"", "?token=", "?token=abc", "?token=" + strings.Repeat("A", 43), "?token=%00%ff"} {
			a := c.page("/password-reset" + bad)
			if a.status != 410 {
				t.Fatalf("%q: %d", bad, a.status)
			}
			contains(t, a, "This link no longer works", `href="/forgot-password"`)
		}
		landing := c.page("/password-reset?token=" + tok)
		contains(t, landing, `action="/password-reset/start"`, `name="token" value="`+tok+`"`, "Continue")
		redirectsTo(t, c.form("/password-reset/start", "token", tok), "/login/verify")
		contains(t, c.page("/login/verify"), "To choose a new password, first confirm it is you.")
		if strings.Contains(string(c.page("/login/verify").raw), "trust_browser") {
			t.Fatal("a password reset offers to trust the browser")
		}
		redirectsTo(t, c.page("/account"), "/login/verify")
		redirectsTo(t, c.form("/login/verify", "method", "totp", "code", p.totpNow(secret)), "/password-reset/new")
		redirectsTo(t, c.page("/account"), "/password-reset/new")
		contains(t, c.page("/password-reset/new"), `autocomplete="new-password"`, "Choose the new password of jdoe")
		weak := c.form("/password-reset/new", "new_password", "jdoejdoejdoe")
		if weak.status != 400 {
			t.Fatalf("weak: %d", weak.status)
		}
		contains(t, weak, `id="new_password-error"`)
		redirectsTo(t, c.form("/password-reset/new", "new_password", newPW), "/login?done=password-reset")
		contains(t, c.page("/login?done=password-reset"), "Your password was changed. Sign in with your new password.")
		contains(t, c.page("/password-reset?token="+tok), "This link no longer works")
		if a := c.form("/password-reset/start", "token", tok); a.status != 410 {
			t.Fatalf("used link: %d", a.status)
		}
		// In Spanish.
		es := c.do("GET", "/password-reset?token="+tok, nil, "Accept", "text/html", "Accept-Language", "es")
		contains(t, es, "Este enlace ya no funciona", "Este enlace caducó o ya se usó.")
	})
}

// An expired link at the last step: a clear page, the session gone.
func TestPasswordResetExpiresMidway(t *testing.T) {
	each(t, opts{}, func(t *testing.T, p *portal) {
		p.user("jdoe", twostep.RoleProvider)
		c := p.client()
		c.form("/forgot-password", "login", "jdoe")
		redirectsTo(t, c.form("/password-reset/start", "token", p.linkToken("jdoe@example.org")), "/password-reset/new")
		p.clock.Add(29 * time.Minute) // the session is still fresh; the link is not
		c.page("/password-reset/new")
		p.clock.Add(2 * time.Minute)
		a := c.form("/password-reset/new", "new_password", newPW)
		if a.status != 410 {
			t.Fatalf("expired at the last step: %d %s", a.status, a.raw)
		}
		contains(t, a, "This link no longer works")
	})
}

// Odd bytes in what people type or their browser sends are cleaned, never a
// 500 (PostgreSQL refuses NUL and invalid UTF-8).
func TestPasswordResetOddBytes(t *testing.T) {
	each(t, opts{}, func(t *testing.T, p *portal) {
		p.user("jdoe", twostep.RoleProvider)
		c := p.client()
		expectStatus(t, c.do("POST", "/api/v1/password-reset", []byte("{\"login\":\"jd\\u0000oe\xff\"}"), "User-Agent", "Odd\xfeAgent"), 202)
		if a := c.form("/forgot-password", "login", "jdoe\x00\xfe"); a.status != 200 {
			t.Fatalf("forgot form: %d", a.status)
		}
		expectStatus(t, c.do("POST", "/api/v1/password-reset", `{"login":"jdoe"}`, "User-Agent", "Bad\xc0Agent\xff"), 202)
		if n, err := p.svc.HandleResetRequests(context.Background()); err != nil || n != 3 {
			t.Fatalf("handled %d: %v", n, err)
		}
		if msgs := p.messagesTo("jdoe@example.org"); len(msgs) != 1 {
			t.Fatalf("%d reset emails (only the clean request names the account)", len(msgs))
		}
		expect(t, c.do("POST", "/api/v1/invitations/accept", []byte("{\"token\":\"\\u0000\xff\",\"password\":\"x\"}")), 410, "link_expired")
		if a := c.do("POST", "/api/v1/login", map[string]string{"username": "jdoe", "password": pw}, "Cookie", "portal_trusted=a\xffb.\xfe.."+strings.Repeat("x.", 40)); a.status != 200 {
			t.Fatalf("login with an odd trusted cookie: %d %s", a.status, a.raw)
		}
	})
}
