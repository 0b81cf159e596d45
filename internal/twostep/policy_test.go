package twostep_test

import (
	"testing"

	"github.com/providerportal/portal/internal/twostep"
)

func TestPolicyRules(t *testing.T) {
	each(t, nil, func(t *testing.T, e *env) {
		admin, _ := e.svc.CreateUser(e.ctx, e.staff, twostep.NewUser{CenterID: e.center.ID, Username: "boss", Email: "boss@example.org", Password: pw, Role: twostep.RoleAdmin}, client)
		yes, no := true, false
		_, err := e.svc.SetPolicy(e.ctx, admin, 0, twostep.Policy{TwoStepRequired: &yes}, client)
		expectCode(t, err, twostep.ETwoStepNotAvailable) // R13 only where R1 is on
		e.setBeta(true)
		for _, p := range []twostep.Policy{{AllowedMethods: []twostep.MethodType{}}, {AllowedMethods: []twostep.MethodType{"fax"}}, {GraceLogins: new(-1)}} {
			_, err := e.svc.SetPolicy(e.ctx, admin, 0, p, client)
			expectCode(t, err, twostep.EInvalid)
		}
		if _, err := e.svc.SetPolicy(e.ctx, e.user("prov"), 0, twostep.Policy{TwoStepRequired: &yes}, client); code(err) != twostep.EForbidden {
			t.Fatalf("provider set policy: %v", err)
		}
		e.user("jdoe")
		if _, err := e.svc.SetPolicy(e.ctx, admin, 0, twostep.Policy{TwoStepRequired: &yes}, client); err != nil {
			t.Fatal(err)
		}
		e.login("jdoe") // grace login 1
		// Toggling the requirement keeps the count.
		e.svc.SetPolicy(e.ctx, admin, 0, twostep.Policy{TwoStepRequired: &no}, client)
		if r := e.login("jdoe"); r.State != twostep.StateSignedIn {
			t.Fatalf("not required: %s", r.State)
		}
		e.svc.SetPolicy(e.ctx, admin, 0, twostep.Policy{TwoStepRequired: &yes}, client)
		if r := e.login("jdoe"); r.State != twostep.StateSetupSuggested || r.GraceLeft != 1 {
			t.Fatalf("after toggling: %s %d", r.State, r.GraceLeft)
		}
		// A center may allow no grace logins at all.
		e.svc.SetPolicy(e.ctx, admin, 0, twostep.Policy{GraceLogins: new(0)}, client)
		r := e.login("jdoe")
		if r.State != twostep.StateSetupRequired {
			t.Fatalf("grace 0: %s", r.State)
		}
		a := e.auth(r.Token)
		e.enrolPhone(a, "2015550123")
		e.enrolTOTP(a)
		// B17: a disallowed type cannot be added and stops being offered at sign-in.
		e.svc.SetPolicy(e.ctx, admin, 0, twostep.Policy{AllowedMethods: []twostep.MethodType{twostep.MethodTOTP, twostep.MethodEmail}}, client)
		r = e.login("jdoe")
		if r.State != twostep.StateTwoStep || len(r.Methods) != 1 || r.Selected != twostep.MethodTOTP {
			t.Fatalf("phone still offered: %+v", r)
		}
		_, err = e.svc.SendLoginCode(e.ctx, e.auth(r.Token), twostep.MethodPhone, client)
		expectCode(t, err, twostep.ENoSuchMethod)
		// B2: reset deletes methods, ends sessions and gives no fresh grace logins.
		other, _ := e.svc.CreateCenter(e.ctx, e.staff, "Oak School", client)
		oakAdmin, _ := e.svc.CreateUser(e.ctx, e.staff, twostep.NewUser{CenterID: other.ID, Username: "oak", Email: "oak@example.org", Password: pw, Role: twostep.RoleAdmin}, client)
		expectCode(t, e.svc.ResetTwoStep(e.ctx, oakAdmin, "jdoe", client), twostep.ENotFound)
		signedIn := e.login("jdoe")
		e.svc.SetPolicy(e.ctx, admin, 0, twostep.Policy{GraceLogins: new(3)}, client)
		if err := e.svc.ResetTwoStep(e.ctx, admin, "jdoe", client); err != nil {
			t.Fatal(err)
		}
		if !e.noticed("jdoe@example.org", "reset") {
			t.Fatal("no email about the reset (B2, B5)")
		}
		if _, err := e.svc.Authenticate(e.ctx, signedIn.Token); err == nil {
			t.Fatal("session survived a reset")
		}
		if r := e.login("jdoe"); r.State != twostep.StateSetupRequired {
			t.Fatalf("after reset: %s (want setup_required, no fresh grace logins)", r.State)
		}
		_, users, _ := e.svc.CenterUsers(e.ctx, admin, 0)
		for _, u := range users {
			if u.Username == "jdoe" && (u.TwoStepOn || len(u.Methods) != 0 || u.GraceLoginsLeft != 0) {
				t.Fatalf("after reset: %+v", u)
			}
		}
	})
}
