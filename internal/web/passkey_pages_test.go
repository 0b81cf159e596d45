package web_test

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/providerportal/portal/internal/twostep"
	"github.com/providerportal/portal/internal/twostep/passkeytest"
)

var createOptions = regexp.MustCompile(`data-passkey-create="([^"]*)"`)

// The passkey pages, driven as the script drives them: it fetches options,
// the device answers, and the answer goes back in a plain form field.
func TestPasskeyPages(t *testing.T) {
	each(t, opts{}, func(t *testing.T, p *portal) {
		p.beta(true)
		p.user("jdoe", twostep.RoleProvider)
		c := p.client()
		login := c.page("/login")
		contains(t, login, `action="/login/passkey"`, `data-passkey-only hidden`, "Sign in with a passkey", `src="/static/passkey.js"`)
		redirectsTo(t, c.form("/login", "username", "jdoe", "password", pw), "/account")
		c.form("/account/two-step/on")
		acct := c.page("/account")
		contains(t, acct, `href="/account/methods/passkey/add"`, "needs JavaScript")

		// Adding: a name, then the dialog's options, then the answer.
		contains(t, c.page("/account/methods/passkey/add"), `<label for="name">Name of this passkey</label>`, "Passkeys need JavaScript")
		contains(t, c.form("/account/methods/passkey/add", "name", strings.Repeat("x", 70)), `id="name-error"`, `aria-invalid="true"`)
		step := c.form("/account/methods/passkey/add", "name", "Work laptop")
		m := createOptions.FindSubmatch(step.raw)
		if m == nil {
			t.Fatalf("no options on the page:\n%s", step.raw)
		}
		dev := passkeytest.New(origin)
		answer, _, err := dev.Create([]byte(html.UnescapeString(string(m[1]))))
		if err != nil {
			t.Fatal(err)
		}
		contains(t, c.form("/account/methods/passkey/verify", "credential", "not json"), "not a passkey") // the challenge stays
		done := c.form("/account/methods/passkey/verify", "credential", string(answer))
		contains(t, done, "Your passkey Work laptop is ready", `aria-labelledby="codes-h"`, "I have saved these codes")
		if n := len(regexp.MustCompile(`<code>[a-z0-9]{5}-[a-z0-9]{5}</code>`).FindAll(done.raw, -1)); n != 10 {
			t.Fatalf("the first passkey's Done page shows %d recovery codes", n)
		}
		acct = c.page("/account")
		contains(t, acct, "Work laptop", "not used yet", `href="/account/methods/passkey/`, `aria-label="Delete the passkey Work laptop"`)
		id := regexp.MustCompile(`/account/methods/passkey/(\d+)/delete`).FindSubmatch(acct.raw)[1]
		c.form("/logout")

		// Signing in with the passkey alone.
		b := p.client()
		opts := b.do("POST", "/api/v1/login/passkey", nil)
		resp, _ := dev.Get(opts.raw)
		redirectsTo(t, b.form("/login/passkey", "credential", string(resp)), "/account")
		contains(t, b.page("/account"), "last used ")
		// Signing in for an app (issue 11's continue cookie), a passkey goes on to the app.
		app := p.client()
		u, _ := url.Parse(p.srv.URL)
		app.http.Jar.SetCookies(u, []*http.Cookie{{Name: "portal_continue", Value: url.QueryEscape("/oauth/authorize/callback?id=x"), Path: "/"}})
		opts = app.do("POST", "/api/v1/login/passkey", nil)
		resp, _ = dev.Get(opts.raw)
		redirectsTo(t, app.form("/login/passkey", "credential", string(resp)), "/login/continue")
		bad := p.client().form("/login/passkey", "credential", `{"id":`)
		if bad.status != 401 {
			t.Fatalf("bad answer: %d", bad.status)
		}
		contains(t, bad, `id="passkey-error"`, "not a passkey")

		// As the second step after the password.
		redirectsTo(t, c.form("/login", "username", "jdoe", "password", pw), "/login/verify")
		page := c.page("/login/verify")
		contains(t, page, `data-passkey-step`, `data-passkey-answer`, "Use your passkey")
		if strings.Contains(string(page.raw), `id="code"`) {
			t.Fatal("a code field for a passkey")
		}
		wrong := c.form("/login/verify", "method", "passkey", "code", "")
		contains(t, wrong, `id="code-error"`, "not a passkey", "9 more tries")
		opts = c.do("POST", "/api/v1/login/send-code", `{"method":"passkey"}`)
		resp, _ = dev.Get(opts.raw)
		redirectsTo(t, c.form("/login/verify", "method", "passkey", "code", string(resp)), "/account")

		// Deleting with the trashcan.
		contains(t, c.page("/account/methods/passkey/"+string(id)+"/delete"), "You will no longer be able to sign in with the passkey “Work laptop”")
		contains(t, c.form("/account/methods/passkey/"+string(id)+"/delete", "password", "wrong password here"), `id="password-error"`)
		redirectsTo(t, c.form("/account/methods/passkey/"+string(id)+"/delete", "password", pw), "/account?done=deleted")
		if c.page("/account/methods/passkey/"+string(id)+"/delete").status != 404 {
			t.Fatal("a deleted passkey's page")
		}
	})
}

// At an IP address the sign-in page has no passkey button and My Account says why.
func TestPasskeyPagesNotOffered(t *testing.T) {
	each(t, opts{set: func(s *twostep.Settings) { s.PublicURL = "http://127.0.0.1:8080" }}, func(t *testing.T, p *portal) {
		p.beta(true)
		p.user("jdoe", twostep.RoleProvider)
		c := p.client()
		if strings.Contains(string(c.page("/login").raw), "passkey") {
			t.Fatal("passkey offered at an IP address")
		}
		c.form("/login", "username", "jdoe", "password", pw)
		c.form("/account/two-step/on")
		acct := c.page("/account")
		contains(t, acct, "Passkeys are not offered at this portal&#39;s address (http://127.0.0.1:8080)")
		if strings.Contains(string(acct.raw), "/account/methods/passkey/add") {
			t.Fatal("an add link for passkeys")
		}
		es := c.do("GET", "/account", nil, "Accept", "text/html", "Accept-Language", "es")
		contains(t, es, "Las llaves de acceso no están disponibles")
	})
}
