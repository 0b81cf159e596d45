package web_test

import (
	"net/url"
	"testing"

	"github.com/providerportal/portal/internal/twostep"
)

// The apps' JSON calls (registry and forward auth), every answer checked
// against docs/openapi.yaml, on both databases.
func TestOpenAPIAnswersApps(t *testing.T) {
	each(t, opts{apps: true}, func(t *testing.T, p *portal) {
		k := newContract(t, p)
		defer k.report()
		p.beta(true)
		key := p.totpUser("jdoe", twostep.RoleProvider)
		staff := p.client()
		if a := k.call(staff, "POST", "/api/v1/login", map[string]string{"username": "am", "password": pw}); a.status != 200 {
			t.Fatalf("staff login: %s", a.raw)
		}
		created := k.call(staff, "POST", "/api/v1/staff/apps", map[string]any{"name": "Attendance", "redirect_uris": []string{"https://attendance.example.org/cb"},
			"post_logout_redirect_uris": []string{"https://attendance.example.org/bye"}, "centers": []string{"Maple Clinic"}, "roles": []string{"provider", "admin"}})
		if created.status != 201 || len(created.body["client_secret"].(string)) < 43 || created.body["issuer"] != p.svc.Settings().PublicURL {
			t.Fatalf("create: %s", created.raw)
		}
		if a := k.call(staff, "POST", "/api/v1/staff/apps", map[string]any{"name": "Docs", "forward_auth_hosts": []string{"docs.example.org"}}); a.status != 201 {
			t.Fatalf("create forward auth: %s", a.raw)
		}
		if a := k.call(staff, "POST", "/api/v1/staff/apps", map[string]any{"name": "Mobile", "public": true, "redirect_uris": []string{"com.example.app:/cb"}, "require_two_step": false}); a.status != 201 || a.body["client_secret"] != nil {
			t.Fatalf("create public: %s", a.raw)
		}
		expect(t, k.call(staff, "POST", "/api/v1/staff/apps", map[string]any{"name": "docs", "forward_auth_hosts": []string{"other.example.org"}}), 409, "conflict")
		expect(t, k.call(staff, "POST", "/api/v1/staff/apps", map[string]any{"name": "Far", "redirect_uris": []string{"http://far.example.org/cb"}}), 400, "invalid_request")
		expect(t, k.call(staff, "POST", "/api/v1/staff/apps", map[string]any{"name": "Lost", "forward_auth_hosts": []string{"l.example.org"}, "centers": []string{"Nowhere"}}), 404, "not_found")
		expect(t, k.bad(staff, "POST", "/api/v1/staff/apps", map[string]any{"name": "X", "secret": "mine"}), 400, "invalid_request")
		list := k.call(staff, "GET", "/api/v1/staff/apps", nil)
		if len(list.list) != 3 {
			t.Fatalf("list: %s", list.raw)
		}
		for _, a := range list.list {
			if a.(map[string]any)["client_secret"] != nil {
				t.Fatal("the list shows a secret")
			}
		}
		prov := p.client()
		prov.signIn2SV("jdoe", key)
		expect(t, k.call(prov, "GET", "/api/v1/staff/apps", nil), 403, "forbidden")
		expect(t, k.call(prov, "POST", "/api/v1/staff/apps", map[string]any{"name": "Mine", "forward_auth_hosts": []string{"mine.example.org"}}), 403, "forbidden")
		expect(t, k.call(p.client(), "GET", "/api/v1/staff/apps", nil), 401, "unauthenticated")

		orig := "https://docs.example.org/reports?id=1"
		fwd := []string{"X-Forwarded-Proto", "https", "X-Forwarded-Host", "docs.example.org", "X-Forwarded-Uri", "/reports?id=1", "X-Forwarded-Method", "GET"}
		if a := k.call(prov, "GET", "/api/v1/forward-auth", nil, fwd...); a.status != 200 || a.header.Get("Remote-User") != "jdoe" {
			t.Fatalf("allowed: %d", a.status)
		}
		anon := p.client()
		if a := k.call(anon, "GET", "/api/v1/forward-auth", nil, fwd...); a.status != 302 || a.header.Get("Location") != p.svc.Settings().PublicURL+"/login?rd="+url.QueryEscape(orig) {
			t.Fatalf("not signed in: %d %s", a.status, a.header.Get("Location"))
		}
		expect(t, k.call(anon, "GET", "/api/v1/forward-auth?mode=401", nil, "X-Original-URL", orig), 401, "unauthenticated")
		expect(t, k.call(prov, "GET", "/api/v1/forward-auth", nil, "X-Original-URL", "https://nobody.example.org/"), 403, "access_denied")
		expect(t, k.call(prov, "GET", "/api/v1/forward-auth", nil), 400, "invalid_request")

		expect(t, k.call(staff, "DELETE", "/api/v1/staff/apps/"+url.PathEscape("Mobile"), nil), 204, "")
		expect(t, k.call(staff, "DELETE", "/api/v1/staff/apps/Mobile", nil), 404, "not_found")
		expect(t, k.call(prov, "DELETE", "/api/v1/staff/apps/Docs", nil), 403, "forbidden")
	})
}
