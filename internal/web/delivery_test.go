package web_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/config"
	"github.com/providerportal/portal/internal/deliver"
	"github.com/providerportal/portal/internal/deliver/delivertest"
	"github.com/providerportal/portal/internal/twostep"
)

// With the mail server down the request still answers (the code is queued),
// the page says delivery is delayed, and the message goes out once when the
// server returns; if it never does, the page says the code could not be sent.
func TestDeliveryOutageIsVisibleAndLosesNothing(t *testing.T) {
	each(t, opts{}, func(t *testing.T, p *portal) {
		ctx := context.Background()
		mail := delivertest.StartSMTP(t, "", "")
		smtpCfg, _ := config.ParseSMTPURL(mail.URL())
		d := deliver.NewDispatcher(p.store, map[string]deliver.Sender{"email": deliver.NewSMTP(smtpCfg, "Portal <p@example.org>")}, p.clock,
			deliver.Options{BackoffBase: 10 * time.Second}, slog.New(slog.DiscardHandler), nil)
		p.beta(true)
		p.user("jdoe", twostep.RoleProvider)
		c := p.client()
		c.login("jdoe")
		c.do("POST", "/api/v1/account/two-step/on", nil)

		mail.SetDown(true)
		a := c.do("POST", "/api/v1/account/methods/email", `{"email":"j@example.net","confirm_email":"j@example.net"}`)
		if a.status != 202 {
			t.Fatalf("start while mail is down: %d %s", a.status, a.raw)
		}
		d.RunOnce(ctx)
		contains(t, c.page("/account/methods/email/add?step=code"), "it may be delayed")
		mail.SetDown(false)
		p.clock.Add(15 * time.Second)
		d.RunOnce(ctx)
		m := mail.Last(t, "j@example.net")
		if a := c.do("POST", "/api/v1/account/methods/email/verify", `{"code":"`+m.Code()+`"}`); a.status != 201 {
			t.Fatalf("verify: %s", a.raw)
		}
		if n := len(mail.Messages()); n != 1 {
			t.Fatalf("%d emails for one code", n)
		}

		// A provider that never comes back: the message is given up and the user told.
		mail.SetDown(true)
		pending := p.client()
		pending.login("jdoe")
		pending.do("POST", "/api/v1/login/send-code", `{"method":"email"}`)
		for range 12 {
			d.RunOnce(ctx)
			p.clock.Add(time.Minute)
		}
		contains(t, pending.page("/login/verify"), "We could not send the code. Try again, or use another method.")
	})
}
