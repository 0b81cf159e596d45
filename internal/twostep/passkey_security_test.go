package twostep_test

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/twostep"
	"github.com/providerportal/portal/internal/twostep/passkeytest"
)

// Answers an attacker (or a broken browser) could send are all invalid_passkey,
// never accepted and never an internal error; the cloned counter is audited.
func TestPasskeyBadAnswers(t *testing.T) {
	each(t, nil, func(t *testing.T, e *env) {
		a := e.withTwoStepOn("jdoe")
		dev := passkeytest.New(origin)
		e.addPasskey(a, dev, "Laptop")
		cred := dev.Credentials()[0]
		for _, tc := range []struct {
			name   string
			answer func(opts []byte) []byte
		}{
			{"wrong origin", func(opts []byte) []byte {
				phish := passkeytest.New("https://portal.example.evil")
				phish.Adopt(cred)
				r, _ := phish.Get(opts)
				return r
			}},
			{"wrong relying party id", func(opts []byte) []byte {
				d := passkeytest.New(origin)
				d.RPID = "evil.localhost"
				d.Adopt(cred)
				r, _ := d.Get(opts)
				return r
			}},
			{"no user verification", func(opts []byte) []byte {
				d := passkeytest.New(origin)
				d.NoUserVerification = true
				d.Adopt(cred)
				r, _ := d.Get(opts)
				return r
			}},
			{"unknown credential", func(opts []byte) []byte {
				r, _ := dev.Assert(dev.Stranger("localhost"), challengeOf(t, opts))
				return r
			}},
			{"malformed JSON", func([]byte) []byte { return []byte(`{"id":`) }},
			{"not a credential", func([]byte) []byte { return []byte(`{"id":"AAAA","rawId":"AAAA","type":"public-key","response":{}}`) }},
			{"empty", func([]byte) []byte { return nil }},
			{"another challenge", func([]byte) []byte {
				r, _ := dev.Assert(cred, "c29tZSBvdGhlciBjaGFsbGVuZ2UgYXQgYWxs")
				return r
			}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				opts, token, err := e.svc.BeginPasskeySignIn(e.ctx, client)
				if err != nil {
					t.Fatal(err)
				}
				_, err = e.svc.PasskeySignIn(e.ctx, token, tc.answer(opts), "", client)
				expectCode(t, err, twostep.EInvalidPasskey)
				// Second step: the same answers are refused there too.
				p := e.auth(e.login("jdoe").Token)
				opts, err = e.svc.BeginPasskeyStep(e.ctx, p)
				if err != nil {
					t.Fatal(err)
				}
				expectCode(t, e.svc.VerifyLogin(e.ctx, p, twostep.MethodPasskey, string(tc.answer(opts)), client), twostep.EInvalidPasskey)
				e.store.ResetSecondStepFailures(e.ctx, a.User.ID)
			})
		}

		// Replayed: an answer that worked once never works again.
		opts, token, _ := e.svc.BeginPasskeySignIn(e.ctx, client)
		resp, _ := dev.Get(opts)
		if _, err := e.svc.PasskeySignIn(e.ctx, token, resp, "", client); err != nil {
			t.Fatal(err)
		}
		_, err := e.svc.PasskeySignIn(e.ctx, token, resp, "", client)
		expectCode(t, err, twostep.EInvalidPasskey)
		// An answer needs the cookie of the browser that asked.
		opts, _, _ = e.svc.BeginPasskeySignIn(e.ctx, client)
		_, otherToken, _ := e.svc.BeginPasskeySignIn(e.ctx, client)
		resp, _ = dev.Get(opts)
		_, err = e.svc.PasskeySignIn(e.ctx, otherToken, resp, "", client)
		expectCode(t, err, twostep.EInvalidPasskey)

		// A clone: a copy of the key whose counter lags behind the original's.
		clone := passkeytest.New(origin)
		copied := *cred
		clone.Adopt(&copied)
		if _, err := e.passkeySignIn(dev); err != nil { // the original moves on
			t.Fatal(err)
		}
		copied.Count = cred.Count - 2
		_, err = e.passkeySignIn(clone)
		expectCode(t, err, twostep.EInvalidPasskey)
		if !e.audited("passkey_counter_regressed") || !e.noticed("jdoe@example.org", "a passkey was refused") {
			t.Fatal("a counter going backwards was neither audited nor told")
		}
		if _, err := e.passkeySignIn(dev); err != nil {
			t.Fatalf("the original passkey still works: %v", err)
		}
	})
}

func challengeOf(t *testing.T, opts []byte) string {
	c, err := passkeytest.Challenge(opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// B3: wrong passkey answers at the second step (after the password) count
// against the lockout; a locked person cannot sign in with a passkey either,
// until it ends. Answers to a passkey sign-in that do not verify count against
// the client address only: anyone can name someone's credential id, so they
// never lock its owner out (review of issue 14, finding M2).
func TestPasskeyLockout(t *testing.T) {
	each(t, func(s *twostep.Settings) { s.LockoutFailures = 3 }, func(t *testing.T, e *env) {
		a := e.withTwoStepOn("jdoe")
		dev := passkeytest.New(origin)
		e.addPasskey(a, dev, "Laptop")
		liar := passkeytest.New("https://evil.example")
		liar.Adopt(dev.Credentials()[0])
		for range 5 {
			_, err := e.passkeySignIn(liar)
			expectCode(t, err, twostep.EInvalidPasskey)
			var de *twostep.Error
			if errors.As(err, &de) && de.AttemptsLeft != nil {
				t.Fatalf("an unverified answer tells attempts left: %v", err)
			}
		}
		if _, err := e.passkeySignIn(dev); err != nil {
			t.Fatalf("the owner was locked out by someone naming their passkey: %v", err)
		}
		for i := range 3 {
			p := e.auth(e.login("jdoe").Token)
			opts, err := e.svc.BeginPasskeyStep(e.ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := liar.Get(opts)
			if err != nil {
				t.Fatal(err)
			}
			err = e.svc.VerifyLogin(e.ctx, p, twostep.MethodPasskey, string(resp), client)
			if i < 2 {
				expectCode(t, err, twostep.EInvalidPasskey)
			} else {
				expectCode(t, err, twostep.ELocked)
			}
		}
		_, err := e.passkeySignIn(dev)
		expectCode(t, err, twostep.ELocked)
		p := e.auth(e.login("jdoe").Token)
		_, err = e.svc.BeginPasskeyStep(e.ctx, p)
		expectCode(t, err, twostep.ELocked)
		if !e.noticed("jdoe@example.org", "sign-in paused") {
			t.Fatal("no lockout notice")
		}
		e.clock.Add(16 * time.Minute)
		if _, err := e.passkeySignIn(dev); err != nil {
			t.Fatalf("after the lockout: %v", err)
		}
	})
}

// An unknown credential and a forged answer for a known one get the same answer.
func TestPasskeyUnknownAndForgedLookAlike(t *testing.T) {
	each(t, nil, func(t *testing.T, e *env) {
		a := e.withTwoStepOn("jdoe")
		dev := passkeytest.New(origin)
		e.addPasskey(a, dev, "Laptop")
		liar := passkeytest.New("https://evil.example")
		liar.Adopt(dev.Credentials()[0])
		stranger := passkeytest.New(origin)
		stranger.Adopt(stranger.Stranger("localhost"))
		_, forged := e.passkeySignIn(liar)
		_, unknown := e.passkeySignIn(stranger)
		if forged == nil || unknown == nil || forged.Error() != unknown.Error() {
			t.Fatalf("forged %v, unknown %v: they must read the same", forged, unknown)
		}
	})
}

// B4, B10: one answer sent many times at once signs in once; a challenge
// expires unanswered and is purged.
func TestPasskeyChallengeOnceAndExpiry(t *testing.T) {
	each(t, nil, func(t *testing.T, e *env) {
		a := e.withTwoStepOn("jdoe")
		dev := passkeytest.New(origin)
		e.addPasskey(a, dev, "")
		opts, token, _ := e.svc.BeginPasskeySignIn(e.ctx, client)
		resp, _ := dev.Get(opts)
		var wins atomic.Int32
		var wg sync.WaitGroup
		for range 12 {
			wg.Go(func() {
				if _, err := e.svc.PasskeySignIn(e.ctx, token, resp, "", client); err == nil {
					wins.Add(1)
				} else if code(err) != twostep.EInvalidPasskey {
					t.Errorf("racing answer: %v", err)
				}
			})
		}
		wg.Wait()
		if wins.Load() != 1 {
			t.Fatalf("%d sign-ins from one answer", wins.Load())
		}
		opts, token, _ = e.svc.BeginPasskeySignIn(e.ctx, client)
		resp, _ = dev.Get(opts)
		e.clock.Add(5*time.Minute + time.Second)
		_, err := e.svc.PasskeySignIn(e.ctx, token, resp, "", client)
		expectCode(t, err, twostep.EInvalidPasskey)
		e.svc.BeginPasskeySignIn(e.ctx, client)
		e.clock.Add(6 * time.Minute)
		if n, err := e.svc.SweepPasskeyChallenges(e.ctx); err != nil || n < 1 {
			t.Fatalf("purged %d: %v", n, err)
		}
	})
}

// B3: starting sign-ins with a passkey counts per client address, like
// password attempts; another address is not held back.
func TestPasskeySignInStartsThrottled(t *testing.T) {
	each(t, func(s *twostep.Settings) { s.LoginAddressLimit = 3 }, func(t *testing.T, e *env) {
		for range 3 {
			if _, _, err := e.svc.BeginPasskeySignIn(e.ctx, client); err != nil {
				t.Fatal(err)
			}
		}
		_, _, err := e.svc.BeginPasskeySignIn(e.ctx, client)
		expectCode(t, err, twostep.ETooManyAttempts)
		if ra := err.(*twostep.Error).RetryAfter; ra <= 0 || ra > 15*time.Minute {
			t.Fatalf("retry after %v", ra)
		}
		if _, _, err := e.svc.BeginPasskeySignIn(e.ctx, twostep.Client{IP: "198.51.100.9"}); err != nil {
			t.Fatalf("another address: %v", err)
		}
		e.clock.Add(16 * time.Minute)
		if _, _, err := e.svc.BeginPasskeySignIn(e.ctx, client); err != nil {
			t.Fatalf("after the window: %v", err)
		}
	})
}
