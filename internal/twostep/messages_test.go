package twostep_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/twostep"
)

func TestSMSSegments(t *testing.T) {
	cases := []struct {
		text string
		want int
	}{
		{strings.Repeat("a", 160), 1},
		{strings.Repeat("a", 161), 2},
		{strings.Repeat("é", 160), 1},            // é, ñ, ü are GSM-7
		{strings.Repeat("a", 79) + "€", 1},       // € takes two septets
		{strings.Repeat("a", 159) + "€", 2},      // …so this is 161
		{"código " + strings.Repeat("a", 63), 1}, // ó is not: UCS-2, 70
		{"código " + strings.Repeat("a", 64), 2},
		{strings.Repeat("😀", 35), 1}, // two UTF-16 units each
		{strings.Repeat("😀", 36), 2},
	}
	for _, c := range cases {
		if got := twostep.SMSSegments(c.text); got != c.want {
			t.Errorf("%q: %d segments, want %d", c.text, got, c.want)
		}
	}
}

// Every message text exists in both languages with the same verbs in the same order.
func TestMessageCatalogues(t *testing.T) {
	verbs := regexp.MustCompile(`%(\[\d\])?[sdv]`)
	for _, lang := range twostep.Languages {
		for _, key := range []string{"msg.code.sms", "msg.code.body", "msg.notice.body", "msg.reset.body", "msg.invite.body", "dur.minutes"} {
			if _, ok := twostep.Text(lang, key); !ok {
				t.Errorf("%s lacks %s", lang, key)
			}
		}
	}
	en, es := twostep.MessageKeys("en"), twostep.MessageKeys("es")
	if len(en) != len(es) {
		t.Errorf("English has %d texts, Spanish %d", len(en), len(es))
	}
	for _, k := range en {
		a, _ := twostep.Text("en", k)
		b, ok := twostep.Text("es", k)
		if !ok || strings.Join(verbs.FindAllString(a, -1), "") != strings.Join(verbs.FindAllString(b, -1), "") {
			t.Errorf("%s: %q and %q", k, a, b)
		}
	}
	if got := twostep.Duration("es", 10*time.Minute); got != "10 minutos" {
		t.Errorf("duration %q", got)
	}
}

// B25: codes and notices come in the language the person last used on the
// pages; text messages keep to one segment with the site name and the code as
// the only 6-digit number.
func TestMessagesInThePersonsLanguage(t *testing.T) {
	sixDigits := regexp.MustCompile(`\b\d{6}\b`)
	for _, lang := range []string{"en", "es"} {
		t.Run(lang, func(t *testing.T) {
			each(t, nil, func(t *testing.T, e *env) {
				a := e.withTwoStepOn("jdoe")
				if err := e.svc.RememberLanguage(e.ctx, a, lang); err != nil {
					t.Fatal(err)
				}
				if err := e.svc.RememberLanguage(e.ctx, a, "fr"); err != nil || e.auth(a.Token).User.Language != lang {
					t.Fatalf("language %q, %v", e.auth(a.Token).User.Language, err)
				}
				e.enrolPhone(a, "2015550123")
				e.enrolEmail(a, "j@example.net")
				e.clock.Add(6 * time.Minute)
				p := e.auth(e.login("jdoe").Token)
				e.svc.SendLoginCode(e.ctx, p, twostep.MethodPhone, client)
				e.svc.SendLoginCode(e.ctx, p, twostep.MethodEmail, client)
				sms := e.messages("+12015550123")
				mail := e.messages("j@example.net")
				notices := e.messages("jdoe@example.org")
				want := map[string][]string{
					"en": {"verification code:", "It works for 10 minutes", "Your Provider Portal verification code is", "a verified method was added", "Hello jdoe", "mobile phone"},
					"es": {"código", "Vence en 10 minutos", "Su código de verificación de Provider Portal es", "se agregó un método verificado", "Hola, jdoe", "teléfono móvil"},
				}[lang]
				last := sms[len(sms)-1]
				if !strings.Contains(last.Body, want[0]) || !strings.Contains(last.Body, want[1]) || !strings.Contains(last.Body, "Provider Portal") {
					t.Fatalf("SMS %q", last.Body)
				}
				for _, m := range sms {
					if n := twostep.SMSSegments(m.Body); n != 1 {
						t.Errorf("SMS of %d segments: %q", n, m.Body)
					}
					if len(sixDigits.FindAllString(m.Body, -1)) != 1 {
						t.Errorf("SMS without exactly one 6-digit number: %q", m.Body)
					}
				}
				if m := mail[len(mail)-1]; !strings.Contains(m.Body, want[2]) || m.HTML == "" || len(sixDigits.FindAllString(m.Body, -1)) != 1 {
					t.Fatalf("email %q / %q", m.Body, m.HTML)
				}
				var found bool
				for _, n := range notices {
					if strings.Contains(n.Subject, want[3]) && strings.Contains(n.Body, want[4]) && strings.Contains(n.Body, want[5]) && n.HTML != "" {
						found = true
					}
				}
				if !found {
					t.Fatalf("no notice in %s among %+v", lang, notices)
				}
			})
		})
	}
}

// A long site name still leaves one segment: the text gets shorter first.
func TestSMSShortensForLongSiteNames(t *testing.T) {
	each(t, func(s *twostep.Settings) { s.SiteName = "Portal de Proveedores de la Clínica" }, func(t *testing.T, e *env) {
		a := e.withTwoStepOn("jdoe")
		e.svc.RememberLanguage(e.ctx, a, "es")
		if _, err := e.svc.StartPhone(e.ctx, a, "2015550123", "2015550123", "", client); err != nil {
			t.Fatal(err)
		}
		m := e.messages("+12015550123")[0]
		if twostep.SMSSegments(m.Body) != 1 || !strings.Contains(m.Body, "Portal de Proveedores de la Clínica") || e.lastCode("+12015550123") == "" {
			t.Fatalf("%q", m.Body)
		}
	})
}
