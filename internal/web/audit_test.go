package web_test

import (
	"context"
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/twostep"
)

// Issue 13, item 11: the audit log reads as sentences, in the center's time
// zone, filtered by person and kind, and exports the filtered view as CSV.
func TestAuditLogForPeople(t *testing.T) {
	each(t, opts{}, func(t *testing.T, p *portal) {
		p.beta(true)
		p.user("boss", twostep.RoleAdmin)
		p.user("maria", twostep.RoleProvider)
		p.user("jdoe", twostep.RoleProvider)
		m := p.client()
		m.login("maria")
		turnOn(m)
		if a := m.do("POST", "/api/v1/account/two-step/off", map[string]string{"password": pw}); a.status != 200 {
			t.Fatalf("off: %s", a.raw)
		}
		p.client().login("jdoe")
		admin := p.client()
		admin.form("/login", "username", "boss", "password", pw)

		// The center's time zone: saved from the admin page, refused when unknown.
		if a := admin.form("/admin/time-zone", "time_zone", "Mars/Olympus_Mons"); a.status != 400 {
			t.Fatalf("unknown zone: %d", a.status)
		} else {
			contains(t, a, `id="time_zone-error"`, `value="Mars/Olympus_Mons"`)
		}
		redirectsTo(t, admin.form("/admin/time-zone", "time_zone", "America/Chicago"), "/admin?done=zone")
		if a := admin.do("PUT", "/api/v1/admin/policy", map[string]string{"time_zone": "Nowhere/Land"}); a.status != 400 || a.errField("field") != "time_zone" {
			t.Fatalf("API unknown zone: %s", a.raw)
		}

		page := admin.page("/admin/audit")
		contains(t, page, "maria turned off 2-Step Verification", "maria turned on 2-Step Verification", "jdoe signed in",
			"Times are in America/Chicago.")
		chicago, _ := time.LoadLocation("America/Chicago")
		if zone := p.clock.Now().In(chicago).Format("MST"); !strings.Contains(string(page.raw), zone) {
			t.Fatalf("times not shown in %s", zone)
		}

		// By person: maria's events only.
		page = admin.page("/admin/audit?person=maria")
		contains(t, page, "maria turned off", `<option value="maria" selected>`)
		if strings.Contains(string(page.raw), "jdoe signed in") {
			t.Fatal("person filter shows someone else")
		}
		// By kind: 2SV changes only.
		page = admin.page("/admin/audit?kind=two_step")
		contains(t, page, "maria turned off")
		if strings.Contains(string(page.raw), "signed in") {
			t.Fatal("kind filter shows sign-ins")
		}
		if a := admin.page("/admin/audit?kind=bogus"); a.status != 400 {
			t.Fatalf("bad kind: %d", a.status)
		}
		// The CSV of the filtered view holds just those events.
		contains(t, page, `href="/admin/audit.csv?kind=two_step"`)
		a := admin.page("/admin/audit.csv?person=maria&kind=two_step")
		rows, err := csv.NewReader(strings.NewReader(string(a.raw))).ReadAll()
		if err != nil || len(rows) != 3 || rows[0][0] != "time" || rows[1][2] != "two_step_off" || rows[2][2] != "two_step_on" {
			t.Fatalf("csv: %q %v", rows, err)
		}
		if !strings.Contains(rows[1][0], "-0") { // RFC 3339 in Chicago: -06:00 or -05:00
			t.Fatalf("csv time not in the center's zone: %s", rows[1][0])
		}
		// The API filters the same way.
		list := admin.do("GET", "/api/v1/admin/audit?person=jdoe", nil)
		if list.status != 200 || len(list.list) != 2 || list.list[0].(map[string]any)["action"] != "login_ok" || list.list[0].(map[string]any)["kind"] != "sign_in" {
			t.Fatalf("api: %s", list.raw)
		}
	})
}

// An event done with the portal command says so, not "Unknown browser".
func TestAuditLogNamesTheCommand(t *testing.T) {
	each(t, opts{}, func(t *testing.T, p *portal) {
		p.user("boss", twostep.RoleAdmin)
		cli := twostep.Client{IP: "cli", UserAgent: "portal command line"}
		if _, err := p.svc.CreateUser(context.Background(), twostep.CLIActor, twostep.NewUser{CenterID: p.center.ID, Username: "newbie",
			Email: "newbie@example.org", Password: pw, Role: twostep.RoleProvider}, cli); err != nil {
			t.Fatal(err)
		}
		admin := p.client()
		admin.form("/login", "username", "boss", "password", pw)
		page := admin.page("/admin/audit?kind=")
		contains(t, page, "cli added newbie (Provider)")
		entry := string(page.raw)[strings.Index(string(page.raw), "cli added newbie"):]
		entry = entry[:strings.Index(entry, "</li>")]
		if !strings.Contains(entry, "with the portal command") || strings.Contains(entry, "Unknown browser") || strings.Contains(entry, "· cli") {
			t.Fatalf("the command's event reads %q", entry)
		}
	})
}
