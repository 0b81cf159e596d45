package twostep_test

import (
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/twostep"
	"github.com/providerportal/portal/internal/twostep/passkeytest"
)

// origin is the default public URL of the tests' portals.
const origin = "http://localhost:8080"

// addPasskey registers a passkey of dev for a.
func (e *env) addPasskey(a *twostep.Auth, dev *passkeytest.Authenticator, name string) *twostep.PasskeyView {
	e.t.Helper()
	opts, err := e.svc.StartPasskey(e.ctx, a, name, "", client)
	if err != nil {
		e.t.Fatalf("start passkey: %v", err)
	}
	resp, _, err := dev.Create(opts)
	if err != nil {
		e.t.Fatal(err)
	}
	pv, err := e.svc.FinishPasskey(e.ctx, a, resp, client)
	if err != nil {
		e.t.Fatalf("finish passkey: %v", err)
	}
	return pv
}

// passkeySignIn signs in with dev alone; it returns the result or the error.
func (e *env) passkeySignIn(dev *passkeytest.Authenticator) (*twostep.LoginResult, error) {
	e.t.Helper()
	opts, token, err := e.svc.BeginPasskeySignIn(e.ctx, client)
	if err != nil {
		e.t.Fatalf("begin: %v", err)
	}
	resp, err := dev.Get(opts)
	if err != nil {
		e.t.Fatal(err)
	}
	return e.svc.PasskeySignIn(e.ctx, token, resp, "", client)
}

func (e *env) audited(action string) bool {
	e.t.Helper()
	events, _ := e.store.ListAudit(e.ctx, twostep.AuditFilter{Limit: 1000})
	for _, ev := range events {
		if ev.Action == action {
			return true
		}
	}
	return false
}

// B19: a passkey is added like any method, signs in by itself as both factors,
// and serves as the second step after a password.
func TestPasskeyAddSignInAndSecondStep(t *testing.T) {
	each(t, nil, func(t *testing.T, e *env) {
		a := e.withTwoStepOn("jdoe")
		other := e.auth(e.login("jdoe").Token)
		phone := passkeytest.New(origin)
		pv := e.addPasskey(a, phone, "  My phone ")
		if pv.Name != "My phone" || pv.ID == 0 {
			t.Fatalf("added: %+v", pv)
		}
		if _, err := e.svc.Authenticate(e.ctx, other.Token); err == nil {
			t.Fatal("adding a passkey left another session signed in (B15)")
		}
		if !e.noticed("jdoe@example.org", "a passkey was added") || !e.audited("passkey_added") {
			t.Fatal("no notice or audit of the new passkey")
		}
		v, _ := e.svc.Account(e.ctx, a)
		if len(v.TwoStep.Methods) != 1 || v.TwoStep.Methods[0].Type != twostep.MethodPasskey || v.TwoStep.Methods[0].Label != "My phone" ||
			!v.TwoStep.Methods[0].LastUsedAt.IsZero() || !v.TwoStep.PasskeysOffered {
			t.Fatalf("account: %+v", v.TwoStep)
		}

		// Alone: both factors, and the person's center requirement is met.
		e.updateCenter(func(c *twostep.Center) { c.TwoStepRequired = true })
		res, err := e.passkeySignIn(phone)
		if err != nil {
			t.Fatal(err)
		}
		s := e.auth(res.Token).Session
		if res.State != twostep.StateSignedIn || s.State != twostep.StateSignedIn || s.AMR != "hwk user mfa" || !s.TwoStepUsed() {
			t.Fatalf("passkey sign-in: %s %+v", res.State, s)
		}
		if err := e.auth(res.Token).Allow(twostep.AccessFull); err != nil {
			t.Fatal(err)
		}
		e.clock.Add(time.Minute)
		v, _ = e.svc.Account(e.ctx, e.auth(res.Token))
		if used := v.TwoStep.Methods[0].LastUsedAt; !used.Equal(e.clock.Now().Add(-time.Minute).Truncate(time.Millisecond)) {
			t.Fatalf("last used %v", used)
		}

		// After a password: the only method is selected (R11), "pwd hwk mfa".
		r := e.login("jdoe")
		if r.State != twostep.StateTwoStep || r.Selected != twostep.MethodPasskey || len(r.Methods) != 1 || r.Methods[0].Label != "" { // passkey names are not shown before the second step
			t.Fatalf("challenge: %+v", r)
		}
		p := e.auth(r.Token)
		opts, err := e.svc.BeginPasskeyStep(e.ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(opts), `"allowCredentials"`) || !strings.Contains(string(opts), `"userVerification":"required"`) {
			t.Fatalf("step options: %s", opts)
		}
		resp, err := phone.Get(opts)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.svc.VerifyLogin(e.ctx, p, twostep.MethodPasskey, string(resp), client); err != nil {
			t.Fatal(err)
		}
		if s := e.auth(p.Token).Session; s.State != twostep.StateSignedIn || s.AMR != "pwd hwk mfa" {
			t.Fatalf("second step: %+v", s)
		}
		// The same answer again is refused (its challenge was used).
		p2 := e.auth(e.login("jdoe").Token)
		if _, err := e.svc.BeginPasskeyStep(e.ctx, p2); err != nil {
			t.Fatal(err)
		}
		err = e.svc.VerifyLogin(e.ctx, p2, twostep.MethodPasskey, string(resp), client)
		expectCode(t, err, twostep.EInvalidPasskey)
		if left := err.(*twostep.Error).AttemptsLeft; left == nil || *left != 9 {
			t.Fatalf("a refused passkey does not count against the lockout: %v", left)
		}
	})
}

// Registration asks for a discoverable credential with user verification, no
// attestation, and excludes the person's passkeys; names default and are
// checked; at most 10.
func TestPasskeyRegistrationRules(t *testing.T) {
	each(t, nil, func(t *testing.T, e *env) {
		a := e.withTwoStepOn("jdoe")
		opts, err := e.svc.StartPasskey(e.ctx, a, "", "", client)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{`"rp":{"name":"Provider Portal","id":"localhost"}`, `"residentKey":"required"`, `"userVerification":"required"`,
			`"attestation":"none"`, `"alg":-7`, `"credProps":true`} {
			if !strings.Contains(string(opts), want) {
				t.Fatalf("creation options lack %s: %s", want, opts)
			}
		}
		if strings.Contains(string(opts), "jdoe@") || strings.Contains(string(opts), `"id":"`+"MQ") {
			t.Fatalf("user handle names the person: %s", opts)
		}
		dev := passkeytest.New(origin)
		resp, _, _ := dev.Create(opts)
		pv, err := e.svc.FinishPasskey(e.ctx, a, resp, client)
		if err != nil || pv.Name != "Passkey" {
			t.Fatalf("default name: %+v %v", pv, err)
		}
		// The same device is excluded from adding itself again.
		opts, _ = e.svc.StartPasskey(e.ctx, a, "again", "", client)
		if _, _, err := dev.Create(opts); err == nil || !strings.Contains(string(opts), `"excludeCredentials"`) {
			t.Fatalf("exclude list missing: %s", opts)
		}
		_, err = e.svc.StartPasskey(e.ctx, a, strings.Repeat("x", 65), "", client)
		expectCode(t, err, twostep.EInvalid)
		_, err = e.svc.StartPasskey(e.ctx, a, "tab\there", "", client)
		expectCode(t, err, twostep.EInvalid)
		for _, name := range []string{"a\u202egnp.exe", "zero\u200bwidth", "bom\ufeff"} { // reads as something else
			_, err = e.svc.StartPasskey(e.ctx, a, name, "", client)
			expectCode(t, err, twostep.EInvalid)
		}
		for i := 2; i <= twostep.MaxPasskeys; i++ {
			e.addPasskey(a, passkeytest.New(origin), "")
		}
		v, _ := e.svc.Account(e.ctx, a)
		if n := len(v.TwoStep.Methods); n != 10 || v.TwoStep.Methods[9].Label != "Passkey 10" {
			t.Fatalf("%d passkeys, last %q", n, v.TwoStep.Methods[n-1].Label)
		}
		_, err = e.svc.StartPasskey(e.ctx, a, "eleventh", "", client)
		expectCode(t, err, twostep.EMethodExists)
	})
}

// Ten registrations raced from one account: the database keeps at most ten.
func TestPasskeyLimitHoldsUnderRace(t *testing.T) {
	each(t, nil, func(t *testing.T, e *env) {
		a := e.withTwoStepOn("jdoe")
		for range 8 {
			e.addPasskey(a, passkeytest.New(origin), "")
		}
		// Each of four sessions starts a registration while 8 exist, then all finish at once.
		var answers [][]byte
		var sessions []*twostep.Auth
		for range 4 {
			s := e.auth(e.login("jdoe").Token)
			opts, err := e.svc.StartPasskey(e.ctx, s, "", "", client)
			if err != nil {
				t.Fatal(err)
			}
			resp, _, _ := passkeytest.New(origin).Create(opts)
			answers, sessions = append(answers, resp), append(sessions, s)
		}
		// Whichever finishes first also ends the other sessions (B15), so
		// the others may fail after storing: what matters is the count.
		var full atomic.Int32
		var wg sync.WaitGroup
		for i := range answers {
			wg.Go(func() {
				if _, err := e.svc.FinishPasskey(e.ctx, sessions[i], answers[i], client); code(err) == twostep.EMethodExists {
					full.Add(1)
				}
			})
		}
		wg.Wait()
		list, _ := e.store.Passkeys(e.ctx, a.User.ID)
		if len(list) != 10 || full.Load() != 2 {
			t.Fatalf("%d passkeys kept, %d refused as over the limit", len(list), full.Load())
		}
	})
}
