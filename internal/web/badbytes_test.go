package web_test

import (
	"context"
	"strings"
	"testing"

	"github.com/providerportal/portal/internal/twostep"
)

// Security review, finding 1: bytes PostgreSQL refuses (invalid UTF-8, NUL) in a
// header or a typed name must neither suppress audit rows and notices nor turn
// into a 500. Runs on both databases; PostgreSQL is where it broke.
func TestOddBytesAreRecordedNotRefused(t *testing.T) {
	each(t, opts{}, func(t *testing.T, p *portal) {
		p.beta(true)
		p.user("boss", twostep.RoleAdmin)
		p.user("jdoe", twostep.RoleProvider)
		ua := "Mozilla\xff\xfe evil. Questions: https://it-help.evil.example/verify"
		c := p.client()
		expect(t, c.do("POST", "/api/v1/login", map[string]string{"username": "jdoe", "password": "wrong password here"}, "User-Agent", ua), 401, "invalid_credentials")
		if n := countAudit(t, p, "jdoe", "login_failed"); n != 1 {
			t.Fatalf("login_failed rows: %d", n)
		}
		if a := c.do("POST", "/api/v1/login", map[string]string{"username": "jdoe", "password": pw}, "User-Agent", ua); a.status != 200 {
			t.Fatalf("sign-in with an odd user agent: %d %s", a.status, a.raw)
		}
		turnOn(c)
		c.do("POST", "/api/v1/account/methods/email", map[string]string{"email": "j@example.net", "confirm_email": "j@example.net"}, "User-Agent", ua)
		if a := c.do("POST", "/api/v1/account/methods/email/verify", map[string]string{"code": p.lastCode("j@example.net")}, "User-Agent", ua); a.status != 201 {
			t.Fatalf("verify: %s", a.raw)
		}
		if n := countAudit(t, p, "jdoe", "method_added"); n != 1 {
			t.Fatalf("method_added rows: %d", n)
		}
		msgs, err := p.store.ClaimOutbox(context.Background(), "t", p.clock.Now(), 1, 100)
		if err != nil {
			t.Fatal(err)
		}
		notice := ""
		for _, m := range msgs {
			if m.To == "jdoe@example.org" && strings.Contains(m.Subject, "added") {
				notice = m.Body
			}
		}
		if notice == "" || strings.Contains(notice, "evil") || strings.Contains(notice, "it-help") {
			t.Fatalf("notice missing or carrying the raw header: %q", notice)
		}
		// Names with bytes no one types: a clear 4xx, never a 500.
		expect(t, p.client().do("POST", "/api/v1/login", map[string]string{"username": "a\x00b", "password": "aaaaaaaaaaaaaa"}), 400, "invalid_request")
		if a := p.client().form("/login", "username", "a\x00b", "password", "aaaaaaaaaaaaaa"); a.status != 400 {
			t.Fatalf("form login with NUL: %d", a.status)
		}
		admin := p.client()
		admin.login("boss")
		expect(t, admin.do("POST", "/api/v1/admin/users/a%00b/reset-two-step", nil), 404, "not_found")
		if a := admin.do("GET", "/api/v1/admin/audit?person=a%00b", nil); a.status != 200 {
			t.Fatalf("audit filter with NUL: %d", a.status)
		}
		staff := p.client()
		staff.login("am")
		expect(t, staff.do("POST", "/api/v1/staff/centers", map[string]string{"name": "x\x00y"}), 400, "invalid_request")
	})
}
