package web_test

import (
	"strings"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/twostep"
)

func lacks(t *testing.T, a answer, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if strings.Contains(string(a.raw), p) {
			t.Fatalf("page has %q", p)
		}
	}
}

// TestAccountPagesSayWhatProtects (issue 13, items 4, 7, 10): on with no
// verified method is "not set up yet"; recovery codes are offered only once a
// method exists; the setup code page shows the whole phone number; a person who
// added a method without the pages has no codes, and sign-in does not offer them;
// getting codes for the first time never speaks of earlier ones.
func TestAccountPagesSayWhatProtects(t *testing.T) {
	each(t, opts{}, func(t *testing.T, p *portal) {
		p.beta(true)
		p.user("jdoe", twostep.RoleProvider)
		c := p.client()
		c.form("/login", "username", "jdoe", "password", pw)
		c.form("/account/two-step/on")
		acct := c.page("/account")
		contains(t, acct, "2-Step Verification is not set up yet.", "Add a method below with")
		lacks(t, acct, "2-Step Verification is on", "/account/recovery-codes")

		// The phone's code page shows the number as typed (formatted), not masked.
		redirectsTo(t, c.form("/account/methods/phone/add", "phone", "(201) 555-0123", "confirm_phone", "201-555-0123"), "/account/methods/phone/add?step=code")
		contains(t, c.page("/account/methods/phone/add?step=code"), "We sent a code to (201) 555-0123.")

		// A method added through the API: no codes yet, none offered at sign-in.
		api := c // the same session: adding a method ends the others (B15)
		api.do("POST", "/api/v1/account/methods/email", map[string]string{"email": "j@example.net", "confirm_email": "j@example.net"})
		if a := api.do("POST", "/api/v1/account/methods/email/verify", map[string]string{"code": p.lastCode("j@example.net")}); a.status != 201 {
			t.Fatalf("verify: %d %s", a.status, a.raw)
		}
		acct = c.page("/account")
		contains(t, acct, "2-Step Verification is on.", "Recovery codes left: 0.", "Get recovery codes")
		contains(t, c.page("/account/recovery-codes"), "You will get 10 recovery codes")
		lacks(t, c.page("/account/recovery-codes"), "earlier", "new recovery codes")
		c2 := p.client()
		c2.form("/login", "username", "jdoe", "password", pw)
		lacks(t, c2.page("/login/verify"), "A recovery code")

		// First codes: no word of earlier ones. New codes: they replace them.
		first := c.form("/account/recovery-codes", "password", pw)
		contains(t, first, "They are shown only now.", `id="recovery-codes"`, `data-download="recovery-codes"`, `value="saved" required`)
		lacks(t, first, "earlier", "no longer work")
		contains(t, c.page("/account/recovery-codes"), "Get new recovery codes", "any earlier ones stop working")
		contains(t, c.form("/account/recovery-codes", "password", pw), "These new codes replace your earlier ones")
		contains(t, c.page("/account?done=saved"), "2-Step Verification is on. Keep your recovery codes somewhere safe.")
	})
}

// TestGraceSentenceIsTheSameEverywhere (item 8): the notice and My Account
// count the skips left the same way, in the same sentence.
func TestGraceSentenceIsTheSameEverywhere(t *testing.T) {
	each(t, opts{}, func(t *testing.T, p *portal) {
		p.beta(true)
		p.require(true)
		p.user("jdoe", twostep.RoleProvider)
		for _, want := range []string{"You can skip this 2 more times; after that you&#39;ll need to set it up to sign in (about 2 minutes).",
			"You can skip this 1 more time; after that you&#39;ll need to set it up to sign in (about 2 minutes).",
			"You can&#39;t skip this again: at your next sign-in you&#39;ll need to set it up (about 2 minutes)."} {
			c := p.client()
			redirectsTo(t, c.form("/login", "username", "jdoe", "password", pw), "/login/notice")
			contains(t, c.page("/login/notice"), want)
			redirectsTo(t, c.form("/login/dismiss", "next", "setup"), "/account?done=setup#two-step")
			contains(t, c.page("/account?done=setup"), want, `id="two-step"`, "To set it up, select Turn on 2-Step Verification")
			p.clock.Add(time.Minute)
		}
	})
}
