package web_test

import (
	"context"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/config"
	"github.com/providerportal/portal/internal/deliver"
	"github.com/providerportal/portal/internal/deliver/delivertest"
	"github.com/providerportal/portal/internal/twostep"
)

// B25: the language a person uses on the pages is remembered; their codes,
// notices and reset links come in it, through a real SMTP server and SMS
// webhook, with a plain-text and an HTML part and exactly one link.
func TestMessagesFollowThePageLanguage(t *testing.T) {
	each(t, opts{}, func(t *testing.T, p *portal) {
		ctx := context.Background()
		mail := delivertest.StartSMTP(t, "", "")
		hook := delivertest.StartWebhook(t)
		smtpCfg, _ := config.ParseSMTPURL(mail.URL())
		smsCfg, _ := config.ParseSMSURL("webhook+" + hook.URL)
		d := deliver.NewDispatcher(p.store, map[string]deliver.Sender{"email": deliver.NewSMTP(smtpCfg, "Portal <p@example.org>"), "sms": deliver.NewSMS(smsCfg, "")},
			p.clock, deliver.Options{}, slog.New(slog.DiscardHandler), nil)
		p.beta(true)
		p.user("jdoe", twostep.RoleProvider)
		c := p.client()
		c.do("POST", "/login", []byte("username=jdoe&password="+strings.ReplaceAll(pw, " ", "+")), "Content-Type", "application/x-www-form-urlencoded",
			"Accept", "text/html", "Accept-Language", "es")
		c.do("GET", "/account", nil, "Accept", "text/html", "Accept-Language", "es") // the person reads My Account in Spanish
		c.do("POST", "/api/v1/account/two-step/on", nil)
		c.do("POST", "/api/v1/account/methods/phone", `{"phone":"2015550123","confirm_phone":"2015550123"}`)
		d.RunOnce(ctx)
		sms := hook.Last(t, "+12015550123")
		if !strings.Contains(sms.Body, "Provider Portal: código") || !strings.Contains(sms.Body, "Vence en 10 minutos") {
			t.Fatalf("SMS %s", sms.Body)
		}
		c.do("POST", "/api/v1/account/methods/phone/verify", `{"code":"`+sms.Code()+`"}`)
		d.RunOnce(ctx)
		notice := mail.Last(t, "jdoe@example.org")
		plain, html := notice.Parts()
		if subj := notice.DecodedSubject(); subj != "Provider Portal: se agregó un método verificado" || !strings.Contains(plain, "Hola, jdoe") ||
			!strings.Contains(plain, "teléfono móvil") || !strings.Contains(html, "<p>Hola, jdoe:</p>") {
			t.Fatalf("notice %q\n%s\n%s", subj, plain, html)
		}
		// The reset link, asked for from an English page, still comes in the
		// language the person last used.
		p.client().do("POST", "/api/v1/password-reset", `{"login":"jdoe"}`, "Accept-Language", "en")
		p.svc.HandleResetRequests(ctx)
		d.RunOnce(ctx)
		reset := mail.Last(t, "jdoe@example.org")
		plain, html = reset.Parts()
		links := reset.Links()
		if reset.DecodedSubject() != "Provider Portal: elija una contraseña nueva" || len(links) != 1 ||
			!regexp.MustCompile(`^`+regexp.QuoteMeta(p.svc.Settings().PublicURL)+`/password-reset\?token=[A-Za-z0-9_-]{43}$`).MatchString(links[0]) {
			t.Fatalf("reset email %q links %v\n%s", reset.DecodedSubject(), links, plain)
		}
		if strings.Count(html, "<a ") != 1 || !strings.Contains(html, `href="`+links[0]+`"`) || !strings.Contains(html, "Elegir una contraseña nueva") {
			t.Fatalf("HTML part:\n%s", html)
		}
		if a := p.client().do("POST", "/api/v1/password-reset/start", map[string]string{"token": strings.SplitN(links[0], "token=", 2)[1]}); a.status != 200 {
			t.Fatalf("the emailed link: %s", a.raw)
		}
		// Switching the pages back to English switches the messages back.
		c.do("GET", "/lang?to=en&next=/account", nil)
		c.page("/account")
		p.clock.Add(time.Minute)
		c.do("POST", "/api/v1/account/methods/email", `{"email":"j@example.net","confirm_email":"j@example.net"}`)
		d.RunOnce(ctx)
		if m := mail.Last(t, "j@example.net"); m.DecodedSubject() != "Provider Portal verification code" {
			t.Fatalf("after switching back: %q", m.DecodedSubject())
		}
	})
}
