package main

import (
	"strings"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/deliver/delivertest"
	"github.com/providerportal/portal/internal/twostep"
)

// Issue 13, a provider's own 2-Step pages (items 4, 6, 7, 8, 10, 14), at
// 375 and 1280 px, in English and Spanish, with and without JavaScript.

// saveCodes ticks "I have saved these codes" and presses Done.
func (b *browser) saveCodes() {
	b.t.Helper()
	b.click(`#saved`)
	b.click(`form.codes-saved button[type=submit]`)
}

// state checks a page state: no sideways scroll and whole header links
// (fits, shared with the admin pages' test), then a screenshot with axe.
func (b *browser) state(name string) { b.t.Helper(); b.fits(name) }

// lacks asserts the page does not show text.
func (b *browser) lacks(text string) {
	b.t.Helper()
	if strings.Contains(b.bodyText(), text) {
		b.shot("failure")
		b.t.Fatalf("page shows %q:\n%s", text, b.bodyText())
	}
}

// press activates a button that changes the page in place (no new page).
func (b *browser) press(css string) {
	b.t.Helper()
	if got := b.eval(`(function(){var e=document.querySelector(` + "`" + css + "`" + `); if(!e||e.disabled||e.offsetParent===null) return "unusable"; e.click(); return "ok"})()`); got != "ok" {
		b.shot("failure")
		b.t.Fatalf("cannot press %s", css)
	}
}

// signOutAny signs out in any language.
func (b *browser) signOutAny() {
	b.t.Helper()
	b.click(`form[action="/logout"] button`)
	if b.eval(`String(!!document.getElementById("username"))`) != "true" {
		b.t.Fatal("signing out did not lead to the sign-in form")
	}
}

// accountWords are the texts the test looks for, per language.
var accountWords = map[string]map[string]string{
	"en": {
		"hint.add": "Now add a verified method with +", "on": "2-Step Verification is on", "notset": "not set up yet",
		"totp.done": "Your authenticator app is verified", "codes": "Save your recovery codes", "saved": "Keep your recovery codes somewhere safe",
		"phone.code": "We sent a code to (201) 555-0123", "phone.done": "Your mobile phone number is verified", "spam": "Check your spam or junk folder",
		"email.done": "Your email address is verified", "replace": "These new codes replace your earlier ones", "earlier": "earlier",
		"grace": "You can skip this 2 more times; after that you'll need to set it up to sign in (about 2 minutes).",
		"setup": "To set it up, select Turn on 2-Step Verification", "wrong": "not right", "copied": "Copied", "show": "Show",
	},
	"es": {
		"hint.add": "Ahora agregue un método verificado con +", "on": "La verificación en 2 pasos está activada", "notset": "todavía no está configurada",
		"totp.done": "Se verificó su app de autenticación", "codes": "Guarde sus códigos de recuperación", "saved": "Guarde sus códigos de recuperación en un lugar seguro",
		"phone.code": "Enviamos un código a (201) 555-0123", "phone.done": "Se verificó su número de teléfono móvil", "spam": "Revise la carpeta de correo no deseado",
		"email.done": "Se verificó su correo electrónico", "replace": "Estos códigos nuevos reemplazan a los anteriores", "earlier": "anteriores",
		"grace": "Puede omitirla 2 veces más; después tendrá que configurarla para iniciar sesión (unos 2 minutos).",
		"setup": "Para configurarla, seleccione Activar la verificación en 2 pasos", "wrong": "no es correcto", "copied": "Copiada", "show": "Mostrar",
	},
}

func TestBrowserAccountPages(t *testing.T) {
	eachWidthAndLanguage(t, browserAccount)
}

func browserAccount(t *testing.T, width int64, lang string) {
	chromiumPath(t)
	w := accountWords[lang]
	mail := delivertest.StartSMTP(t, "", "")
	sms := delivertest.StartWebhook(t)
	srv := startServer(t, "PORTAL_SMTP_URL="+mail.URL(), "PORTAL_SMS_URL=webhook+"+sms.URL+"/sms", "PORTAL_SMS_WEBHOOK_SECRET=k")
	b := newBrowser(t, srv.url, width, true)
	b.open("/lang?to=" + lang + "&next=/login")
	pw := srv.passwords["demo-provider"]
	b.signIn("demo-provider", pw)
	b.state("account-off")

	// Item 4: turned on, no method yet: not "on", and no recovery codes offered.
	b.click(`form[action="/account/two-step/on"] button`)
	b.see(w["hint.add"])
	b.lacks(w["on"])
	if b.eval(`location.hash`) != "#two-step" {
		t.Fatalf("turning on lands at %q", b.eval(`location.href`))
	}
	if b.eval(`String(!!document.querySelector('a[href="/account/recovery-codes"]'))`) != "false" {
		t.Fatal("recovery codes offered before any method")
	}
	b.state("account-on-no-method")
	b.open("/account")
	b.see(w["notset"])
	b.state("account-not-set-up")

	// Item 6: the authenticator app on the phone itself.
	b.click(`a[href="/account/methods/totp/add"]`)
	b.click(`form[action="/account/methods/totp/add"] button[type=submit]`)
	if href := b.eval(`document.querySelector('a[href^="otpauth://totp/"]').getAttribute("href")`); !strings.Contains(href, "secret=") {
		t.Fatalf("open-in-app link %q", href)
	}
	if d := b.eval(`getComputedStyle(document.getElementById("secret-key")).display`); d != "block" {
		t.Fatalf("the key is not on its own line: display %s", d)
	}
	key := b.eval(`document.getElementById("secret-key").dataset.copyText`)
	if grouped := b.text("#secret-key"); strings.ReplaceAll(grouped, " ", "") != key || !strings.Contains(grouped, key[:4]+" "+key[4:8]+" ") {
		t.Fatalf("key %q shown as %q, not in groups of 4", key, grouped)
	}
	b.press(`button[data-copy="secret-key"]`)
	b.see(w["copied"])
	b.state("totp-setup")
	if width == 375 && lang == "en" {
		b.readmeShot("totp-setup.png", "h1")
	}
	b.fill("code", "000000")
	b.click(`form[action="/account/methods/totp/verify"] button[type=submit]`)
	b.see(w["wrong"])
	if f := b.eval(`document.activeElement.id`); f != "code" {
		t.Fatalf("after a wrong code the focus is on %q", f)
	}
	if d := b.eval(`document.getElementById("code").getAttribute("aria-describedby")`); d != "code-error" {
		t.Fatalf("error not tied to the code box: %q", d)
	}
	b.state("totp-wrong-code")
	b.fill("code", twostep.TOTPCode(key, time.Now()))
	b.click(`form[action="/account/methods/totp/verify"] button[type=submit]`)

	// Item 7: the first Done page offers recovery codes, Copy, Download, Print.
	b.see(w["totp.done"])
	b.see(w["codes"])
	b.lacks(w["earlier"])
	codes := b.eval(`Array.from(document.querySelectorAll("#recovery-codes code")).map(c => c.textContent).join(" ")`)
	if n := len(strings.Fields(codes)); n != 10 {
		t.Fatalf("%d codes on the first Done page", n)
	}
	b.eval(`(function(){ var orig = URL.createObjectURL; URL.createObjectURL = function(blob){ blob.text().then(function(t){ window.__file = t; }); return orig.call(URL, blob); };
		window.print = function(){ window.__printed = "yes"; };
		document.querySelector("button[data-download]").click(); document.querySelector("button[data-print]").click(); return ""; })()`)
	deadline := time.Now().Add(5 * time.Second)
	for b.eval(`window.__file || ""`) == "" && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if file := b.eval(`window.__file || ""`); !strings.Contains(file, strings.Fields(codes)[0]) || !strings.Contains(file, strings.Fields(codes)[9]) {
		t.Fatalf("the download holds %q", file)
	}
	if b.eval(`window.__printed || ""`) != "yes" {
		t.Fatal("Print did not print")
	}
	if b.eval(`String(document.querySelector("form.codes-saved").checkValidity())`) != "false" {
		t.Fatal("Done works before 'I saved these' is ticked")
	}
	b.state("first-recovery-codes")
	if width == 375 && lang == "en" {
		b.readmeShot("recovery-codes.png", "")
	}
	b.saveCodes()
	b.see(w["saved"])
	b.state("account-after-first-method")

	// Item 10: the whole number during setup; the waiting button is readable.
	b.click(`a[href="/account/methods/phone/add"]`)
	b.fill("phone", "(201) 555-0123")
	b.fill("confirm_phone", "201-555-0123")
	b.click(`form[action="/account/methods/phone/add"] button[type=submit]`)
	b.see(w["phone.code"])
	if o := b.eval(`(function(){ var s = getComputedStyle(document.querySelector("button[data-wait]")); return s.opacity + " " + s.color; })()`); o != "1 rgb(66, 74, 83)" {
		t.Fatalf("waiting resend button: %s", o)
	}
	b.state("phone-code")
	b.fill("code", sms.Last(t, "+12015550123").Code())
	b.click(`form[action="/account/methods/phone/verify"] button[type=submit]`)
	b.see(w["phone.done"])
	b.click(`a.button[href="/account"]`)

	// A long email: the whole address during setup, the spam hint, sensible wrapping.
	long := "maria.fernanda.rodriguez-villanueva@clinica-san-jose-de-las-montanas.example.org"
	b.click(`a[href="/account/methods/email/add"]`)
	b.fill("email", long)
	b.fill("confirm_email", long)
	b.click(`form[action="/account/methods/email/add"] button[type=submit]`)
	b.see(long)
	b.see(w["spam"])
	b.state("email-code-long-address")
	b.fill("code", mail.Last(t, long).Code())
	b.click(`form[action="/account/methods/email/verify"] button[type=submit]`)
	b.see(w["email.done"])
	b.state("email-done-long-address")
	b.click(`a.button[href="/account"]`)

	// Item 14: values aligned on desktop, stacked on a phone.
	lefts := b.eval(`Array.from(document.querySelectorAll(".methods li")).filter(li => li.querySelector(".check")).map(li => Math.round(li.querySelector(".method-label").getBoundingClientRect().left)).join(" ")`)
	if f := strings.Fields(lefts); len(f) != 3 {
		t.Fatalf("method rows: %q", lefts)
	} else if width >= 1000 && (f[0] != f[1] || f[1] != f[2]) {
		t.Fatalf("method values not aligned: %s", lefts)
	}
	if width < 500 {
		stacked := b.eval(`(function(){ var li = document.querySelector(".methods li"); return String(li.querySelector(".method-label").getBoundingClientRect().top >= li.querySelector(".method-name").getBoundingClientRect().bottom - 1); })()`)
		if stacked != "true" {
			t.Fatal("method name and value are not stacked on a phone")
		}
	}
	b.see(long)
	b.state("account-three-methods")
	if width == 375 && lang == "en" {
		b.readmeShot("account.png", "#two-step")
	}

	// Show password (progressive) and new recovery codes, which replace the first.
	b.click(`a[href="/account/recovery-codes"]`)
	if got := b.text(".show-password"); got != w["show"] {
		t.Fatalf("show-password button says %q", got)
	}
	b.fill("password", pw)
	b.press(`.show-password`)
	if got := b.eval(`document.getElementById("password").type + " " + document.querySelector(".show-password").getAttribute("aria-pressed")`); got != "text true" {
		t.Fatalf("after Show: %s", got)
	}
	b.state("password-shown")
	b.click(`form[action="/account/recovery-codes"] button[type=submit]`)
	b.see(w["replace"])
	b.state("recovery-codes-replaced")
	b.saveCodes()
	b.signOutAny()

	// Item 8: the grace notice and My Account say the same; "Set up now"
	// lands on the 2-Step section with the next step.
	if r := portalCmd(t, srv.dir, srv.db, "", "center", "set", "Demo Center", "--two-step-required=true"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	b.signIn("demo-nurse", srv.passwords["demo-nurse"])
	b.see(w["grace"])
	b.state("grace-notice")
	if width == 375 && lang == "en" {
		b.readmeShot("grace-notice.png", "")
	}
	b.click(`button[value="setup"]`)
	if b.eval(`location.hash`) != "#two-step" {
		t.Fatalf("Set up now lands at %q", b.eval(`location.href`))
	}
	b.see(w["setup"])
	b.see(w["grace"])
	b.state("grace-account")
	if b.axeJS != "" && b.axeRuns < 15 {
		t.Fatalf("axe ran on only %d page states", b.axeRuns)
	}
}

// TestBrowserAccountWithoutJavaScript: the authenticator setup and the first
// recovery codes work with scripts off: the key is selectable text, the
// script-only buttons stay hidden, a wrong code puts the cursor back in the
// box, and "I saved these" still has to be ticked before Done.
func TestBrowserAccountWithoutJavaScript(t *testing.T) {
	eachWidthAndLanguage(t, accountWithoutJS)
}

func accountWithoutJS(t *testing.T, width int64, lang string) {
	chromiumPath(t)
	w := accountWords[lang]
	srv := startServer(t)
	b := newBrowser(t, srv.url, width, false)
	b.open("/lang?to=" + lang + "&next=/login")
	pw := srv.passwords["demo-admin"]
	b.signIn("demo-admin", pw)
	if n := b.eval(`String(document.querySelectorAll(".show-password").length)`); n != "0" {
		t.Fatal("a show-password button without JavaScript")
	}
	b.click(`form[action="/account/two-step/on"] button`)
	b.see(w["hint.add"])
	b.state("nojs-account-on")
	b.click(`a[href="/account/methods/totp/add"]`)
	b.click(`form[action="/account/methods/totp/add"] button[type=submit]`)
	if v := b.eval(`String(document.querySelector('button[data-copy="secret-key"]').offsetParent === null)`); v != "true" {
		t.Fatal("the Copy button shows without JavaScript")
	}
	if b.eval(`String(!!document.querySelector('a[href^="otpauth://totp/"]'))`) != "true" {
		t.Fatal("no open-in-app link without JavaScript")
	}
	key := strings.ReplaceAll(b.text("#secret-key"), " ", "")
	b.fill("code", "000000")
	b.click(`form[action="/account/methods/totp/verify"] button[type=submit]`)
	b.see(w["wrong"])
	if f := b.eval(`document.activeElement.id`); f != "code" {
		t.Fatalf("after a wrong code (no JS) the focus is on %q", f)
	}
	b.state("nojs-totp-wrong")
	b.fill("code", twostep.TOTPCode(key, time.Now()))
	b.click(`form[action="/account/methods/totp/verify"] button[type=submit]`)
	b.see(w["codes"])
	if v := b.eval(`String(document.querySelector(".codes-tools").offsetParent === null)`); v != "true" {
		t.Fatal("Copy/Download/Print show without JavaScript")
	}
	if b.eval(`String(document.querySelector("form.codes-saved").checkValidity())`) != "false" {
		t.Fatal("Done works before 'I saved these' is ticked")
	}
	b.state("nojs-first-codes")
	b.saveCodes()
	b.see(w["saved"])
	b.see(w["on"])
	b.state("nojs-account-protected")
}
