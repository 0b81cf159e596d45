package web_test

import (
	"strings"
	"testing"

	"github.com/providerportal/portal/internal/twostep"
)

func TestInvitationsAPI(t *testing.T) {
	each(t, opts{}, func(t *testing.T, p *portal) {
		p.user("boss", twostep.RoleAdmin)
		p.user("jdoe", twostep.RoleProvider)
		admin := p.client()
		admin.login("boss")
		prov := p.client()
		prov.login("jdoe")
		expect(t, prov.do("POST", "/api/v1/admin/invitations", `{"username":"nurse","email":"nurse@example.org","role":"provider"}`), 403, "forbidden")
		a := admin.do("POST", "/api/v1/admin/invitations", `{"username":"nurse","email":"nurse@example.org","role":"provider"}`, "Accept-Language", "es")
		if a.status != 201 || a.body["username"] != "nurse" || a.body["expires_at"] == nil {
			t.Fatalf("invite: %d %s", a.status, a.raw)
		}
		expect(t, admin.do("POST", "/api/v1/admin/invitations", `{"username":"NURSE","email":"n@example.org","role":"admin"}`), 409, "username_taken")
		expect(t, admin.do("POST", "/api/v1/admin/invitations", `{"username":"jdoe","email":"n@example.org","role":"admin"}`), 409, "username_taken")
		expect(t, admin.do("POST", "/api/v1/admin/invitations", `{"username":"x","email":"n@example.org","role":"staff"}`), 400, "invalid_request")
		expect(t, admin.do("POST", "/api/v1/admin/users", `{"username":"nurse","email":"n@example.org","password":"`+pw+`","role":"provider"}`), 409, "conflict")
		list := admin.do("GET", "/api/v1/admin/invitations", nil)
		if list.status != 200 || len(list.list) != 1 || list.list[0].(map[string]any)["email"] != "nurse@example.org" || list.list[0].(map[string]any)["role"] != "provider" {
			t.Fatalf("list: %s", list.raw)
		}
		first := p.messagesTo("nurse@example.org")[0]
		if !strings.Contains(first.Subject, "tiene una invitación") {
			t.Fatalf("invitation not in the inviter's language: %q", first.Subject)
		}
		tok1 := tokenIn.FindStringSubmatch(first.Body)[1]
		if a := admin.do("POST", "/api/v1/admin/invitations/nurse/resend", nil); a.status != 200 {
			t.Fatalf("resend: %s", a.raw)
		}
		msgs := p.messagesTo("nurse@example.org")
		tok2 := tokenIn.FindStringSubmatch(msgs[len(msgs)-1].Body)[1]
		c := p.client()
		expect(t, c.do("POST", "/api/v1/invitations/accept", map[string]string{"token": tok1, "password": newPW}), 410, "link_expired")
		expect(t, c.do("POST", "/api/v1/invitations/accept", map[string]string{"token": "nonsense", "password": newPW}), 410, "link_expired")
		expect(t, c.do("POST", "/api/v1/invitations/accept", map[string]string{"token": tok2, "password": "nurse"}), 400, "weak_password")
		if a := c.do("POST", "/api/v1/invitations/accept", map[string]string{"token": tok2, "password": newPW}, "Accept-Language", "en"); a.status != 201 || a.body["username"] != "nurse" {
			t.Fatalf("accept: %s", a.raw)
		}
		expect(t, c.do("POST", "/api/v1/invitations/accept", map[string]string{"token": tok2, "password": newPW}), 410, "link_expired")
		if a := c.do("POST", "/api/v1/login", map[string]string{"username": "nurse", "password": newPW}); a.status != 200 {
			t.Fatalf("sign in: %s", a.raw)
		}
		if acct := c.do("GET", "/api/v1/account", nil); acct.body["center"] != "Maple Clinic" || acct.body["role"] != "provider" {
			t.Fatalf("account: %s", acct.raw)
		}
		// Revoke.
		admin.do("POST", "/api/v1/admin/invitations", `{"username":"temp","email":"temp@example.org","role":"admin"}`)
		expectStatus(t, admin.do("DELETE", "/api/v1/admin/invitations/temp", nil), 204)
		expect(t, admin.do("DELETE", "/api/v1/admin/invitations/temp", nil), 404, "not_found")
		if list := admin.do("GET", "/api/v1/admin/invitations", nil); len(list.list) != 0 {
			t.Fatalf("after revoke: %s", list.raw)
		}
	})
}

// The admin page invites instead of typing a first password; pending
// invitations are listed with resend and revoke; the link's page creates the account.
func TestInvitationPages(t *testing.T) {
	each(t, opts{}, func(t *testing.T, p *portal) {
		p.user("boss", twostep.RoleAdmin)
		admin := p.client()
		admin.form("/login", "username", "boss", "password", pw)
		page := admin.page("/admin")
		contains(t, page, "Invite a person", `action="/admin/invitations"`, "works once, for 7 days", "No pending invitations.")
		if strings.Contains(string(page.raw), `type="password"`) {
			t.Fatal("the admin page still asks for a first password")
		}
		contains(t, admin.form("/admin/invitations", "username", "bad name", "email", "n@example.org", "role", "provider"), `id="username-error"`, `value="n@example.org"`)
		redirectsTo(t, admin.form("/admin/invitations", "username", "nurse", "email", "nurse@example.org", "role", "admin"), "/admin?done=invited&who=nurse")
		contains(t, admin.page("/admin?done=invited&who=nurse"), "Invitation sent to nurse.", "nurse@example.org", `action="/admin/invitations/nurse/resend"`, `action="/admin/invitations/nurse/revoke"`)
		taken := admin.form("/admin/invitations", "username", "nurse", "email", "x@example.org", "role", "provider")
		if taken.status != 409 {
			t.Fatalf("taken: %d", taken.status)
		}
		contains(t, taken, "That username is taken.")
		redirectsTo(t, admin.form("/admin/invitations/nurse/resend"), "/admin?done=resent&who=nurse")
		msgs := p.messagesTo("nurse@example.org")
		tok := tokenIn.FindStringSubmatch(msgs[len(msgs)-1].Body)[1]
		c := p.client()
		for _, bad := range []string{"", "?token=zzz", "?token=" + tokenIn.FindStringSubmatch(msgs[0].Body)[1]} {
			if a := c.page("/invitation" + bad); a.status != 410 {
				t.Fatalf("%q: %d", bad, a.status)
			}
		}
		contains(t, c.page("/invitation?token="+tok), "Welcome to Provider Portal", "boss invited you as a center administrator of Maple Clinic", `autocomplete="new-password"`)
		weak := c.form("/invitation", "token", tok, "password", "short")
		if weak.status != 400 {
			t.Fatalf("weak: %d", weak.status)
		}
		contains(t, weak, `id="password-error"`, "Welcome to Provider Portal")
		redirectsTo(t, c.form("/invitation", "token", tok, "password", newPW), "/login?done=welcome")
		contains(t, c.page("/login?done=welcome"), "Your account is ready.")
		redirectsTo(t, c.form("/login", "username", "nurse", "password", newPW), "/account")
		contains(t, admin.page("/admin"), "No pending invitations.")
		// Revoke from the page.
		admin.form("/admin/invitations", "username", "temp", "email", "t@example.org", "role", "provider")
		redirectsTo(t, admin.form("/admin/invitations/temp/revoke"), "/admin?done=uninvited&who=temp")
		if a := admin.form("/admin/invitations/temp/revoke"); a.status != 404 {
			t.Fatalf("revoke twice: %d", a.status)
		}
	})
}
