package web_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/twostep"
)

// Issue 13, item 5: after too many wrong codes the page says, in plain words,
// until what time (the center's) signing in is paused, its forms are disabled,
// a new sign-in shows the same, and one counter of tries only goes down.
func TestPagesLockoutIsClear(t *testing.T) {
	each(t, opts{}, func(t *testing.T, p *portal) {
		p.beta(true)
		p.user("boss", twostep.RoleAdmin)
		key := p.totpUser("jdoe", twostep.RoleProvider)
		admin := p.client()
		admin.form("/login", "username", "boss", "password", pw)
		redirectsTo(t, admin.form("/admin/time-zone", "time_zone", "America/Chicago"), "/admin?done=zone")

		c := p.client()
		redirectsTo(t, c.form("/login", "username", "jdoe", "password", pw), "/login/verify")
		tries := regexp.MustCompile(`You have (\d+) more tr(?:y|ies) before signing in is paused\.`)
		last := 100
		for i := 0; i < 9; i++ {
			a := c.form("/login/verify", "method", "totp", "code", "000000")
			all := tries.FindAllStringSubmatch(string(a.raw), -1)
			if a.status != 401 || all == nil {
				t.Fatalf("wrong code %d: %d %s", i+1, a.status, a.raw)
			}
			m := all[0]
			for _, o := range all { // the summary at the top and the code box agree
				if o[1] != m[1] {
					t.Fatalf("two counters: %s and %s", m[1], o[1])
				}
			}
			if n := atoi(m[1]); n != last-1 && last != 100 || n >= last {
				t.Fatalf("the counter went %d → %d", last, n)
			} else {
				last = n
			}
			if strings.Count(string(a.raw), "more tr") != len(all) {
				t.Fatalf("another counter:\n%s", a.raw)
			}
		}
		if last != 1 {
			t.Fatalf("last counter %d", last)
		}
		chicago, _ := time.LoadLocation("America/Chicago")
		at := p.clock.Now().Add(15 * time.Minute).In(chicago).Format("15:04")
		locked := c.form("/login/verify", "method", "totp", "code", "000000")
		if locked.status != 423 {
			t.Fatalf("the lock: %d", locked.status)
		}
		paused := "signing in is paused until " + at + " (15 minutes from now)."
		contains(t, locked, paused, "<fieldset disabled>", `data-locked-for="900"`)
		for _, jargon := range []string{"second step is locked", "more tries.", "Use another method"} {
			if strings.Contains(string(locked.raw), jargon) {
				t.Fatalf("locked page says %q", jargon)
			}
		}
		if n := strings.Count(string(locked.raw), paused); n != 1 {
			t.Fatalf("the pause is said %d times", n)
		}

		// A new sign-in shows the pause straight away; the right code does not pass.
		d := p.client()
		redirectsTo(t, d.form("/login", "username", "jdoe", "password", pw), "/login/verify")
		p.clock.Add(5 * time.Minute)
		again := d.page("/login/verify")
		contains(t, again, "signing in is paused until "+at+" (10 minutes from now).", "<fieldset disabled>")
		if a := d.form("/login/verify", "method", "totp", "code", twostep.TOTPCode(key, p.clock.Now())); a.status != 423 {
			t.Fatalf("a right code while paused: %d", a.status)
		}

		// Spanish says the same.
		d.page("/lang?to=es&next=/login/verify")
		contains(t, d.page("/login/verify"), "el inicio de sesión está en pausa hasta las "+at)

		// After the pause the form works again.
		p.clock.Add(11 * time.Minute)
		open := d.page("/login/verify")
		if strings.Contains(string(open.raw), "disabled") || strings.Contains(string(open.raw), "pausa") {
			t.Fatalf("still paused:\n%s", open.raw)
		}
		if a := d.form("/login/verify", "method", "totp", "code", twostep.TOTPCode(key, p.clock.Now())); a.status != 303 {
			t.Fatalf("after the pause: %d %s", a.status, a.raw)
		}
	})
}

// Issue 13, item 9: the method choice's button says what happens next, the
// explanation sits above it, and masked values never break across lines.
func TestPagesMethodChoiceButtons(t *testing.T) {
	each(t, opts{}, func(t *testing.T, p *portal) {
		p.beta(true)
		key := p.totpUser("jdoe", twostep.RoleProvider)
		c := p.client()
		c.signIn2SV("jdoe", key)
		if a := c.do("POST", "/api/v1/account/methods/email", map[string]string{"email": "jdoe.home@example.net", "confirm_email": "jdoe.home@example.net"}); a.status >= 300 {
			t.Fatalf("add email: %s", a.raw)
		}
		c.do("POST", "/api/v1/account/methods/email/verify", map[string]string{"code": p.lastCode("jdoe.home@example.net")})
		c.do("POST", "/api/v1/logout", nil)

		b := p.client()
		redirectsTo(t, b.form("/login", "username", "jdoe", "password", pw), "/login/verify")
		page := string(b.page("/login/verify").raw)
		for _, want := range []string{`value="totp"  checked`, `value="email" data-sends`, `class="muted masked">j•••@example.net</span>`,
			`class="primary when-sends">Send Code</button>`, `class="primary when-continues">Continue</button>`} {
			if !strings.Contains(page, want) {
				t.Fatalf("choice page lacks %q:\n%s", want, page)
			}
		}
		if strings.Index(page, "no code is sent") > strings.Index(page, "when-sends") {
			t.Fatal("the explanation is below the buttons")
		}
		// Either button submits the chosen method: Continue with the app goes on
		// to the code box, Send Code with the email sends one.
		redirectsTo(t, b.form("/login/send-code", "method", "totp"), "/login/verify")
		redirectsTo(t, b.form("/login/send-code", "method", "email"), "/login/verify")
		contains(t, b.page("/login/verify"), "We sent a code to j•••@example.net")
	})
}

func atoi(s string) int {
	n := 0
	for _, r := range s {
		n = n*10 + int(r-'0')
	}
	return n
}
