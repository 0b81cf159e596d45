package web_test

import (
	"encoding/csv"
	"strings"
	"testing"

	"github.com/providerportal/portal/internal/twostep"
)

// Every role against every admin, staff and dev route: the server, not the
// pages, decides who may do what.
func TestRoleRouteMatrix(t *testing.T) {
	each(t, opts{}, func(t *testing.T, p *portal) {
		p.beta(true)
		p.user("boss", twostep.RoleAdmin)
		p.user("jdoe", twostep.RoleProvider)
		p.user("victim", twostep.RoleProvider)
		clients := map[string]*client{"anonymous": p.client(), "provider": p.client(), "admin": p.client(), "staff": p.client()}
		clients["provider"].login("jdoe")
		clients["admin"].login("boss")
		clients["staff"].login("am")
		type route struct {
			method, path, body string
			allowed            string // the roles that may, separated by spaces
		}
		n := 0
		uniq := func() string { n++; return "u" + strings.Repeat("x", n) }
		routes := []func() route{
			func() route { return route{"GET", "/api/v1/admin/users", "", "admin"} },
			func() route {
				return route{"POST", "/api/v1/admin/users", `{"username":"` + uniq() + `","email":"n@example.org","password":"` + pw + `","role":"provider"}`, "admin"}
			},
			func() route { return route{"PUT", "/api/v1/admin/policy", `{"grace_logins":3}`, "admin"} },
			func() route { return route{"POST", "/api/v1/admin/users/victim/reset-two-step", "", "admin staff"} },
			func() route { return route{"GET", "/api/v1/admin/audit", "", "admin staff"} },
			func() route { return route{"POST", "/api/v1/staff/centers", `{"name":"` + uniq() + `"}`, "staff"} },
			func() route { return route{"GET", "/api/v1/staff/centers", "", "staff"} },
			func() route { return route{"PUT", "/api/v1/staff/centers/1", `{"two_step_available":true}`, "staff"} },
			func() route {
				return route{"POST", "/api/v1/staff/centers/1/users", `{"username":"` + uniq() + `","email":"n@example.org","password":"` + pw + `","role":"provider"}`, "staff"}
			},
			func() route { return route{"GET", "/api/v1/dev/outbox", "", "staff"} },
			func() route { return route{"GET", "/admin", "", "admin"} },
			func() route { return route{"GET", "/admin/users.csv", "", "admin"} },
			func() route { return route{"GET", "/admin/audit", "", "admin staff"} },
			func() route { return route{"GET", "/staff", "", "staff"} },
			func() route { return route{"GET", "/staff/audit", "", "admin staff"} },
			func() route { return route{"GET", "/dev/outbox", "", "staff"} },
		}
		for _, mk := range routes {
			for _, role := range []string{"anonymous", "provider", "admin", "staff"} {
				r := mk()
				var body any
				if r.body != "" {
					body = r.body
				}
				hdr := []string{}
				if !strings.HasPrefix(r.path, "/api/") {
					hdr = []string{"Accept", "text/html"}
				}
				a := clients[role].do(r.method, r.path, body, hdr...)
				ok := a.status >= 200 && a.status < 300
				switch {
				case strings.Contains(r.allowed, role) && !ok:
					t.Errorf("%s %s as %s: %d %s", r.method, r.path, role, a.status, a.raw)
				case !strings.Contains(r.allowed, role) && ok:
					t.Errorf("%s %s as %s was allowed: %d", r.method, r.path, role, a.status)
				case role == "anonymous" && !(a.status == 401 || (a.status == 303 && a.header.Get("Location") == "/login")):
					t.Errorf("%s %s anonymous: %d", r.method, r.path, a.status)
				}
			}
		}
	})
}

func TestAdminAndStaffPages(t *testing.T) {
	each(t, opts{}, func(t *testing.T, p *portal) {
		staff := p.client()
		staff.form("/login", "username", "am", "password", pw)
		contains(t, staff.page("/staff"), "Maple Clinic", "Turn beta on")
		a := staff.form("/staff/centers", "name", "Oak School", "username", "oakadmin", "email", "bad", "password", pw)
		contains(t, a, `id="email-error"`, `value="Oak School"`)
		if _, err := p.svc.CenterByName(t.Context(), "Oak School"); err == nil {
			t.Fatal("a refused form left a center behind")
		}
		redirectsTo(t, staff.form("/staff/centers", "name", "Oak School", "username", "oakadmin", "email", "oak@example.org", "password", pw), "/staff?done=center")
		redirectsTo(t, staff.form("/staff/centers/1/beta", "on", "true"), "/staff?done=beta-on&who=Maple+Clinic")
		contains(t, staff.page("/staff?done=beta-on&who=Maple+Clinic"), "Turn beta off", "The 2-Step Verification beta is on for Maple Clinic.")
		if lie := staff.page("/staff?done=beta-off&who=Maple+Clinic"); strings.Contains(string(lie.raw), "beta is off for") {
			t.Fatal("a crafted link made the page say the beta is off while it is on")
		}
		contains(t, staff.page("/staff/centers/1/beta"), "Turn the beta off for Maple Clinic?", `name="on" value="false"`)

		p.user("jdoe", twostep.RoleProvider)
		admin := p.client()
		admin.form("/login", "username", "oakadmin", "password", pw)
		contains(t, admin.page("/admin"), "Oak School", "not available for your center yet")
		admin = p.client()
		p.user("boss", twostep.RoleAdmin)
		admin.form("/login", "username", "boss", "password", pw)
		contains(t, admin.page("/admin"), "Maple Clinic", "Require 2-Step Verification", "jdoe", "Download as CSV")
		contains(t, admin.form("/admin/policy", "two_step_required", "true", "grace_logins", "-2", "allowed_methods", "totp"), `id="grace_logins-error"`)
		contains(t, admin.form("/admin/policy", "two_step_required", "true", "grace_logins", "1"), "Allow at least one kind")
		redirectsTo(t, admin.form("/admin/policy", "two_step_required", "true", "grace_logins", "1", "allowed_methods", "totp", "allowed_methods", "email"), "/admin?done=policy")
		ctr, _ := p.svc.CenterByName(t.Context(), "Maple Clinic")
		if !ctr.TwoStepRequired || ctr.GraceLogins != 1 || ctr.Allows(twostep.MethodPhone) {
			t.Fatalf("policy not saved: %+v", ctr)
		}
		a = admin.page("/admin/users.csv")
		rows, err := csv.NewReader(strings.NewReader(string(a.raw))).ReadAll()
		if err != nil || len(rows) != 3 || strings.Join(rows[0], ",") != "username,role,two_step_on,methods,grace_logins_left" || rows[2][0] != "jdoe" || rows[2][4] != "1" {
			t.Fatalf("csv %q %v", rows, err)
		}
		redirectsTo(t, admin.form("/admin/invitations", "username", "nurse", "email", "nurse@example.org", "role", "provider"), "/admin?done=invited&who=nurse")
		contains(t, admin.form("/admin/users/jdoe/reset", "password", "wrong wrong wrong"), `id="password-error"`)
		redirectsTo(t, admin.form("/admin/users/jdoe/reset", "password", pw), "/admin?done=reset&who=jdoe")
		if a := admin.form("/admin/users/oakadmin/reset", "password", pw); a.status != 404 {
			t.Fatalf("reset across centers: %d", a.status)
		}
		contains(t, admin.page("/admin/audit"), "changed the 2-Step Verification policy", "reset 2-Step Verification for jdoe", "invited nurse (Provider)")
		if strings.Contains(string(admin.page("/admin/audit").raw), "Oak School") {
			t.Fatal("another center's events in the audit log")
		}
		contains(t, staff.page("/staff/audit"), "created the center Oak School", "reset 2-Step Verification for jdoe")
	})
}
