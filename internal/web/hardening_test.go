package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/twostep"
)

// Issue 10, finding 1: a path value must never steer a form. The reset page of
// a user that does not exist is a 404, and the form posts to an address built
// from the stored, escaped username.
func TestAdminResetFormAddressComesFromTheStoredUser(t *testing.T) {
	each(t, opts{}, func(t *testing.T, p *portal) {
		p.beta(true)
		p.user("boss", twostep.RoleAdmin)
		p.user("ann.lee", twostep.RoleProvider)
		c := p.client()
		c.form("/login", "username", "boss", "password", pw)
		for _, path := range []string{
			"/admin/users/..%2F..%2Faccount%2Ftwo-step%2Foff%3Fu%3Dsomeone/reset",
			"/admin/users/..%2F..%2Faccount%2Frecovery-codes/reset",
			"/admin/users/nobody/reset",
		} {
			a := c.page(path)
			if a.status != 404 || strings.Contains(string(a.raw), `action="/admin/users/..`) {
				t.Fatalf("%s: %d\n%s", path, a.status, a.raw)
			}
			if a := c.form(path, "password", pw); a.status != 404 {
				t.Fatalf("POST %s: %d", path, a.status)
			}
		}
		contains(t, c.page("/admin/users/ann.lee/reset"), `action="/admin/users/ann.lee/reset"`)
		contains(t, c.page("/admin"), `href="/admin/users/ann.lee/reset"`)
		// The admin's own 2SV state was never touched by any of this.
		if n := countAudit(t, p, "boss", "two_step_off"); n != 0 {
			t.Fatalf("the admin's 2SV was turned off")
		}
	})
}

// Issue 10, finding 6: a banner shows only text the server chose.
func TestBannersShowOnlyServerText(t *testing.T) {
	each(t, opts{}, func(t *testing.T, p *portal) {
		p.beta(true)
		p.user("boss", twostep.RoleAdmin)
		p.user("jdoe", twostep.RoleProvider)
		c := p.client()
		c.form("/login", "username", "boss", "password", pw)
		lure := "Your account is compromised. Call 555-0100 now"
		for _, done := range []string{"reset", "added"} {
			a := c.page("/admin?done=" + done + "&who=" + strings.ReplaceAll(lure, " ", "+"))
			if a.status != 200 || strings.Contains(string(a.raw), `class="flash"`) {
				t.Fatalf("done=%s shows the URL's text: %s", done, a.raw)
			}
		}
		contains(t, c.page("/admin?done=reset&who=jdoe"), "jdoe")
		// Someone of another center is not a name this admin's page lists.
		a := c.page("/admin?done=reset&who=am")
		if strings.Contains(string(a.raw), `class="flash"`) {
			t.Fatalf("a name the page does not list was shown: %s", a.raw)
		}
	})
}

// Issue 10, finding 4: a sign-in route never changes the account. "Set up now"
// only navigates; a session that has not finished signing in changes nothing.
func TestGraceNoticeNeverChangesTheAccount(t *testing.T) {
	each(t, opts{}, func(t *testing.T, p *portal) {
		p.beta(true)
		p.require(true)
		p.user("jdoe", twostep.RoleProvider)
		other := p.client()
		other.login("jdoe")
		c := p.client()
		c.form("/login", "username", "jdoe", "password", pw)
		redirectsTo(t, c.form("/login/dismiss", "next", "setup"), "/account?done=setup#two-step")
		if n := countAudit(t, p, "jdoe", "two_step_on"); n != 0 {
			t.Fatalf("set up now turned 2SV on from a sign-in route")
		}
		if a := other.do("GET", "/api/v1/account", nil); a.status != 200 {
			t.Fatalf("the person's other session ended: %s", a.raw)
		}
		if a := c.do("GET", "/api/v1/account", nil); a.body["two_step"].(map[string]any)["on"] != false {
			t.Fatalf("2SV on after set up now: %s", a.raw)
		}

		// A session waiting for its second step (and one that must set up) gets
		// sent back where it belongs, with nothing changed.
		p.user("kim", twostep.RoleProvider)
		k := p.client()
		k.login("kim")
		turnOn(k)
		k.do("POST", "/api/v1/account/methods/email", map[string]string{"email": "k@example.net", "confirm_email": "k@example.net"})
		k.do("POST", "/api/v1/account/methods/email/verify", map[string]string{"code": p.lastCode("k@example.net")})
		pending := p.client()
		if a := pending.form("/login", "username", "kim", "password", pw); a.header.Get("Location") != "/login/verify" {
			t.Fatalf("kim: %d %s", a.status, a.header.Get("Location"))
		}
		before := countAudit(t, p, "kim", "two_step_on")
		redirectsTo(t, pending.form("/login/dismiss", "next", "setup"), "/login/verify")
		if countAudit(t, p, "kim", "two_step_on") != before {
			t.Fatal("a two_step session changed the account")
		}
		if a := k.do("GET", "/api/v1/account", nil); a.status != 200 {
			t.Fatalf("kim's signed-in session ended: %s", a.raw)
		}
		if a := pending.do("GET", "/api/v1/session", nil); a.body["state"] != "two_step" {
			t.Fatalf("pending session state: %s", a.raw)
		}
	})
}

// Issue 10, finding 5: two parallel deletes of a person's last two methods under
// a requirement cannot both succeed; one method always stays.
func TestParallelDeletesKeepTheLastMethod(t *testing.T) {
	each(t, opts{}, func(t *testing.T, p *portal) {
		p.beta(true)
		for round := range 6 {
			name := "r" + string(rune('a'+round))
			p.user(name, twostep.RoleProvider)
			c := p.client()
			c.login(name)
			turnOn(c)
			for _, m := range []struct{ typ, field, dest string }{{"email", "email", name + "@example.net"}, {"phone", "phone", "+12015550123"}} {
				if a := c.do("POST", "/api/v1/account/methods/"+m.typ, map[string]string{m.field: m.dest, "confirm_" + m.field: m.dest}); a.status != 202 {
					t.Fatalf("start %s: %s", m.typ, a.raw)
				}
				if a := c.do("POST", "/api/v1/account/methods/"+m.typ+"/verify", map[string]string{"code": p.lastCode(m.dest)}); a.status != 201 {
					t.Fatalf("verify %s: %s", m.typ, a.raw)
				}
			}
			p.require(true)
			statuses := make(chan int, 2)
			var wg sync.WaitGroup
			for _, typ := range []string{"email", "phone"} {
				wg.Go(func() {
					statuses <- c.do("DELETE", "/api/v1/account/methods/"+typ, map[string]string{"password": pw}).status
				})
			}
			wg.Wait()
			close(statuses)
			got := map[int]int{}
			for st := range statuses {
				got[st]++
			}
			if got[204] != 1 || got[409] != 1 {
				t.Fatalf("round %d: statuses %v, want one 204 and one 409", round, got)
			}
			a := c.do("GET", "/api/v1/account", nil)
			if n := len(a.body["two_step"].(map[string]any)["methods"].([]any)); n != 1 {
				t.Fatalf("round %d: %d methods left under the requirement", round, n)
			}
			p.require(false)
		}
	})
}

// Issue 10, finding 8: with PORTAL_METRICS_ADDR the public handler has no
// /metrics; /static/ serves files, never a listing.
func TestMetricsElsewhereAndNoStaticListing(t *testing.T) {
	each(t, opts{metricsElsewhere: true}, func(t *testing.T, p *portal) {
		c := p.client()
		if a := c.do("GET", "/metrics", nil); a.status != 404 || strings.Contains(string(a.raw), "go_goroutines") {
			t.Fatalf("public /metrics: %d", a.status)
		}
		m := httptest.NewServer(p.web.MetricsHandler())
		defer m.Close()
		resp, err := http.Get(m.URL + "/metrics")
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("metrics listener: %v %v", resp, err)
		}
		resp.Body.Close()
		for _, path := range []string{"/static/", "/static/nothing.css"} {
			if a := c.page(path); a.status != 404 || strings.Contains(string(a.raw), `href="style.css"`) {
				t.Fatalf("%s: %d %s", path, a.status, a.raw)
			}
		}
		if a := c.page("/static/style.css"); a.status != 200 {
			t.Fatalf("style.css: %d", a.status)
		}
	})
	each(t, opts{}, func(t *testing.T, p *portal) {
		if a := p.client().do("GET", "/metrics", nil); a.status != 200 {
			t.Fatalf("default /metrics: %d", a.status)
		}
	})
}

// Issue 13, items 1 and 12: unknown addresses get the portal's own page (with
// the header of a signed-in person), the API its error shape, a wrong HTTP
// method a 405; the message shows once.
func TestOwnNotFoundPages(t *testing.T) {
	each(t, opts{}, func(t *testing.T, p *portal) {
		p.user("jdoe", twostep.RoleProvider)
		c := p.client()
		a := c.page("/no/such/page")
		contains(t, a, "Page not found", "There is no such page.", `href="/"`)
		if a.status != 404 || strings.Contains(string(a.raw), "404 page not found") {
			t.Fatalf("404: %d %s", a.status, a.raw)
		}
		c.login("jdoe")
		a = c.page("/no/such/page")
		contains(t, a, `href="/account"`)
		if n := strings.Count(string(a.raw), "There is no such page."); n != 1 {
			t.Fatalf("message shown %d times", n)
		}
		expect(t, c.do("GET", "/api/v1/nothing", nil), 404, "not_found")
		b := c.do("GET", "/api/v1/login", nil)
		expect(t, b, 405, "http_method_not_allowed")
		if !strings.Contains(b.header.Get("Allow"), "POST") {
			t.Fatalf("Allow: %q", b.header.Get("Allow"))
		}
		if a := c.do("DELETE", "/account", nil, "Accept", "text/html"); a.status != 405 || !strings.Contains(string(a.raw), "<h1>") {
			t.Fatalf("page 405: %d %s", a.status, a.raw)
		}
		// The error page after an authenticated route's failure keeps the header.
		contains(t, c.page("/account/methods/nope/add"), `href="/account"`)
	})
}

// Issue 13, item 3: a form with several mistakes shows them all in a summary at
// the top, linking to each field, marks every bad field and keeps what was
// typed; the API lists them too.
func TestFormErrorsAllAtOnce(t *testing.T) {
	each(t, opts{}, func(t *testing.T, p *portal) {
		p.beta(true)
		p.user("boss", twostep.RoleAdmin)
		staff := p.client()
		staff.form("/login", "username", "am", "password", pw)
		a := staff.form("/staff/centers", "name", "", "username", "bad name!", "email", "nope", "password", "short")
		if a.status != 400 {
			t.Fatalf("status %d", a.status)
		}
		contains(t, a, `class="alert error-summary"`, `href="#name"`, `href="#username"`, `href="#email"`, `href="#password"`,
			`id="name-error"`, `id="username-error"`, `value="bad name!"`, `value="nope"`)
		if strings.Count(string(a.raw), `aria-invalid="true"`) != 4 {
			t.Fatalf("every bad field marked:\n%s", a.raw)
		}
		admin := p.client()
		admin.form("/login", "username", "boss", "password", pw)
		a = admin.form("/admin/policy", "grace_logins", "-4", "allowed_methods", "sms")
		contains(t, a, `value="-4"`, `href="#grace_logins"`, `href="#allowed_methods"`)
		if strings.Contains(string(a.raw), `id="required" name="two_step_required" value="true" checked`) {
			t.Fatal("the box shows the saved value, not what was submitted")
		}
		api := admin.do("PUT", "/api/v1/admin/policy", map[string]any{"grace_logins": -4, "allowed_methods": []string{}})
		expect(t, api, 400, "invalid_request")
		if fields, _ := api.errField("fields").([]any); len(fields) != 2 {
			t.Fatalf("fields: %s", api.raw)
		}
	})
}

// Security review, finding 3: the JSON reset needs a recent sign-in or the
// admin's password, and nobody resets their own 2SV around the turn-off rules.
func TestAdminResetThroughTheAPINeedsRecentSignIn(t *testing.T) {
	each(t, opts{}, func(t *testing.T, p *portal) {
		p.beta(true)
		p.user("boss", twostep.RoleAdmin)
		p.user("jdoe", twostep.RoleProvider)
		admin := p.client()
		admin.login("boss")
		expect(t, admin.do("POST", "/api/v1/admin/users/boss/reset-two-step", nil), 409, "conflict")
		if a := admin.do("POST", "/api/v1/admin/users/jdoe/reset-two-step", nil); a.status != 204 {
			t.Fatalf("fresh sign-in: %d %s", a.status, a.raw)
		}
		for range 4 {
			p.clock.Add(5 * time.Minute) // keep the session alive, let the sign-in age
			admin.do("GET", "/api/v1/session", nil)
		}
		expect(t, admin.do("POST", "/api/v1/admin/users/jdoe/reset-two-step", nil), 401, "reauthentication_required")
		expect(t, admin.do("POST", "/api/v1/admin/users/jdoe/reset-two-step", map[string]string{"password": "not my password"}), 401, "invalid_credentials")
		if a := admin.do("POST", "/api/v1/admin/users/jdoe/reset-two-step", map[string]string{"password": pw}); a.status != 204 {
			t.Fatalf("with the password: %d %s", a.status, a.raw)
		}
		// The page always asks for the password.
		if a := admin.form("/admin/users/jdoe/reset", "password", ""); a.status != 401 {
			t.Fatalf("page without a password: %d", a.status)
		}
	})
}

// Security review, finding 4: the "last method" rule counts only methods the
// center allows (only those sign in).
func TestLastMethodRuleCountsOnlyAllowedMethods(t *testing.T) {
	each(t, opts{}, func(t *testing.T, p *portal) {
		p.beta(true)
		p.user("jdoe", twostep.RoleProvider)
		c := p.client()
		c.login("jdoe")
		turnOn(c)
		c.do("POST", "/api/v1/account/methods/email", map[string]string{"email": "j@example.net", "confirm_email": "j@example.net"})
		c.do("POST", "/api/v1/account/methods/email/verify", map[string]string{"code": p.lastCode("j@example.net")})
		setup := c.do("POST", "/api/v1/account/methods/totp", nil)
		if a := c.do("POST", "/api/v1/account/methods/totp/verify", map[string]string{"code": twostep.TOTPCode(setup.body["secret"].(string), p.clock.Now())}); a.status != 201 {
			t.Fatalf("totp: %s", a.raw)
		}
		on := true
		if _, err := p.svc.SetPolicy(context.Background(), p.staff, p.center.ID, twostep.Policy{TwoStepRequired: &on, AllowedMethods: []twostep.MethodType{twostep.MethodTOTP}}, twostep.Client{}); err != nil {
			t.Fatal(err)
		}
		expect(t, c.do("DELETE", "/api/v1/account/methods/totp", map[string]string{"password": pw}), 409, "last_method_required")
		// The email no longer signs in, so deleting it is fine.
		if a := c.do("DELETE", "/api/v1/account/methods/email", map[string]string{"password": pw}); a.status != 204 {
			t.Fatalf("delete the disallowed email: %d %s", a.status, a.raw)
		}
	})
}
