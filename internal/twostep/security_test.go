package twostep_test

import (
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/twostep"
)

func TestParseCap(t *testing.T) {
	for in, want := range map[string]twostep.Cap{"10/h,30/d": {10, 30}, "5/d": {0, 5}, "": {}, "0/h": {}} {
		got, err := twostep.ParseCap(in)
		if err != nil || got != want {
			t.Errorf("%q: %+v %v", in, got, err)
		}
	}
	for _, bad := range []string{"x/h", "5/w", "-1/h", "5"} {
		if _, err := twostep.ParseCap(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// B8: caps per user, per destination and per client address; a refused resend
// costs nothing.
func TestSendCaps(t *testing.T) {
	each(t, func(s *twostep.Settings) {
		s.SendCaps = twostep.SendCaps{User: twostep.Cap{PerHour: 3}, Destination: twostep.Cap{PerHour: 4}, Address: twostep.Cap{PerDay: 5}}
	}, func(t *testing.T, e *env) {
		e.setBeta(true)
		for _, n := range []string{"ann", "bob"} {
			e.user(n)
			a := e.auth(e.login(n).Token)
			e.svc.TurnOn(e.ctx, a, client)
		}
		ann := e.auth(e.login("ann").Token)
		for i := range 3 {
			if i > 0 {
				_, err := e.svc.ResendSetupCode(e.ctx, ann, twostep.MethodEmail, client)
				expectCode(t, err, twostep.EResendTooSoon) // not counted
				e.clock.Add(time.Minute)
				if _, err := e.svc.ResendSetupCode(e.ctx, ann, twostep.MethodEmail, client); err != nil {
					t.Fatalf("send %d: %v", i, err)
				}
				continue
			}
			if _, err := e.svc.StartEmail(e.ctx, ann, "shared@example.org", "shared@example.org", "", client); err != nil {
				t.Fatal(err)
			}
		}
		e.clock.Add(time.Minute)
		_, err := e.svc.ResendSetupCode(e.ctx, ann, twostep.MethodEmail, client)
		expectCode(t, err, twostep.ESendLimit)
		if ra := err.(*twostep.Error).RetryAfter; ra <= 0 || ra > time.Hour {
			t.Fatalf("retry after %v", ra)
		}
		// The destination has had 3; a second account may add it once more, then no more.
		bob := e.auth(e.login("bob").Token)
		if _, err := e.svc.StartEmail(e.ctx, bob, "shared@example.org", "shared@example.org", "", client); err != nil {
			t.Fatal(err)
		}
		e.clock.Add(time.Minute)
		_, err = e.svc.ResendSetupCode(e.ctx, bob, twostep.MethodEmail, client)
		expectCode(t, err, twostep.ESendLimit)
		// Per client address, whatever the user and destination.
		other := twostep.Client{IP: "198.51.100.4"}
		_, err = e.svc.StartEmail(e.ctx, bob, "bob@example.org", "bob@example.org", "", other)
		if err != nil {
			t.Fatal(err)
		}
		e.clock.Add(2 * time.Hour)
		if _, err := e.svc.ResendSetupCode(e.ctx, bob, twostep.MethodEmail, client); err != nil {
			t.Fatalf("after the hour: %v", err)
		}
		e.clock.Add(time.Minute)
		_, err = e.svc.ResendSetupCode(e.ctx, bob, twostep.MethodEmail, client)
		expectCode(t, err, twostep.ESendLimit) // 5 a day from this address
	})
}

// Parallel wrong codes cannot exceed the lockout threshold (Keycloak CVE-2024-4629),
// and a code cannot be guessed more than its tries (ZITADEL CVE-2024-32868).
func TestParallelFailuresRespectTheLimits(t *testing.T) {
	each(t, func(s *twostep.Settings) { s.LockoutFailures = 5 }, func(t *testing.T, e *env) {
		a := e.withTwoStepOn("jdoe")
		secret := e.enrolTOTP(a)
		e.clock.Add(time.Minute)
		p := e.auth(e.login("jdoe").Token)
		var invalid, locked atomic.Int32
		var wg sync.WaitGroup
		for i := range 40 {
			wg.Go(func() {
				code := "00000" + string(rune('0'+i%10))
				switch twostep.ErrorCode(e.svc.VerifyLogin(e.ctx, p, twostep.MethodTOTP, code, client)) {
				case twostep.EInvalidCode:
					invalid.Add(1)
				case twostep.ELocked:
					locked.Add(1)
				}
			})
		}
		wg.Wait()
		if invalid.Load() != 4 || locked.Load() != 36 {
			t.Fatalf("%d invalid and %d locked of 40 parallel wrong codes (limit 5: 4 invalid, then the lock)", invalid.Load(), locked.Load())
		}
		err := e.svc.VerifyLogin(e.ctx, p, twostep.MethodTOTP, twostep.TOTPCode(secret, e.clock.Now()), client)
		expectCode(t, err, twostep.ELocked)
	})
}

// Nothing secret reaches the audit log or the user-facing error messages.
func TestNoSecretsInAuditOrErrors(t *testing.T) {
	each(t, nil, func(t *testing.T, e *env) {
		a := e.withTwoStepOn("jdoe")
		setup, _ := e.svc.StartTOTP(e.ctx, a, "", client)
		code := twostep.TOTPCode(setup.Secret, e.clock.Now())
		_, err := e.svc.VerifySetup(e.ctx, a, twostep.MethodTOTP, "123456", client)
		e.svc.VerifySetup(e.ctx, a, twostep.MethodTOTP, code, client)
		e.svc.StartEmail(e.ctx, a, "j@example.org", "j@example.org", "", client)
		emailCode := e.lastCode("j@example.org")
		_, err2 := e.svc.VerifySetup(e.ctx, a, twostep.MethodEmail, "000000", client)
		e.svc.VerifySetup(e.ctx, a, twostep.MethodEmail, emailCode, client)
		e.svc.Login(e.ctx, "jdoe", "a wrong password guess", "", client)
		events, _ := e.store.ListAudit(e.ctx, twostep.AuditFilter{Limit: 1000})
		var all strings.Builder
		for _, ev := range events {
			all.WriteString(ev.Actor + ev.Action + ev.Target + ev.Detail + ev.IP + ev.UserAgent + "\n")
		}
		for _, s := range []string{setup.Secret, code, emailCode, pw, "a wrong password guess", a.Token} {
			if strings.Contains(all.String(), s) || strings.Contains(err.Error()+err2.Error(), s) {
				t.Fatalf("secret %q leaked", s)
			}
		}
		if len(events) < 5 {
			t.Fatalf("only %d audit events", len(events))
		}
	})
}

// B15: turning 2SV on or off and adding or deleting a method end the user's
// other sessions, and keep the one that made the change.
func TestSecurityChangesEndOtherSessions(t *testing.T) {
	each(t, nil, func(t *testing.T, e *env) {
		e.setBeta(true)
		e.user("jdoe")
		a := e.auth(e.login("jdoe").Token)
		changes := []struct {
			name string
			do   func() error
		}{
			{"turn on", func() error { return e.svc.TurnOn(e.ctx, a, client) }},
			{"add a method", func() error {
				setup, err := e.svc.StartTOTP(e.ctx, a, "", client)
				if err != nil {
					return err
				}
				_, err = e.svc.VerifySetup(e.ctx, a, twostep.MethodTOTP, twostep.TOTPCode(setup.Secret, e.clock.Now()), client)
				return err
			}},
			{"delete a method", func() error { return e.svc.DeleteMethod(e.ctx, a, twostep.MethodTOTP, pw, client) }},
			{"turn off", func() error { return e.svc.TurnOff(e.ctx, a, pw, client) }},
		}
		for _, ch := range changes {
			other := e.login("jdoe") // another browser, signed in or waiting for its second step
			if err := ch.do(); err != nil {
				t.Fatalf("%s: %v", ch.name, err)
			}
			if _, err := e.svc.Authenticate(e.ctx, other.Token); err == nil {
				t.Errorf("%s left another session signed in", ch.name)
			}
			if _, err := e.svc.Authenticate(e.ctx, a.Token); err != nil {
				t.Errorf("%s ended the session that made it: %v", ch.name, err)
			}
		}
	})
}
