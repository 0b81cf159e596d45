package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// adminWords are the words the admin and staff tests look for, per language.
var adminWords = map[string]map[string]string{
	"en": {
		"summary": "There is a problem", "notfound": "Page not found", "home": "Go to the start page",
		"confirm.off": "Turn the beta off for %s?", "flash.off": "The 2-Step Verification beta is off for %s.",
		"flash.on": "The 2-Step Verification beta is on for %s.", "flash.center": "The center and its admin were created.",
		"audit": "Audit log", "signed in": "demo-admin signed in", "reset": "Reset 2-Step Verification", "off": "Off",
	},
	"es": {
		"summary": "Hay un problema", "notfound": "No se encontró la página", "home": "Ir a la página de inicio",
		"confirm.off": "¿Desactivar la beta de %s?", "flash.off": "La beta de verificación en 2 pasos está desactivada para %s.",
		"flash.on": "La beta de verificación en 2 pasos está activada para %s.", "flash.center": "Se crearon el centro y su administrador.",
		"audit": "Registro de auditoría", "signed in": "demo-admin", "reset": "Restablecer la verificación en 2 pasos", "off": "Desactivada",
	},
}

// TestBrowserAdminPages walks the center admin's and the account manager's
// pages at phone and desktop width, in English and Spanish: nothing scrolls
// sideways, tables use the width there is (cards on a phone), form errors are
// summed up at the top with the cursor in the first bad field and the values
// kept, turning a beta off asks first, the audit log filters, and an unknown
// address shows the portal's own page.
func TestBrowserAdminPages(t *testing.T) {
	chromiumPath(t)
	srv := startServer(t, "PORTAL_STAFF_TWO_STEP=optional") // the manager's own 2SV is another test's
	eachWidthAndLanguage(t, func(t *testing.T, width int64, lang string) {
		adminFlow(t, srv, width, lang)
		staffFlow(t, srv, width, lang)
	})
}

// focused is the id of the element that has the keyboard focus.
func (b *browser) focused() string {
	b.t.Helper()
	return b.eval(`document.activeElement ? document.activeElement.id : ""`)
}

// checkSummary checks the error summary at the top: it comes before the
// form, links to exactly the fields named, each of which is marked invalid,
// and the cursor is in the first.
func (b *browser) checkSummary(lang string, fields ...string) {
	b.t.Helper()
	b.see(adminWords[lang]["summary"])
	links := b.eval(`[...document.querySelectorAll(".error-summary a")].map(a => a.getAttribute("href")).join(" ")`)
	want := "#" + strings.Join(fields, " #")
	if links != want {
		b.t.Fatalf("error summary links %q, want %q", links, want)
	}
	if top := b.eval(`String(document.querySelector(".error-summary").getBoundingClientRect().top < document.querySelector("main h1").getBoundingClientRect().bottom + 200)`); top != "true" {
		b.t.Error("the error summary is not at the top of the page")
	}
	for _, f := range fields {
		if inv := b.eval(`document.getElementById("` + f + `").getAttribute("aria-invalid") || ""`); inv != "true" {
			b.t.Errorf("field %s is not marked invalid", f)
		}
	}
	if got := b.focused(); got != fields[0] {
		b.t.Errorf("focus on %q, want the first bad field %q", got, fields[0])
	}
}

// value is what the field with id holds.
func (b *browser) value(id string) string {
	b.t.Helper()
	return b.eval(`document.getElementById("` + id + `").value`)
}

// level fails unless the elements a and c (CSS) sit on one row centred
// alike, or, where the row is too narrow for both, c wraps below a and starts
// at the same left edge.
func (b *browser) level(a, c string) {
	b.t.Helper()
	got := b.eval(fmt.Sprintf(`(function(){var a=document.querySelector(%q).getBoundingClientRect(), c=document.querySelector(%q).getBoundingClientRect();
		if (c.top >= a.bottom) return Math.abs(a.left - c.left) < 1 ? "" : "wrapped, left edges " + a.left + " and " + c.left;
		var d = Math.abs((a.top+a.bottom)/2 - (c.top+c.bottom)/2); return d < 1 ? "" : "centres " + d + "px apart"})()`, a, c))
	if got != "" {
		b.t.Errorf("%s and %s are not level: %s", a, c, got)
	}
}

// readmeShot saves the phone-sized window as docs screenshot name when
// PORTAL_README_SHOTS names a directory (go test … with
// PORTAL_README_SHOTS=$PWD/docs/screenshots refreshes the README's images).
func (b *browser) readmeShot(name, scrollTo string) {
	b.t.Helper()
	dir := os.Getenv("PORTAL_README_SHOTS")
	if dir == "" {
		return
	}
	if scrollTo != "" {
		b.eval(`scrollTo(0, document.querySelector(` + fmt.Sprintf("%q", scrollTo) + `).getBoundingClientRect().top + scrollY - 12); ""`)
	}
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		b.t.Fatalf("README screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.eval(`scrollTo(0, 0); ""`)
}

func adminFlow(t *testing.T, srv *server, width int64, lang string) {
	w := adminWords[lang]
	b := newBrowser(t, srv.url, width, true)
	b.signIn("demo-admin", srv.passwords["demo-admin"])
	b.useLanguage(lang, "/admin")
	b.see("Demo Center")

	// The page: wide on a desktop, cards on a phone, fields alike.
	b.fits("admin")
	if wide := b.eval(`document.querySelector("main").className`); wide != "wide" {
		t.Errorf("admin page main class %q, want wide", wide)
	}
	if width == 1280 {
		if px := b.eval(`(function(){var w=document.getElementById("people").getBoundingClientRect().width; return w > 640 ? "" : String(w)})()`); px != "" {
			t.Errorf("people table %s px wide at 1280 px, want the wide layout", px)
		}
	} else {
		if got := b.eval(`(function(){var w=document.querySelector("#people").closest(".table-wrap"); return w.scrollWidth <= w.clientWidth ? "" : w.scrollWidth+" > "+w.clientWidth})()`); got != "" {
			t.Errorf("people table scrolls inside its box on a phone: %s", got)
		}
		if cards := b.eval(`getComputedStyle(document.querySelector("#people tbody tr")).display`); cards != "block" {
			t.Errorf("people rows at 375 px are %q, want cards (block)", cards)
		}
	}
	if same := b.eval(`(function(){var g=getComputedStyle(document.getElementById("grace_logins")), u=getComputedStyle(document.getElementById("username"));
		return [g.paddingLeft==u.paddingLeft, g.borderRadius==u.borderRadius, g.borderTopColor==u.borderTopColor, g.fontSize==u.fontSize].join()})()`); same != "true,true,true,true" {
		t.Errorf("the grace-logins field is not styled like the other inputs: %s", same)
	}
	if row := b.eval(`(function(){var r=document.getElementById("role").getBoundingClientRect(), l=document.querySelector('label[for="role"]').getBoundingClientRect(),
		s=document.querySelector('form[action="/admin/invitations"] button[type=submit]').getBoundingClientRect(); return String(r.top >= l.bottom && s.top >= r.bottom)})()`); row != "true" {
		t.Error("the Role dropdown does not have a row of its own")
	}
	if width == 375 && lang == "en" {
		b.readmeShot("admin.png", `section[aria-labelledby="users-h"]`)
	}

	// Inviting with nothing filled in: both fields flagged, the cursor in the first.
	b.click(`form[action="/admin/invitations"] button[type=submit]`)
	b.checkSummary(lang, "username", "email")
	b.fits("invite-empty")
	// A bad address: only it is flagged, what was typed stays.
	b.fill("username", "new-nurse")
	b.fill("email", "not-an-address")
	b.eval(`document.getElementById("role").value = "admin"; ""`)
	b.click(`form[action="/admin/invitations"] button[type=submit]`)
	b.checkSummary(lang, "email")
	if u, e, r := b.value("username"), b.value("email"), b.value("role"); u != "new-nurse" || e != "not-an-address" || r != "admin" {
		t.Errorf("the form came back with %q %q %q, not what was submitted", u, e, r)
	}
	b.fits("invite-bad-email")

	// A policy with −4 grace sign-ins: refused, flagged, and −4 stays in the box.
	b.fill("grace_logins", "-4")
	b.click(`form[action="/admin/policy"] button[type=submit]`)
	b.checkSummary(lang, "grace_logins")
	if v := b.value("grace_logins"); v != "-4" {
		t.Errorf("grace logins field shows %q after -4 was refused", v)
	}
	b.fits("policy-minus-four")

	// Reset asks for the password; Cancel leads back here, level with the button.
	b.open("/admin")
	b.click(`a[href="/admin/users/demo-nurse/reset"]`)
	b.see(w["reset"])
	if href := b.eval(`document.querySelector(".actions a").getAttribute("href")`); href != "/admin" {
		t.Errorf("Cancel on the reset page leads to %q", href)
	}
	b.level(".actions button", ".actions a")
	b.fits("reset-confirm")
	b.open("/account/password") // Cancel sits level with its button on every form
	b.level(".actions button", ".actions a")
	b.fits("password-change")

	// The audit log: filters by person and kind; the CSV keeps them.
	b.open("/admin")
	b.click(`a[href="/admin/audit"]`)
	b.see(w["audit"])
	b.fits("audit")
	if width == 375 && lang == "en" {
		b.readmeShot("audit.png", "")
	}
	b.eval(`document.getElementById("person").value = "demo-admin"; document.getElementById("kind").value = "sign_in"; ""`)
	b.click(`form.filters button[type=submit]`)
	b.see(w["signed in"])
	csv := b.eval(`document.querySelector("a[href*='audit.csv']").getAttribute("href")`)
	if !strings.Contains(csv, "person=demo-admin") || !strings.Contains(csv, "kind=sign_in") {
		t.Errorf("CSV link %q drops the filters", csv)
	}
	if others := b.eval(`[...document.querySelectorAll(".event-what")].filter(e => !e.textContent.includes("demo-admin")).length + ""`); others != "0" {
		t.Errorf("%s events of other people under a person filter", others)
	}
	if n := b.eval(`document.querySelectorAll(".event-what").length + ""`); n == "0" {
		t.Error("no sign-in events for demo-admin")
	}
	b.fits("audit-filtered")

	// An address that leads nowhere: the portal's own page, header and a way back.
	b.open("/no-such-page")
	b.see(w["notfound"])
	if h := b.eval(`document.querySelector("main h1").textContent`); h != w["notfound"] {
		t.Errorf("404 page heading %q", h)
	}
	if links := b.eval(`[document.querySelector('header a.brand'), document.querySelector('header nav a[href="/admin"]'), document.querySelector('main a[href="/"]')].every(Boolean) + ""`); links != "true" {
		t.Error("the 404 page lacks the header links or a way back")
	}
	b.see(w["home"])
	b.fits("not-found")
}

func staffFlow(t *testing.T, srv *server, width int64, lang string) {
	w := adminWords[lang]
	b := newBrowser(t, srv.url, width, true)
	b.signIn("manager", srv.passwords["manager"])
	b.useLanguage(lang, "/staff")
	b.see("Demo Center")
	b.fits("staff")
	if wide := b.eval(`document.querySelector("main").className`); wide != "wide" {
		t.Errorf("staff page main class %q, want wide", wide)
	}

	// Create center with no name: the name field is flagged, not Username.
	suffix := fmt.Sprintf("%d%s", width, lang)
	b.fill("username", "admin-"+suffix)
	b.fill("email", "admin-"+suffix+"@example.org")
	b.fill("password", "correct horse battery staple")
	b.click(`form[action="/staff/centers"] button[type=submit]`)
	b.checkSummary(lang, "name")
	if u := b.value("username"); u != "admin-"+suffix {
		t.Errorf("username came back as %q", u)
	}
	b.fits("create-center-no-name")
	name := "Clinic " + suffix
	b.fill("name", name)
	b.fill("password", "correct horse battery staple")
	b.click(`form[action="/staff/centers"] button[type=submit]`)
	b.see(w["flash.center"])

	// Beta on at once; off only after a page that says what it does.
	row := `[...document.querySelectorAll("#centers tbody tr")].find(r => r.querySelector("td").textContent.trim() === ` + fmt.Sprintf("%q", name) + `)`
	action := b.eval(row + `.querySelector("form").getAttribute("action")`)
	b.click(`form[action="` + action + `"] button[type=submit]`)
	b.see(fmt.Sprintf(w["flash.on"], name))
	if fit := b.eval(`(function(){var a=document.querySelector('a[href="` + action + `"]').getBoundingClientRect(), c=document.querySelector("#centers").closest(".card").getBoundingClientRect();
		return String(a.right <= c.right && a.left >= c.left)})()`); fit != "true" {
		t.Error(`"Turn beta off" does not fit its card`)
	}
	b.fits("beta-on")
	b.click(`a[href="` + action + `"]`)
	b.see(fmt.Sprintf(w["confirm.off"], name))
	b.level(".actions button", ".actions a")
	b.fits("beta-off-confirm")
	b.click(`form[action="` + action + `"] button[type=submit]`)
	b.see(fmt.Sprintf(w["flash.off"], name))
	if state := b.eval(row + `.querySelectorAll("td")[1].textContent.trim()`); !strings.HasSuffix(state, w["off"]) {
		t.Errorf("beta column shows %q after turning it off", state)
	}
	b.fits("beta-off-done")

	// The audit log of all centers, filtered by a typed person.
	b.click(`a[href="/staff/audit"]`)
	b.fill("person", "manager")
	b.click(`form.filters button[type=submit]`)
	b.see(name)
	if csv := b.eval(`document.querySelector("a[href*='audit.csv']").getAttribute("href")`); !strings.Contains(csv, "person=manager") {
		t.Errorf("CSV link %q drops the filter", csv)
	}
	b.fits("staff-audit")
}

// TestBrowserAdminWithoutJavaScript: with scripts off, a refused form still
// sums its errors up at the top with links to the fields, and turning a beta
// off still asks first, then works.
func TestBrowserAdminWithoutJavaScript(t *testing.T) {
	chromiumPath(t)
	srv := startServer(t, "PORTAL_STAFF_TWO_STEP=optional")
	eachWidthAndLanguage(t, func(t *testing.T, width int64, lang string) {
		w := adminWords[lang]
		b := newBrowser(t, srv.url, width, false)
		b.signIn("manager", srv.passwords["manager"])
		b.useLanguage(lang, "/staff")
		b.click(`form[action="/staff/centers"] button[type=submit]`)
		b.see(w["summary"])
		if links := b.eval(`[...document.querySelectorAll(".error-summary a")].map(a => a.getAttribute("href")).join(" ")`); !strings.HasPrefix(links, "#name #username") {
			t.Errorf("error summary links %q", links)
		}
		b.fits("create-center-empty")

		b.open("/staff")
		b.click(`a[href="/staff/centers/1/beta"]`)
		b.see(fmt.Sprintf(w["confirm.off"], "Demo Center"))
		b.fits("beta-off-confirm")
		b.click(`form[action="/staff/centers/1/beta"] button[type=submit]`)
		b.see(fmt.Sprintf(w["flash.off"], "Demo Center"))
		b.fits("beta-off-done")
		b.click(`form[action="/staff/centers/1/beta"] button[type=submit]`) // on again, at once
		b.see(fmt.Sprintf(w["flash.on"], "Demo Center"))
	})
}
