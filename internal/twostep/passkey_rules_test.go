package twostep_test

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/twostep"
	"github.com/providerportal/portal/internal/twostep/passkeytest"
)

// B17, R1: a center's policy and beta decide whether passkeys are offered and
// used; a center may allow only passkeys and the app.
func TestPasskeyPolicy(t *testing.T) {
	each(t, nil, func(t *testing.T, e *env) {
		a := e.withTwoStepOn("jdoe")
		dev := passkeytest.New(origin)
		e.addPasskey(a, dev, "Laptop")
		secret := e.enrolTOTP(a)
		allowed := []twostep.MethodType{twostep.MethodTOTP, twostep.MethodPasskey}
		if _, err := e.svc.SetPolicy(e.ctx, e.staff, e.center.ID, twostep.Policy{AllowedMethods: allowed}, client); err != nil {
			t.Fatal(err)
		}
		if r := e.login("jdoe"); len(r.Methods) != 2 || r.Methods[1].Type != twostep.MethodPasskey {
			t.Fatalf("app and passkey: %+v", r.Methods)
		}
		only := []twostep.MethodType{twostep.MethodTOTP}
		e.svc.SetPolicy(e.ctx, e.staff, e.center.ID, twostep.Policy{AllowedMethods: only}, client)
		a = e.auth(e.login("jdoe").Token)
		if r, _ := e.svc.LoginState(e.ctx, a); len(r.Methods) != 1 || r.Selected != twostep.MethodTOTP {
			t.Fatalf("passkey still offered: %+v", r.Methods)
		}
		_, err := e.svc.BeginPasskeyStep(e.ctx, a)
		expectCode(t, err, twostep.ENoSuchMethod)
		_, err = e.passkeySignIn(dev)
		expectCode(t, err, twostep.EInvalidPasskey)
		if err := e.svc.VerifyLogin(e.ctx, a, twostep.MethodTOTP, twostep.TOTPCode(secret, e.clock.Now().Add(30*time.Second)), client); err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.StartPasskey(e.ctx, a, "", "", client)
		expectCode(t, err, twostep.EMethodNotAllowed)
		e.svc.SetPolicy(e.ctx, e.staff, e.center.ID, twostep.Policy{AllowedMethods: allowed}, client)
		e.setBeta(false)
		_, err = e.passkeySignIn(dev)
		expectCode(t, err, twostep.EInvalidPasskey)
		e.setBeta(true)
		if _, err := e.passkeySignIn(dev); err != nil {
			t.Fatal(err)
		}
	})
}

// R10, B7, B15, R6, B2: deleting a passkey asks for the password and keeps the
// last method under a requirement; turning 2SV off and an admin reset delete
// every passkey.
func TestPasskeyDeleteTurnOffAndReset(t *testing.T) {
	each(t, nil, func(t *testing.T, e *env) {
		a := e.withTwoStepOn("jdoe")
		laptop, phone := passkeytest.New(origin), passkeytest.New(origin)
		first := e.addPasskey(a, laptop, "Laptop")
		second := e.addPasskey(a, phone, "Phone")
		e.updateCenter(func(c *twostep.Center) { c.TwoStepRequired = true })
		a = e.auth(a.Token)
		other := e.auth(e.login("jdoe").Token)
		expectCode(t, e.svc.DeletePasskey(e.ctx, a, first.ID, "wrong password here", client), twostep.EInvalidCredentials)
		expectCode(t, e.svc.DeletePasskey(e.ctx, a, 9999, pw, client), twostep.ENoSuchMethod)
		expectCode(t, e.svc.DeleteMethod(e.ctx, a, twostep.MethodPasskey, pw, client), twostep.ENoSuchMethod)
		if err := e.svc.DeletePasskey(e.ctx, a, first.ID, pw, client); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Authenticate(e.ctx, other.Token); err == nil {
			t.Fatal("deleting a passkey left another session signed in")
		}
		if !e.noticed("jdoe@example.org", "a passkey was deleted") {
			t.Fatal("no notice")
		}
		_, err := e.passkeySignIn(laptop)
		expectCode(t, err, twostep.EInvalidPasskey)
		expectCode(t, e.svc.DeletePasskey(e.ctx, a, second.ID, pw, client), twostep.ELastMethodRequired)
		// Another person's passkey is not found.
		b := e.withTwoStepOn("ann")
		expectCode(t, e.svc.DeletePasskey(e.ctx, b, second.ID, pw, client), twostep.ENoSuchMethod)

		// An admin reset deletes them; so does turning 2SV off.
		if err := e.svc.ResetTwoStep(e.ctx, e.staff, "jdoe", client); err != nil {
			t.Fatal(err)
		}
		if list, _ := e.store.Passkeys(e.ctx, a.User.ID); len(list) != 0 {
			t.Fatalf("%d passkeys after a reset", len(list))
		}
		_, err = e.passkeySignIn(phone)
		expectCode(t, err, twostep.EInvalidPasskey)
		e.updateCenter(func(c *twostep.Center) { c.TwoStepRequired = false })
		e.addPasskey(b, passkeytest.New(origin), "")
		b = e.auth(b.Token)
		if err := e.svc.TurnOff(e.ctx, b, pw, client); err != nil {
			t.Fatal(err)
		}
		if list, _ := e.store.Passkeys(e.ctx, b.User.ID); len(list) != 0 {
			t.Fatalf("%d passkeys after turning off", len(list))
		}
	})
}

// Under R14's forced setup, a passkey is a first method like any other: it
// turns 2SV on and completes the sign-in. The compliance view lists it (B11).
func TestPasskeyAsFirstMethodAndComplianceView(t *testing.T) {
	each(t, nil, func(t *testing.T, e *env) {
		e.setBeta(true)
		e.updateCenter(func(c *twostep.Center) { c.TwoStepRequired = true; c.GraceLogins = 0 })
		e.user("jdoe")
		r := e.login("jdoe")
		if r.State != twostep.StateSetupRequired {
			t.Fatalf("state %s", r.State)
		}
		a := e.auth(r.Token)
		e.addPasskey(a, passkeytest.New(origin), "Phone")
		if s := e.auth(a.Token).Session; s.State != twostep.StateSignedIn || !e.auth(a.Token).User.TwoStepOn {
			t.Fatalf("after the first passkey: %+v", s)
		}
		_, users, _ := e.svc.CenterUsers(e.ctx, e.staff, e.center.ID)
		if len(users) != 1 || len(users[0].Methods) != 1 || users[0].Methods[0] != twostep.MethodPasskey || !users[0].TwoStepOn {
			t.Fatalf("compliance view: %+v", users)
		}
	})
}

// Where the public URL's host is an IP address, passkeys are not offered and
// the portal says why; everything else works.
func TestPasskeysNotOfferedAtAnIPAddress(t *testing.T) {
	each(t, func(s *twostep.Settings) { s.PublicURL = "http://127.0.0.1:8080" }, func(t *testing.T, e *env) {
		a := e.withTwoStepOn("jdoe")
		ok, why := e.svc.PasskeysOffered()
		if ok || why == "" {
			t.Fatal("passkeys offered at an IP address")
		}
		v, _ := e.svc.Account(e.ctx, a)
		for _, m := range v.TwoStep.AllowedMethods {
			if m == twostep.MethodPasskey {
				t.Fatal("passkey offered as a method to add")
			}
		}
		if v.TwoStep.PasskeysOffered || v.TwoStep.PasskeysWhy != why {
			t.Fatalf("account does not say why: %+v", v.TwoStep)
		}
		_, err := e.svc.StartPasskey(e.ctx, a, "", "", client)
		expectCode(t, err, twostep.EPasskeysNotOffered)
		_, _, err = e.svc.BeginPasskeySignIn(e.ctx, client)
		expectCode(t, err, twostep.EPasskeysNotOffered)
		_, err = e.svc.SetPolicy(e.ctx, e.staff, e.center.ID, twostep.Policy{AllowedMethods: []twostep.MethodType{twostep.MethodPasskey}}, client)
		expectCode(t, err, twostep.EInvalid)
		e.enrolTOTP(a)
	})
	for url, offered := range map[string]bool{"https://portal.example.org": true, "http://localhost:9999": true, "http://portal.localhost": true,
		"http://portal.example.org": false, "https://[::1]:8443": false, "https://10.0.0.1": false} {
		set := twostep.DefaultSettings()
		set.PublicURL = url
		if ok, _ := twostep.New(nil, nil, twostep.Keys{}, set, nil, nil).PasskeysOffered(); ok != offered {
			t.Errorf("%s: offered %v", url, ok)
		}
	}
}

// B7 under a race: the last two methods, a passkey and an email address,
// deleted at once under a requirement: one goes, one stays.
func TestPasskeyLastMethodKeptWhenDeletesRace(t *testing.T) {
	each(t, nil, func(t *testing.T, e *env) {
		a := e.withTwoStepOn("jdoe")
		e.updateCenter(func(c *twostep.Center) { c.TwoStepRequired = true })
		for round := range 3 {
			pv := e.addPasskey(a, passkeytest.New(origin), "")
			e.enrolEmail(a, "jdoe.home@example.net")
			a = e.auth(a.Token)
			var gone atomic.Int32
			var wg sync.WaitGroup
			wg.Go(func() {
				if e.svc.DeletePasskey(e.ctx, a, pv.ID, pw, client) == nil {
					gone.Add(1)
				}
			})
			wg.Go(func() {
				if e.svc.DeleteMethod(e.ctx, a, twostep.MethodEmail, pw, client) == nil {
					gone.Add(1)
				}
			})
			wg.Wait()
			v, _ := e.svc.Account(e.ctx, a)
			if gone.Load() != 1 || len(v.TwoStep.Methods) != 1 {
				t.Fatalf("round %d: %d deleted, %d left", round, gone.Load(), len(v.TwoStep.Methods))
			}
			// Start the next round from nothing but a fresh pair.
			if m := v.TwoStep.Methods[0]; m.Type == twostep.MethodPasskey {
				e.store.DeletePasskey(e.ctx, a.User.ID, m.PasskeyID, nil)
			} else {
				e.store.DeleteMethod(e.ctx, a.User.ID, m.Type, nil)
			}
			e.clock.Add(time.Minute)
		}
	})
}

// B24: an account manager's passkey is a method under the staff policy like
// any other, and signs them in alone.
func TestPasskeyForAccountManagers(t *testing.T) {
	each(t, func(s *twostep.Settings) { s.GraceLogins = 0 }, func(t *testing.T, e *env) {
		r := e.login("am")
		if r.State != twostep.StateSetupRequired {
			t.Fatalf("staff sign-in: %s", r.State)
		}
		a := e.auth(r.Token)
		dev := passkeytest.New(origin)
		e.addPasskey(a, dev, "Office key")
		if s := e.auth(a.Token).Session; s.State != twostep.StateSignedIn {
			t.Fatalf("after the passkey: %s", s.State)
		}
		res, err := e.passkeySignIn(dev)
		if err != nil || res.State != twostep.StateSignedIn || res.User.Role != twostep.RoleStaff {
			t.Fatalf("staff passkey sign-in: %+v %v", res, err)
		}
		if r := e.login("am"); r.State != twostep.StateTwoStep || r.Selected != twostep.MethodPasskey {
			t.Fatalf("staff password sign-in: %s %s", r.State, r.Selected)
		}
	})
}

// Review of issue 14, finding L2: a passkey added in forced setup (R14)
// completes the sign-in with both factors, like any other first method.
func TestPasskeyInForcedSetupIsTwoFactors(t *testing.T) {
	each(t, nil, func(t *testing.T, e *env) {
		e.setBeta(true)
		e.updateCenter(func(c *twostep.Center) { c.TwoStepRequired, c.GraceLogins = true, 0 })
		e.user("jdoe")
		r := e.login("jdoe")
		if r.State != twostep.StateSetupRequired {
			t.Fatalf("state %s", r.State)
		}
		a := e.auth(r.Token)
		e.addPasskey(a, passkeytest.New(origin), "Laptop")
		got := e.auth(a.Token).Session
		if got.State != twostep.StateSignedIn || got.AMR != "pwd hwk mfa" || !got.TwoStepUsed() {
			t.Fatalf("after a passkey in forced setup: %s %q", got.State, got.AMR)
		}
	})
}

// Review of issue 14, finding M3: where the public URL cannot serve passkeys (an
// IP address), a person whose 2SV is a passkey is still asked for a second
// step (R4 fails closed): the passkey says why it cannot be used, and a
// recovery code signs in.
func TestPasskeyOnlyPersonFailsClosedAtAnIPAddress(t *testing.T) {
	each(t, nil, func(t *testing.T, e *env) {
		a := e.withTwoStepOn("jdoe")
		e.addPasskey(a, passkeytest.New(origin), "Laptop")
		codes, err := e.svc.GenerateRecoveryCodes(e.ctx, a, pw, client)
		if err != nil {
			t.Fatal(err)
		}
		set := e.svc.Settings()
		set.PublicURL = "http://127.0.0.1:8080"
		var keys twostep.Keys
		keys.Encryption[0], keys.Code[0] = 1, 2
		atIP := twostep.New(e.store, twostep.NewHasher(twostep.Argon2Params{MemoryKiB: 64, Passes: 1, Lanes: 1}), keys, set, e.clock, nil)
		r, err := atIP.Login(e.ctx, "jdoe", pw, "", client)
		if err != nil || r.State != twostep.StateTwoStep {
			t.Fatalf("a passkey-only person at an IP address: %+v %v (want two_step, never signed_in)", r, err)
		}
		p, _ := atIP.Authenticate(e.ctx, r.Token)
		_, err = atIP.BeginPasskeyStep(e.ctx, p)
		expectCode(t, err, twostep.EPasskeysNotOffered)
		if err := atIP.VerifyLogin(e.ctx, p, twostep.MethodRecovery, codes[0], client); err != nil {
			t.Fatalf("a recovery code: %v", err)
		}
	})
}
