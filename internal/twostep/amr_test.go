package twostep_test

import (
	"testing"
	"time"

	"github.com/providerportal/portal/internal/twostep"
)

// A session records how its person signed in (RFC 8176 amr), for apps.
func TestSessionAMR(t *testing.T) {
	each(t, nil, func(t *testing.T, e *env) {
		a := e.withTwoStepOn("jdoe")
		if a.Session.AMR != "pwd" || a.Session.TwoStepUsed() {
			t.Fatalf("password only: amr %q", a.Session.AMR)
		}
		e.enrolPhone(a, "+12015550123")
		secret := e.enrolTOTP(a)
		if got := e.auth(a.Token).Session.AMR; got != "pwd" {
			t.Fatalf("setting up a method is no second step: amr %q", got)
		}
		e.clock.Add(2 * time.Minute)
		p := e.auth(e.login("jdoe").Token)
		if _, err := e.svc.SendLoginCode(e.ctx, p, twostep.MethodPhone, client); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.VerifyLogin(e.ctx, p, twostep.MethodPhone, e.lastCode("+12015550123"), client); err != nil {
			t.Fatal(err)
		}
		if got := e.auth(p.Token).Session; got.AMR != "pwd sms mfa" || !got.TwoStepUsed() {
			t.Fatalf("text code: amr %q", got.AMR)
		}
		p = e.auth(e.login("jdoe").Token)
		if err := e.svc.VerifyLogin(e.ctx, p, twostep.MethodTOTP, twostep.TOTPCode(secret, e.clock.Now()), client); err != nil {
			t.Fatal(err)
		}
		if got := e.auth(p.Token).Session; got.AMR != "pwd otp mfa" {
			t.Fatalf("app code: amr %q", got.AMR)
		}
	})
}
