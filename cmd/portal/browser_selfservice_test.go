package main

import (
	"strings"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/deliver/delivertest"
	"github.com/providerportal/portal/internal/twostep"
)

// linkFrom waits for an email to to with a path?token= link, beyond the first
// skip messages to that address, and returns the link's path and query.
func linkFrom(t *testing.T, mail *delivertest.SMTPServer, to, path string, skip int) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		seen := 0
		for _, m := range mail.Messages() {
			if m.To != to {
				continue
			}
			seen++
			if seen <= skip {
				continue
			}
			for _, l := range m.Links() {
				if i := strings.Index(l, path+"?token="); i >= 0 {
					return l[i:]
				}
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no email with a %s link reached %s", path, to)
	return ""
}

func countTo(mail *delivertest.SMTPServer, to string) int {
	n := 0
	for _, m := range mail.Messages() {
		if m.To == to {
			n++
		}
	}
	return n
}

// TestBrowserSelfService clicks through B21–B23 on a phone: an admin invites
// a person who chooses their password, a provider trusts a browser at the
// second step, then forgets the password and resets it through the second step.
func TestBrowserSelfService(t *testing.T) {
	chromiumPath(t)
	mail := delivertest.StartSMTP(t, "", "")
	srv := startServer(t, "PORTAL_SMTP_URL="+mail.URL(), "PORTAL_MAIL_FROM=Provider Portal <portal@example.org>")
	b := newBrowser(t, srv.url, 375, true)
	const chosen = "harbor lantern cobalt fig"

	// B22: the admin invites; the person chooses their own password.
	b.signIn("demo-admin", srv.passwords["demo-admin"])
	b.open("/admin")
	b.fill("username", "new-nurse")
	b.fill("email", "new.nurse@example.org")
	b.click(`form[action="/admin/invitations"] button[type=submit]`)
	b.see("Invitation sent to new-nurse.")
	b.see("Pending invitations")
	b.shot("admin-invited")
	if n := b.eval(`String(document.querySelectorAll('main input[type=password]').length)`); n != "0" {
		t.Fatalf("%s password fields on the admin page", n)
	}
	if w := b.eval(`String(document.documentElement.scrollWidth)`); w != "375" {
		t.Fatalf("the admin page is %s px wide on a 375 px phone: %s", w, b.eval(`Array.from(document.querySelectorAll("body *")).filter(e => e.getBoundingClientRect().right > 376).map(e => e.tagName + "." + e.className + "#" + e.id).slice(0, 12).join(" ")`))
	}
	b.signOut()
	b.open(linkFrom(t, mail, "new.nurse@example.org", "/invitation", 0))
	b.see("demo-admin invited you as a provider of Demo Center")
	b.shot("invitation")
	b.fill("password", "nurse nurse")
	b.click(`form[action="/invitation"] button[type=submit]`)
	b.see("Use at least 12 characters")
	b.shot("invitation-weak")
	b.fill("password", chosen)
	b.click(`form[action="/invitation"] button[type=submit]`)
	b.see("Your account is ready.")
	b.shot("invitation-accepted")
	b.signIn("new-nurse", chosen)
	b.see("My Account")
	b.see("new.nurse@example.org")
	b.signOut()

	// B23: a provider with 2SV trusts this browser at the second step.
	pw := srv.passwords["demo-provider"]
	b.signIn("demo-provider", pw)
	b.click(`form[action="/account/two-step/on"] button`)
	b.click(`a[href="/account/methods/email/add"]`)
	b.fill("email", "dp@example.net")
	b.fill("confirm_email", "dp@example.net")
	b.click(`form[action="/account/methods/email/add"] button[type=submit]`)
	b.fill("code", mail.Last(t, "dp@example.net").Code())
	b.click(`form[action="/account/methods/email/verify"] button[type=submit]`)
	b.see("Your email address is verified")
	b.signOut()
	b.signIn("demo-provider", pw)
	b.click(`form[action="/login/send-code"] button.when-sends`)
	b.see("Don't ask again on this browser for 30 days")
	b.shot("challenge-trust")
	b.click(`#trust_browser`)
	b.fill("code", mail.Last(t, "dp@example.net").Code())
	b.click(`form[action="/login/verify"] button[type=submit]`)
	b.see("Trusted browsers")
	b.see("trusted until")
	b.shot("account-trusted")
	b.signOut()
	b.signIn("demo-provider", pw)
	b.see("My Account") // no second step on this browser
	b.signOut()

	// B21, with the authenticator app: trust this browser, then forget the
	// password. The link leads to the second step first (the trusted browser
	// does not skip it; a recovery code does as well as the app), then the new
	// password; every trusted browser is forgotten.
	npw := srv.passwords["demo-nurse"]
	b.signIn("demo-nurse", npw)
	b.click(`form[action="/account/two-step/on"] button`)
	b.click(`a[href="/account/methods/totp/add"]`)
	b.click(`form[action="/account/methods/totp/add"] button[type=submit]`)
	key := strings.ReplaceAll(b.text("#secret-key"), " ", "")
	b.fill("code", twostep.TOTPCode(key, time.Now()))
	b.click(`form[action="/account/methods/totp/verify"] button[type=submit]`)
	b.saveCodes()
	b.click(`a[href="/account/recovery-codes"]`)
	b.fill("password", npw)
	b.click(`form[action="/account/recovery-codes"] button[type=submit]`)
	recovery := b.text("ul.codes li:nth-child(2) code")
	b.saveCodes()
	b.signOut()
	b.signIn("demo-nurse", npw)
	b.see("Open your authenticator app")
	b.click(`#trust_browser`)
	b.fill("code", twostep.TOTPCode(key, time.Now().Add(30*time.Second)))
	b.click(`form[action="/login/verify"] button[type=submit]`)
	b.see("Trusted browsers")
	b.signOut()

	b.open("/login")
	b.click(`a[href="/forgot-password"]`)
	b.see("Reset your password")
	b.shot("forgot")
	b.fill("login", "demo-nurse@demo.example.org")
	before := countTo(mail, "demo-nurse@demo.example.org")
	b.click(`form[action="/forgot-password"] button[type=submit]`)
	b.see("Check your email")
	b.shot("forgot-sent")
	link := linkFrom(t, mail, "demo-nurse@demo.example.org", "/password-reset", before)
	b.open(link)
	b.see("You opened a link to choose a new password.")
	b.shot("reset-link")
	b.click(`form[action="/password-reset/start"] button[type=submit]`)
	b.see("To choose a new password, first confirm it is you.")
	b.see("Open your authenticator app")
	if b.eval(`String(!!document.getElementById("trust_browser"))`) != "false" {
		t.Fatal("a password reset offers to trust the browser")
	}
	b.shot("reset-second-step")
	b.click(`a[href="/login/verify?choose=1"]`)
	b.click(`#m-recovery`)
	b.click(`form[action="/login/send-code"] button.when-continues`)
	b.fill("code", recovery)
	b.click(`form[action="/login/verify"] button[type=submit]`)
	b.see("Choose the new password of demo-nurse")
	b.shot("reset-choose")
	b.fill("new_password", "demonursedemonurse")
	b.click(`form[action="/password-reset/new"] button[type=submit]`)
	b.see("too common or easy to guess")
	b.shot("reset-weak")
	b.fill("new_password", chosen)
	b.click(`form[action="/password-reset/new"] button[type=submit]`)
	b.see("Your password was changed. Sign in with your new password.")
	b.shot("reset-done")
	b.open(link)
	b.see("This link no longer works")
	b.shot("reset-link-used")
	b.signIn("demo-nurse", chosen)
	b.see("Open your authenticator app") // the reset forgot every trusted browser
	if b.axeJS != "" && b.axeRuns < 14 {
		t.Fatalf("axe ran on only %d page states", b.axeRuns)
	}
}
