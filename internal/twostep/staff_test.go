package twostep_test

import (
	"testing"

	"github.com/providerportal/portal/internal/twostep"
)

// B24: account managers have 2SV like everyone and, by default, must set it up
// after three grace logins.
func TestStaffTwoStep(t *testing.T) {
	each(t, nil, func(t *testing.T, e *env) {
		for _, left := range []int{2, 1, 0} {
			r := e.login("am")
			if r.State != twostep.StateSetupSuggested || r.GraceLeft != left {
				t.Fatalf("staff sign-in: %s with %d left, want setup_suggested with %d", r.State, r.GraceLeft, left)
			}
		}
		r := e.login("am")
		if r.State != twostep.StateSetupRequired {
			t.Fatalf("fourth staff sign-in: %s, want setup_required", r.State)
		}
		a := e.auth(r.Token)
		if err := a.Allow(twostep.AccessFull); twostep.ErrorCode(err) != twostep.ETwoStepSetupRequired {
			t.Fatalf("setup_required staff reached a full route: %v", err)
		}
		v, err := e.svc.Account(e.ctx, a)
		if err != nil || !v.TwoStep.Available || !v.TwoStep.Required || v.Center != "" {
			t.Fatalf("staff account: %+v %v", v, err)
		}
		setup, err := e.svc.StartTOTP(e.ctx, a, "", client)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.VerifySetup(e.ctx, a, twostep.MethodTOTP, twostep.TOTPCode(setup.Secret, e.clock.Now()), client); err != nil {
			t.Fatal(err)
		}
		if a.Session.State != twostep.StateSignedIn {
			t.Fatalf("after setup: %s", a.Session.State)
		}
		// Required: the last method stays, 2SV cannot be turned off.
		expectCode(t, e.svc.TurnOff(e.ctx, a, pw, client), twostep.ERequiredByCenter)
		e.clock.Add(31e9)
		if r := e.login("am"); r.State != twostep.StateTwoStep || r.Selected != twostep.MethodTOTP {
			t.Fatalf("staff with an app: %s", r.State)
		}
		// A locked-out account manager is reset from the command line.
		if err := e.svc.ResetTwoStep(e.ctx, twostep.CLIActor, "am", client); err != nil {
			t.Fatal(err)
		}
		if r := e.login("am"); r.State != twostep.StateSetupRequired {
			t.Fatalf("after a reset: %s, want setup_required (no fresh grace logins)", r.State)
		}
	})
}

func TestStaffTwoStepOptional(t *testing.T) {
	each(t, func(s *twostep.Settings) { s.StaffTwoStepRequired = false }, func(t *testing.T, e *env) {
		for range 5 {
			if r := e.login("am"); r.State != twostep.StateSignedIn {
				t.Fatalf("optional staff 2SV: %s", r.State)
			}
		}
		a := e.auth(e.login("am").Token)
		if err := e.svc.TurnOn(e.ctx, a, client); err != nil {
			t.Fatal(err)
		}
		setup, err := e.svc.StartTOTP(e.ctx, a, "", client)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.VerifySetup(e.ctx, a, twostep.MethodTOTP, twostep.TOTPCode(setup.Secret, e.clock.Now()), client); err != nil {
			t.Fatal(err)
		}
		if r := e.login("am"); r.State != twostep.StateTwoStep {
			t.Fatalf("staff with 2SV on: %s", r.State)
		}
		if err := e.svc.TurnOff(e.ctx, a, pw, client); err != nil {
			t.Fatal(err)
		}
	})
}

// A center admin cannot reset an account manager's 2SV (not found, as for
// another center's user).
func TestAdminCannotResetStaff(t *testing.T) {
	each(t, nil, func(t *testing.T, e *env) {
		admin, err := e.svc.CreateUser(e.ctx, e.staff, twostep.NewUser{CenterID: e.center.ID, Username: "boss", Email: "boss@example.org", Password: pw, Role: twostep.RoleAdmin}, client)
		if err != nil {
			t.Fatal(err)
		}
		expectCode(t, e.svc.ResetTwoStep(e.ctx, admin, "am", client), twostep.ENotFound)
	})
}
