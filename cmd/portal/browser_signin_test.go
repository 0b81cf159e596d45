package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/deliver/delivertest"
)

// signInWords is what the sign-in pages say in one language (issue 13).
type signInWords struct {
	lang, signIn, cont, send, paused, tries, wait, account string
}

var signInLanguages = []signInWords{
	{"en", "Sign in", "Continue", "Send Code", "signing in is paused until", "before signing in is paused", "Send a new code (available in ", "My Account"},
	{"es", "Iniciar sesión", "Continuar", "Enviar código", "el inicio de sesión está en pausa hasta las", "antes de que el inicio de sesión quede en pausa", "Enviar un código nuevo (disponible en ", "Mi cuenta"},
}

// TestBrowserSignInPages covers issue 13's sign-in items at phone and desktop
// width, in English and Spanish: one term for signing in (13), the method
// choice's button saying what happens next (9), and the pause after wrong
// codes: one counter, the form disabled, until when in the center's time (5).
func TestBrowserSignInPages(t *testing.T) {
	chromiumPath(t)
	for _, width := range []int64{375, 1280} {
		t.Run(fmt.Sprint(width), func(t *testing.T) {
			mail := delivertest.StartSMTP(t, "portal", "mailpass")
			srv := startServer(t, "PORTAL_SMTP_URL="+mail.URL(), "PORTAL_MAIL_FROM=Provider Portal <portal@example.org>",
				"PORTAL_LOCKOUT_FAILURES=4", "PORTAL_TIME_ZONE=America/Chicago")
			for i, w := range signInLanguages {
				user := []string{"demo-provider", "demo-nurse"}[i]
				t.Run(w.lang, func(t *testing.T) { signInPages(t, srv, mail, width, w, user) })
			}
		})
	}
}

func signInPages(t *testing.T, srv *server, mail *delivertest.SMTPServer, width int64, w signInWords, user string) {
	pw := srv.passwords[user]
	app := addTOTP(t, srv.url, user, pw)
	b := newBrowser(t, srv.url, width, true)
	b.open("/lang?to=" + w.lang + "&next=/login")

	// One term: the page's title and its button agree.
	if h1, button := b.text("h1"), b.text(`form[action="/login"] button[type=submit]`); h1 != w.signIn || button != w.signIn {
		t.Fatalf("title %q, button %q: want %q for both", h1, button, w.signIn)
	}
	b.fits("sign-in")

	// The email as a second method, so that the choice has both kinds.
	b.fill("username", user)
	b.fill("password", pw)
	b.click(`form[action="/login"] button[type=submit]`)
	b.fill("code", app.code())
	b.click(`form[action="/login/verify"] button[type=submit]`)

	// Item 12: an error page says its message once and keeps a signed-in
	// person's header links.
	b.open("/admin")
	title := b.text("h1")
	if n := b.eval(fmt.Sprintf(`String(document.body.innerText.split(%q).length - 1)`, title)); n != "1" {
		t.Errorf("the error page says %q %s times", title, n)
	}
	if links := b.eval(`String(document.querySelectorAll('header nav a[href="/account"]').length)`); links != "1" {
		t.Errorf("the error page lost the header's My Account link")
	}
	if got := b.text(`header nav a[href="/account"]`); got != w.account {
		t.Errorf("header link %q on the error page, want %q", got, w.account)
	}
	b.fits("error-page")

	b.open("/account/methods/email/add")
	b.fill("email", user+".home.address@example.net")
	b.fill("confirm_email", user+".home.address@example.net")
	b.click(`form[action="/account/methods/email/add"] button[type=submit]`)
	b.fill("code", mail.Last(t, user+".home.address@example.net").Code())
	b.click(`form[action="/account/methods/email/verify"] button[type=submit]`)
	b.click(`form[action="/logout"] button`)

	// The choice: Continue for the app, Send Code for the email; the
	// explanation above the buttons; the masked address on one line.
	b.signIn(user, pw)
	b.open("/login/verify?choose=1")
	shown := func() string {
		return b.eval(`[...document.querySelectorAll("form.choose button[type=submit]")].filter(e => e.offsetParent !== null).map(e => e.textContent).join("|")`)
	}
	if got := shown(); got != w.cont {
		t.Fatalf("with the app chosen the buttons read %q, want %q", got, w.cont)
	}
	b.click("#m-email")
	if got := shown(); got != w.send {
		t.Fatalf("with the email chosen the buttons read %q, want %q", got, w.send)
	}
	if lines := b.eval(`String(document.querySelector(".masked").getClientRects().length)`); lines != "1" {
		t.Fatalf("the masked address breaks over %s lines", lines)
	}
	if above := b.eval(`String(document.querySelector("form.choose .hint").getBoundingClientRect().bottom <= document.querySelector("form.choose .when-sends").getBoundingClientRect().top)`); above != "true" {
		t.Fatal("the explanation is not above the button")
	}
	b.fits("choose-email")
	if width == 375 && w.lang == "en" {
		b.readmeShot("sign-in-choose.png", "")
	}

	// Send Code: the resend button waits, readable and in the page's language
	// (its countdown is written by app.js).
	b.click(`form.choose button.when-sends`)
	wait := b.eval(`(function(){var e=document.querySelector("button[data-wait]"); return e.disabled + " " + e.textContent})()`)
	if !strings.HasPrefix(wait, "true "+w.wait) {
		t.Errorf("the waiting resend button reads %q, want disabled and %q…", wait, w.wait)
	}
	b.fits("code-sent")
	b.open("/login/verify?choose=1")
	b.click("#m-totp")
	b.fits("choose-app")
	b.click(`form.choose button.when-continues`)

	// Wrong codes: one counter that goes down, then the pause.
	for left := 3; left >= 1; left-- {
		b.fill("code", "000000")
		b.click(`form[action="/login/verify"] button[type=submit]`)
		text := b.text("#code-error")
		if want := fmt.Sprint(left); !strings.Contains(text, want) || !strings.Contains(text, w.tries) {
			t.Fatalf("after a wrong code: %q, want %s tries %q", text, want, w.tries)
		}
		if focused := b.eval(`document.activeElement.id`); focused != "code" {
			t.Fatalf("focus on %q after a wrong code", focused)
		}
		if left == 3 && width == 375 && w.lang == "en" {
			b.readmeShot("sign-in-code.png", "")
		}
	}
	b.fill("code", "000000")
	b.click(`form[action="/login/verify"] button[type=submit]`)
	b.pausedUntil(w)
	b.fits("paused")
	if width == 375 && w.lang == "en" {
		b.readmeShot("sign-in-paused.png", "")
	}

	// A new sign-in shows the pause at once.
	b.click(`form[action="/logout"] button`)
	b.signIn(user, pw)
	b.pausedUntil(w)
	b.fits("paused-again")
}

// pausedUntil checks the page of a paused second step: the time to try again
// (the center's time zone), every field and button of the step disabled.
func (b *browser) pausedUntil(w signInWords) {
	b.t.Helper()
	chicago, _ := time.LoadLocation("America/Chicago")
	text := b.text(".lock")
	ok := false
	for _, d := range []time.Duration{-time.Minute, 0, time.Minute} {
		ok = ok || strings.Contains(text, w.paused+" "+time.Now().Add(15*time.Minute+d).In(chicago).Format("15:04"))
	}
	if !ok {
		b.t.Fatalf("the pause says %q", text)
	}
	if usable := b.eval(`String([...document.querySelectorAll("main input, main button")].filter(e => !e.matches(":disabled")).length)`); usable != "0" {
		b.t.Fatalf("%s fields or buttons still usable while paused", usable)
	}
}
