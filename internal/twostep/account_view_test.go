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
