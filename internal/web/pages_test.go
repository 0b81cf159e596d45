package web_test

import (
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/twostep"
)

// form posts an HTML form as a browser without JavaScript would.
func (c *client) form(path string, kv ...string) answer {
	c.p.t.Helper()
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return c.do("POST", path, []byte(v.Encode()), "Content-Type", "application/x-www-form-urlencoded", "Accept", "text/html")
}

func (c *client) page(path string) answer {
	c.p.t.Helper()
	return c.do("GET", path, nil, "Accept", "text/html")
}

func redirectsTo(t *testing.T, a answer, where string) {
	t.Helper()
	if a.status != 303 || a.header.Get("Location") != where {
		t.Fatalf("want redirect to %s, got %d %s: %s", where, a.status, a.header.Get("Location"), a.raw)
	}
}

func contains(t *testing.T, a answer, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(string(a.raw), p) {
			t.Fatalf("page lacks %q:\n%s", p, a.raw)
		}
	}
}

func TestPagesSignInAndTwoStepWithoutJavaScript(t *testing.T) {
	each(t, opts{}, func(t *testing.T, p *portal) {
		p.beta(true)
		p.user("jdoe", twostep.RoleProvider)
		c := p.client()
		redirectsTo(t, c.page("/"), "/login")
		contains(t, c.page("/login"), `<label for="username">Username</label>`, `autocomplete="current-password"`, ">Sign in</button>")
		a := c.form("/login", "username", "jdoe", "password", "wrong password here")
		if a.status != 401 {
			t.Fatalf("wrong password page: %d", a.status)
		}
		contains(t, a, `aria-describedby="password-error"`, `id="password-error"`, "not right", `value="jdoe"`)
		redirectsTo(t, c.form("/login", "username", "jdoe", "password", pw), "/account")
		contains(t, c.page("/account"), "My Account", "jdoe@<wbr>example.<wbr>org", "Maple Clinic", "Turn on 2-Step Verification")
		redirectsTo(t, c.form("/account/two-step/on"), "/account?done=on#two-step")
		acct := c.page("/account?done=on")
		if strings.Contains(string(acct.raw), "2-Step Verification is on") {
			t.Fatal("on with no verified method is called protected (R4)")
		}
		contains(t, acct, "Now add a verified method with &#43;. Until one is verified, signing in asks only for your password.", `id="two-step"`, `href="/account/methods/totp/add"`, `href="/account/methods/phone/add"`, `href="/account/methods/email/add"`)

		// Email: address + confirmation → Next → code → Verify → Done.
		contains(t, c.page("/account/methods/email/add"), `id="confirm_email"`, "Next")
		a = c.form("/account/methods/email/add", "email", "j@example.net", "confirm_email", "k@example.net")
		contains(t, a, `id="confirm_email-error"`, "do not match", `value="j@example.net"`)
		redirectsTo(t, c.form("/account/methods/email/add", "email", "j@example.net", "confirm_email", "j@example.net"), "/account/methods/email/add?step=code")
		codePage := c.page("/account/methods/email/add?step=code")
		contains(t, codePage, "We sent a code to j@<wbr>example.<wbr>net.", "Check your spam or junk folder", "It works for 10 minutes", `autocomplete="one-time-code"`, `inputmode="numeric"`, `data-wait="60"`, "available in 1 minute")
		a = c.form("/account/methods/email/resend")
		contains(t, a, "You can ask for a new code in 1 minute")
		contains(t, c.form("/account/methods/email/verify", "code", "12"), `id="code-error"`)
		contains(t, c.form("/account/methods/email/verify", "code", p.lastCode("j@example.net")), "Your email address is verified", `<strong class="method-label">j@<wbr>example.<wbr>net</strong>`, "Done",
			"Save your recovery codes", `id="recovery-codes"`, `name="done" value="saved" required`)

		// Authenticator app: QR code and key, then a code.
		a = c.form("/account/methods/totp/add")
		contains(t, a, `<img class="qr" src="data:image/png;base64,`, `alt="QR code for your authenticator app`, `id="secret-key"`)
		key := regexp.MustCompile(`id="secret-key">([A-Z2-7 ]+)<`).FindStringSubmatch(string(a.raw))[1]
		contains(t, c.form("/account/methods/totp/verify", "code", "000000"), `id="secret-key">`+key, `id="code-error"`)
		contains(t, c.form("/account/methods/totp/verify", "code", twostep.TOTPCode(key, p.clock.Now())), "Your authenticator app is verified")
		acct = c.page("/account")
		contains(t, acct, "j@<wbr>example.<wbr>net", `aria-label="verified"`, `aria-label="Delete authenticator app"`, "Recovery codes left: 10", "2-Step Verification is on.")

		// Sign out, sign in: choose → Send Code → Confirm.
		redirectsTo(t, c.form("/logout"), "/login")
		redirectsTo(t, c.form("/login", "username", "jdoe", "password", pw), "/login/verify")
		redirectsTo(t, c.page("/account"), "/login/verify")
		choose := c.page("/login/verify")
		contains(t, choose, "Choose how to get your code", "j•••@example.net", "Send Code", "no code is sent")
		if !strings.Contains(string(choose.raw), "A recovery code") {
			t.Fatal("the first Done page's recovery codes are not offered at sign-in")
		}
		p.clock.Add(5 * time.Minute)
		redirectsTo(t, c.form("/login/send-code", "method", "email"), "/login/verify")
		contains(t, c.page("/login/verify"), "We sent a code to j•••@example.net.", "Confirm", `data-wait="300"`, "Use another method")
		contains(t, c.form("/login/verify", "method", "email", "code", "000000"), "not right", "You have 9 more tries before signing in is paused.")
		redirectsTo(t, c.form("/login/verify", "method", "email", "code", p.lastCode("j@example.net")), "/account")
		contains(t, c.page("/account"), "My Account", "this browser")

		// Delete with the trashcan (password asked), then turn off.
		contains(t, c.page("/account/methods/email/delete"), "Enter your password to confirm")
		contains(t, c.form("/account/methods/email/delete", "password", "nope nope nope"), `id="password-error"`)
		redirectsTo(t, c.form("/account/methods/email/delete", "password", pw), "/account?done=deleted")
		redirectsTo(t, c.form("/account/two-step/off", "password", pw), "/account?done=off")
		contains(t, c.page("/account?done=off"), "2-Step Verification is off", "Turn on 2-Step Verification")
		c.form("/account/two-step/on")
		if lie := c.page("/account?done=off"); strings.Contains(string(lie.raw), "2-Step Verification is off") {
			t.Fatal("a crafted link made My Account say 2-Step Verification is off while it is on")
		}
		c.form("/account/two-step/off", "password", pw)
	})
}

func TestPagesGraceNoticeAndForcedSetup(t *testing.T) {
	each(t, opts{set: func(s *twostep.Settings) { s.GraceLogins = 1 }}, func(t *testing.T, p *portal) {
		p.beta(true)
		p.require(true)
		p.user("jdoe", twostep.RoleProvider)
		c := p.client()
		redirectsTo(t, c.form("/login", "username", "jdoe", "password", pw), "/login/notice")
		contains(t, c.page("/login/notice"), "Your center requires 2-Step Verification. You can&#39;t skip this again: at your next sign-in you&#39;ll need to set it up (about 2 minutes).", "Set up now", "Not now")
		redirectsTo(t, c.form("/login/dismiss", "next", "later"), "/account")
		c = p.client()
		redirectsTo(t, c.form("/login", "username", "jdoe", "password", pw), "/account")
		a := c.page("/account")
		contains(t, a, "Set up at least one verified method below to continue", `href="/account/methods/totp/add"`)
		if strings.Contains(string(a.raw), "Change password") || strings.Contains(string(a.raw), "Sign out all other") {
			t.Fatal("forced setup page offers more than setup")
		}
		redirectsTo(t, c.page("/account/password"), "/account")
		a = c.form("/account/methods/totp/add")
		key := regexp.MustCompile(`id="secret-key">([A-Z2-7 ]+)<`).FindStringSubmatch(string(a.raw))[1]
		contains(t, c.form("/account/methods/totp/verify", "code", twostep.TOTPCode(key, p.clock.Now())), "verified")
		acct := c.page("/account")
		contains(t, acct, "Change password", "Your center requires it.", "cannot be turned off")
		if strings.Contains(string(acct.raw), `aria-label="Delete Authenticator app"`) {
			t.Fatal("last method offered for deletion under the requirement")
		}
	})
}

func TestDevOutboxPage(t *testing.T) {
	each(t, opts{}, func(t *testing.T, p *portal) {
		p.user("jdoe", twostep.RoleProvider)
		c := p.client()
		c.form("/login", "username", "jdoe", "password", pw)
		if a := c.page("/dev/outbox"); a.status != 403 {
			t.Fatalf("provider read the dev outbox: %d", a.status)
		}
		s := p.client()
		s.form("/login", "username", "am", "password", pw)
		contains(t, s.page("/dev/outbox"), "Dev outbox", "No messages yet")
	})
}
