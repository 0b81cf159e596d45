package twostep_test

import (
	"testing"
	"time"

	"github.com/providerportal/portal/internal/twostep"
)

// TestTwoStepInEffect: 2SV protects the sign-in only when it is on and a
// verified method exists (R4); pages say "not set up yet" otherwise.
func TestTwoStepInEffect(t *testing.T) {
	one := []twostep.MethodView{{Type: twostep.MethodTOTP, Label: "maria"}}
	for _, c := range []struct {
		name    string
		v       twostep.TwoStepView
		protect bool
	}{
		{"off, no method", twostep.TwoStepView{}, false},
		{"on, no method yet", twostep.TwoStepView{On: true}, false},
		{"on, no method yet, required", twostep.TwoStepView{On: true, Required: true}, false},
		{"on, one method", twostep.TwoStepView{On: true, Methods: one}, true},
		{"off with a stored method (beta was off)", twostep.TwoStepView{Methods: one}, false},
	} {
		if got := c.v.InEffect(); got != c.protect {
			t.Errorf("%s: InEffect %v, want %v", c.name, got, c.protect)
		}
	}
}

// TestFirstRecoveryCodes: the first set comes without a password right after
// the first verified method; never before a method, never in place of codes
// that exist, never after the recent-sign-in window.
func TestFirstRecoveryCodes(t *testing.T) {
	each(t, nil, func(t *testing.T, e *env) {
		a := e.withTwoStepOn("maria")
		if codes, err := e.svc.FirstRecoveryCodes(e.ctx, a, client); err != nil || codes != nil {
			t.Fatalf("before any method: %v %v", codes, err)
		}
		if _, err := e.svc.StartEmail(e.ctx, a, "maria@home.example", "maria@home.example", "", client); err != nil {
			t.Fatal(err)
		}
		st, err := e.svc.CodeStatus(e.ctx, a, twostep.PurposeSetup, twostep.MethodEmail)
		if err != nil || st.To != "maria@home.example" {
			t.Fatalf("setup shows %+v, %v: want the whole address", st, err)
		}
		if _, err := e.svc.VerifySetup(e.ctx, a, twostep.MethodEmail, e.lastCode("maria@home.example"), client); err != nil {
			t.Fatal(err)
		}
		codes, err := e.svc.FirstRecoveryCodes(e.ctx, a, client)
		if err != nil || len(codes) != 10 {
			t.Fatalf("first codes: %d, %v", len(codes), err)
		}
		if again, err := e.svc.FirstRecoveryCodes(e.ctx, a, client); err != nil || again != nil {
			t.Fatalf("codes exist, yet offered again: %v %v", again, err)
		}
		if v, _ := e.svc.Account(e.ctx, a); v.TwoStep.RecoveryCodesLeft != 10 || !v.TwoStep.InEffect() {
			t.Fatalf("account after first codes: %+v", v.TwoStep)
		}
		if !e.noticed("maria@example.org", "new recovery codes") {
			t.Fatal("the first set was not notified (B5)")
		}
		// Every code used: a set that is used up is renewed only with the
		// password (B7), never as a "first" set after adding another method.
		for _, c := range codes {
			p := e.auth(e.login("maria").Token)
			if err := e.svc.VerifyLogin(e.ctx, p, twostep.MethodRecovery, c, client); err != nil {
				t.Fatal(err)
			}
		}
		p := e.auth(e.login("maria").Token)
		if err := e.svc.VerifyLogin(e.ctx, p, twostep.MethodEmail, "", client); err == nil {
			t.Fatal("an empty code passed")
		}
		if _, err := e.svc.SendLoginCode(e.ctx, p, twostep.MethodEmail, client); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.VerifyLogin(e.ctx, p, twostep.MethodEmail, e.lastCode("maria@home.example"), client); err != nil {
			t.Fatal(err)
		}
		app, err := e.svc.StartTOTP(e.ctx, p, "", client)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.VerifySetup(e.ctx, p, twostep.MethodTOTP, twostep.TOTPCode(app.Secret, e.clock.Now()), client); err != nil {
			t.Fatal(err)
		}
		if again, err := e.svc.FirstRecoveryCodes(e.ctx, p, client); err != nil || again != nil {
			t.Fatalf("a used-up set renewed without the password: %d codes, %v", len(again), err)
		}
		// A method verified, but the sign-in is no longer recent: the password first.
		b := e.withTwoStepOn("lee")
		setup, err := e.svc.StartTOTP(e.ctx, b, "", client)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.VerifySetup(e.ctx, b, twostep.MethodTOTP, twostep.TOTPCode(setup.Secret, e.clock.Now()), client); err != nil {
			t.Fatal(err)
		}
		e.clock.Add(time.Hour)
		if codes, err := e.svc.FirstRecoveryCodes(e.ctx, b, client); code(err) != twostep.EReauthRequired || codes != nil {
			t.Fatalf("stale sign-in: %v %v", codes, err)
		}
	})
}
