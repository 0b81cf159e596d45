package web_test

import (
	"html"
	"regexp"
	"strings"
	"testing"

	"github.com/providerportal/portal/internal/twostep"
	"github.com/providerportal/portal/internal/web"
)

// Issue 13, item 13: no English is left on Spanish pages. Every page a
// provider, a center admin and an account manager can reach is read in Spanish,
// and none may contain a phrase of the English catalogue that Spanish says
// differently.
func TestNoEnglishOnSpanishPages(t *testing.T) {
	if keys := web.UntranslatedKeys(); len(keys) > 0 {
		t.Errorf("Spanish copies English for %v", keys)
	}
	english := web.EnglishOnlyPhrases()
	if len(english) < 100 {
		t.Fatalf("only %d English phrases to look for", len(english))
	}
	tags := regexp.MustCompile(`(?s)<script.*?</script>|<style.*?</style>|<[^>]*>`)
	check := func(t *testing.T, c *client, path string) {
		t.Helper()
		a := c.page(path)
		if a.status >= 500 {
			t.Fatalf("%s: %d", path, a.status)
		}
		text := html.UnescapeString(tags.ReplaceAllString(string(a.raw), " "))
		if !strings.Contains(string(a.raw), `<html lang="es">`) {
			t.Fatalf("%s is not in Spanish", path)
		}
		for _, e := range english {
			if strings.Contains(text, e) {
				t.Errorf("%s shows English %q", path, e)
			}
		}
	}
	each(t, opts{}, func(t *testing.T, p *portal) {
		p.beta(true)
		p.user("boss", twostep.RoleAdmin)
		key := p.totpUser("jdoe", twostep.RoleProvider)

		anon := p.client()
		anon.page("/lang?to=es&next=/login")
		for _, path := range []string{"/login", "/forgot-password", "/no-such-page", "/password-reset?token=nope", "/invitation?token=nope"} {
			check(t, anon, path)
		}
		anon.form("/login", "username", "jdoe", "password", "wrong password here")
		check(t, anon, "/login")

		c := p.client()
		c.page("/lang?to=es&next=/login")
		c.form("/login", "username", "jdoe", "password", pw)
		check(t, c, "/login/verify")
		check(t, c, "/login/verify?choose=1")
		c.form("/login/verify", "method", "totp", "code", "000000")
		check(t, c, "/login/verify")
		c.form("/login/verify", "method", "totp", "code", twostep.TOTPCode(key, p.clock.Now()))
		for _, path := range []string{"/account", "/account/methods/phone/add", "/account/methods/email/add", "/account/methods/totp/add",
			"/account/methods/totp/delete", "/account/recovery-codes", "/account/password", "/account/two-step/off"} {
			check(t, c, path)
		}

		admin := p.client()
		admin.page("/lang?to=es&next=/login")
		admin.form("/login", "username", "boss", "password", pw)
		for _, path := range []string{"/admin", "/admin/audit", "/admin/users/jdoe/reset"} {
			check(t, admin, path)
		}
		admin.form("/admin/policy", "grace_logins", "-4")
		check(t, admin, "/admin")

		staff := p.client()
		staff.page("/lang?to=es&next=/login")
		staff.form("/login", "username", "am", "password", pw)
		for _, path := range []string{"/staff", "/staff/audit", "/staff/apps"} {
			check(t, staff, path)
		}
	})
}
