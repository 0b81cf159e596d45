package main

import (
	"strings"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/deliver/delivertest"
	"github.com/providerportal/portal/internal/twostep"
)

// signIn fills the sign-in form.
func (b *browser) signIn(user, password string) {
	b.t.Helper()
	b.open("/login")
	b.fill("username", user)
	b.fill("password", password)
	b.click(`form[action="/login"] button[type=submit]`)
}

func (b *browser) signOut() {
	b.t.Helper()
	b.click(`form[action="/logout"] button`)
	b.see("Sign in")
}

// TestBrowserEveryFlow clicks through 2-Step Verification as a person would:
// turn on, add all three methods, sign in with each, recovery code, delete,
// turn off, and the center requirement with three notices then forced setup.
func TestBrowserEveryFlow(t *testing.T) {
	for _, width := range []int64{1280, 375} {
		t.Run(map[int64]string{1280: "desktop", 375: "phone"}[width], func(t *testing.T) {
			browserFlow(t, width)
		})
	}
}

func browserFlow(t *testing.T, width int64) {
	chromiumPath(t)
	mail := delivertest.StartSMTP(t, "portal", "mailpass")
	sms := delivertest.StartWebhook(t)
	srv := startServer(t, "PORTAL_SMTP_URL="+mail.URL(), "PORTAL_SMS_URL=webhook+"+sms.URL+"/sms", "PORTAL_SMS_WEBHOOK_SECRET=k",
		"PORTAL_MAIL_FROM=Provider Portal <portal@example.org>")
	b := newBrowser(t, srv.url, width, true)
	pw := srv.passwords["demo-provider"]

	b.signIn("demo-provider", pw)
	b.see("My Account")
	b.shot("account-2sv-off")
	b.click(`form[action="/account/two-step/on"] button`)
	b.see("Now add a verified method with +") // not "is on": nothing protects the sign-in yet (R4)
	b.shot("account-2sv-on")

	// Authenticator app: QR code and key → code → Verify → Done.
	b.click(`a[href="/account/methods/totp/add"]`)
	b.see("Download and open an authenticator app")
	b.click(`form[action="/account/methods/totp/add"] button[type=submit]`)
	b.see("Scan this QR code")
	b.shot("totp-qr")
	key := strings.ReplaceAll(b.text("#secret-key"), " ", "")
	if alt := b.eval(`document.querySelector("img.qr").alt`); !strings.Contains(alt, "QR code") {
		t.Fatalf("QR alt %q", alt)
	}
	b.fill("code", twostep.TOTPCode(key, time.Now()))
	b.click(`form[action="/account/methods/totp/verify"] button[type=submit]`)
	b.see("Your authenticator app is verified")
	b.see("Save your recovery codes") // the first method's Done page offers them
	b.shot("totp-done")
	b.saveCodes()

	// Phone: number + confirmation → Next → code by SMS → Verify → Done.
	b.click(`a[href="/account/methods/phone/add"]`)
	b.fill("phone", "(201) 555-0123")
	b.fill("confirm_phone", "(201) 555-0124")
	b.click(`form[action="/account/methods/phone/add"] button[type=submit]`)
	b.see("do not match")
	b.shot("phone-mismatch")
	b.fill("phone", "(201) 555-0123")
	b.fill("confirm_phone", "201-555-0123")
	b.click(`form[action="/account/methods/phone/add"] button[type=submit]`)
	b.see("We sent a code to (201) 555-0123") // whole during setup; masked at sign-in
	b.shot("phone-code")
	b.fill("code", sms.Last(t, "+12015550123").Code())
	b.click(`form[action="/account/methods/phone/verify"] button[type=submit]`)
	b.see("Your mobile phone number is verified")
	b.click(`a.button[href="/account"]`)

	// Email the same way.
	b.click(`a[href="/account/methods/email/add"]`)
	b.fill("email", "dp.personal@example.net")
	b.fill("confirm_email", "dp.personal@example.net")
	b.click(`form[action="/account/methods/email/add"] button[type=submit]`)
	b.see("We sent a code to dp.personal@example.net")
	b.fill("code", mail.Last(t, "dp.personal@example.net").Code())
	b.click(`form[action="/account/methods/email/verify"] button[type=submit]`)
	b.see("Your email address is verified")
	b.click(`a.button[href="/account"]`)
	b.see("Recovery codes left")
	if n := b.eval(`String(document.querySelectorAll('[aria-label="verified"]').length)`); n != "3" {
		t.Fatalf("%s checkmarks", n)
	}
	b.shot("account-three-methods")

	// Recovery codes, shown once.
	b.click(`a[href="/account/recovery-codes"]`)
	b.fill("password", pw)
	b.click(`form[action="/account/recovery-codes"] button[type=submit]`)
	b.see("These new codes replace your earlier ones")
	b.shot("recovery-codes")
	recovery := b.text("ul.codes li:nth-child(3) code")
	b.saveCodes()
	b.signOut()

	// Sign in with the phone: choose, Send Code, a too-early resend, a wrong code, Confirm.
	b.signIn("demo-provider", pw)
	b.see("Choose how to get your code")
	b.shot("challenge-choose")
	b.click(`#m-phone`)
	b.click(`form[action="/login/send-code"] button.when-sends`)
	b.see("We sent a code to •••-•••-0123")
	if disabled := b.eval(`String(document.querySelector("button[data-wait]").disabled)`); disabled != "true" {
		t.Fatal("resend button usable before the wait is over")
	}
	b.see("Send a new code (available in 0:5") // the countdown runs, in the page's own words
	b.shot("challenge-code")
	b.fill("code", "000000")
	b.click(`form[action="/login/verify"] button[type=submit]`)
	b.see("That code is not right")
	b.shot("challenge-wrong-code")
	if d := b.eval(`document.getElementById("code").getAttribute("aria-describedby")`); d != "code-error" {
		t.Fatalf("error not tied to the field: %q", d)
	}
	b.fill("code", sms.Last(t, "+12015550123").Code())
	b.click(`form[action="/login/verify"] button[type=submit]`)
	b.see("My Account")
	b.signOut()

	// With the authenticator app (the next time step: the enrolment's step is used).
	b.signIn("demo-provider", pw)
	b.click(`#m-totp`)
	b.click(`form[action="/login/send-code"] button.when-continues`)
	b.see("Open your authenticator app")
	b.fill("code", twostep.TOTPCode(key, time.Now().Add(30*time.Second)))
	b.click(`form[action="/login/verify"] button[type=submit]`)
	b.see("My Account")
	b.signOut()

	// With the email.
	b.signIn("demo-provider", pw)
	b.click(`#m-email`)
	b.click(`form[action="/login/send-code"] button.when-sends`)
	b.see("We sent a code to d•••@example.net")
	b.fill("code", mail.Last(t, "dp.personal@example.net").Code())
	b.click(`form[action="/login/verify"] button[type=submit]`)
	b.see("My Account")
	b.signOut()

	// With a recovery code.
	b.signIn("demo-provider", pw)
	b.click(`#m-recovery`)
	b.click(`form[action="/login/send-code"] button.when-continues`)
	b.fill("code", recovery)
	b.click(`form[action="/login/verify"] button[type=submit]`)
	b.see("Recovery codes left: 9")

	// Delete the email with the trashcan, then turn 2SV off.
	b.click(`a[href="/account/methods/email/delete"]`)
	b.see("Enter your password to confirm")
	b.fill("password", pw)
	b.click(`form[action="/account/methods/email/delete"] button[type=submit]`)
	b.see("The verified method was deleted")
	b.click(`a[href="/account/two-step/off"]`)
	b.fill("password", pw)
	b.click(`form[action="/account/two-step/off"] button[type=submit]`)
	b.see("2-Step Verification is off")
	b.shot("account-after-off")
	b.signOut()

	// Security notices reached the account address, without codes.
	notices := 0
	for _, m := range mail.Messages() {
		if m.To == "demo-provider@demo.example.org" {
			notices++
			if m.Code() != "" {
				t.Fatalf("a notice carries a 6-digit number: %s", m.Body)
			}
		}
	}
	if notices < 6 {
		t.Fatalf("%d security notices", notices)
	}

	// The center requires 2SV: three dismissible notices, then forced setup.
	if r := portalCmd(t, srv.dir, srv.db, "", "center", "set", "Demo Center", "--two-step-required=true"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	nurse := srv.passwords["demo-nurse"]
	for _, left := range []string{"You can skip this 2 more times", "You can skip this 1 more time", "You can't skip this again"} {
		b.signIn("demo-nurse", nurse)
		b.see(left)
		b.shot("notice")
		b.click(`button[value="later"]`)
		b.see("My Account")
		b.signOut()
	}
	b.signIn("demo-nurse", nurse)
	b.see("Set up at least one verified method below to continue")
	b.shot("forced-setup")
	b.open("/account/password")
	b.see("Set up at least one verified method below to continue")
	b.click(`a[href="/account/methods/email/add"]`)
	b.fill("email", "nurse@example.net")
	b.fill("confirm_email", "nurse@example.net")
	b.click(`form[action="/account/methods/email/add"] button[type=submit]`)
	b.fill("code", mail.Last(t, "nurse@example.net").Code())
	b.click(`form[action="/account/methods/email/verify"] button[type=submit]`)
	b.see("Your email address is verified")
	b.saveCodes()
	b.see("Where you are signed in")
	b.see("cannot be turned off")
	b.shot("account-required")
	if b.axeJS != "" && b.axeRuns < 15 {
		t.Fatalf("axe ran on only %d page states", b.axeRuns)
	}
}

// TestBrowserWithoutJavaScript signs in and adds a method with scripts disabled.
func TestBrowserWithoutJavaScript(t *testing.T) {
	chromiumPath(t)
	mail := delivertest.StartSMTP(t, "", "")
	srv := startServer(t, "PORTAL_SMTP_URL="+mail.URL())
	b := newBrowser(t, srv.url, 375, false)
	pw := srv.passwords["demo-admin"]
	b.signIn("demo-admin", pw)
	b.see("My Account")
	b.click(`form[action="/account/two-step/on"] button`)
	b.click(`a[href="/account/methods/email/add"]`)
	b.fill("email", "admin@example.net")
	b.fill("confirm_email", "admin@example.net")
	b.click(`form[action="/account/methods/email/add"] button[type=submit]`)
	b.see("available in 1 minute") // without JS the wait is said in words
	b.shot("nojs-code")
	b.fill("code", mail.Last(t, "admin@example.net").Code())
	b.click(`form[action="/account/methods/email/verify"] button[type=submit]`)
	b.see("Your email address is verified")
	b.saveCodes()
	b.signOut()
	b.signIn("demo-admin", pw)
	b.see("Choose how to get your code")
	if checked := b.eval(`String(document.getElementById("m-email").checked)`); checked != "true" {
		t.Fatal("the only method is not selected (R11)")
	}
	b.click(`form[action="/login/send-code"] button.when-sends`)
	b.see("We sent a code to a•••@example.net")
	b.see("available in 5 minutes")
	b.fill("code", mail.Last(t, "admin@example.net").Code())
	b.click(`form[action="/login/verify"] button[type=submit]`)
	b.see("My Account")
}
