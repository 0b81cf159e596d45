package twostep_test

import (
	"encoding/base32"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/twostep"
)

func TestRFC6238Vectors(t *testing.T) {
	secret := base32.StdEncoding.EncodeToString([]byte("12345678901234567890"))
	for _, tc := range []struct {
		unix int64
		want string // last 6 digits of RFC 6238 Appendix B's SHA1 column
	}{{59, "287082"}, {1111111109, "081804"}, {1111111111, "050471"}, {1234567890, "005924"}, {2000000000, "279037"}, {20000000000, "353130"}} {
		if got := twostep.TOTPCode(secret, time.Unix(tc.unix, 0)); got != tc.want {
			t.Errorf("T=%d: %s, want %s", tc.unix, got, tc.want)
		}
	}
}

func TestNormalizeCode(t *testing.T) {
	for in, want := range map[string]string{"123456": "123456", "123 456": "123456", "12-34-56": "123456", " 123456 ": "123456",
		"12345": "", "1234567": "", "12345a": "", "１２３４５６": "", "": "", "123.456": ""} {
		got, ok := twostep.NormalizeCode(in)
		if (want == "") == ok || got != want && ok {
			t.Errorf("%q: %q %v, want %q", in, got, ok, want)
		}
	}
}

func TestParsePhone(t *testing.T) {
	us := []int{1}
	for _, tc := range []struct {
		in, want string
		allowed  []int
	}{
		{"(201) 555-0123", "+12015550123", us},
		{"+1 201 555 0123", "+12015550123", us},
		{"201.555.0123", "+12015550123", us},
		{"+1 416 555 0123", "+14165550123", us}, // Canada shares +1
		{"+44 7911 123456", "", us},             // not an allowed country
		{"+44 7911 123456", "+447911123456", []int{1, 44}},
		{"+44 20 7946 0958", "", []int{1, 44}}, // a London landline
		{"555-0123", "", us},
		{"call me", "", us},
		{"", "", us},
	} {
		got, err := twostep.ParsePhone(tc.in, tc.allowed)
		if got != tc.want || (tc.want == "") != (err != nil) {
			t.Errorf("%q: %q %v, want %q", tc.in, got, err, tc.want)
		}
		if err != nil && code(err) != twostep.EInvalidPhone {
			t.Errorf("%q: code %s", tc.in, code(err))
		}
	}
}

func TestParseEmail(t *testing.T) {
	for in, want := range map[string]string{"Ann@Example.ORG": "Ann@example.org", "a.b+c@x.io": "a.b+c@x.io",
		"Ann <a@x.org>": "", "a@x.org, b@x.org": "", "nope": "", "a@localhost": "", "": ""} {
		got, ok := twostep.ParseEmail(in)
		if got != want || ok != (want != "") {
			t.Errorf("%q: %q %v, want %q", in, got, ok, want)
		}
	}
}

// enrolTOTP adds an authenticator app and returns its secret.
func (e *env) enrolTOTP(a *twostep.Auth) string {
	e.t.Helper()
	setup, err := e.svc.StartTOTP(e.ctx, a, "", client)
	if err != nil {
		e.t.Fatalf("start totp: %v", err)
	}
	if _, err := e.svc.VerifySetup(e.ctx, a, twostep.MethodTOTP, twostep.TOTPCode(setup.Secret, e.clock.Now()), client); err != nil {
		e.t.Fatalf("verify totp: %v", err)
	}
	return setup.Secret
}

func (e *env) enrolPhone(a *twostep.Auth, phone string) {
	e.t.Helper()
	if _, err := e.svc.StartPhone(e.ctx, a, phone, phone, "", client); err != nil {
		e.t.Fatalf("start phone: %v", err)
	}
	num, _ := twostep.ParsePhone(phone, []int{1})
	if _, err := e.svc.VerifySetup(e.ctx, a, twostep.MethodPhone, e.lastCode(num), client); err != nil {
		e.t.Fatalf("verify phone: %v", err)
	}
}

func (e *env) enrolEmail(a *twostep.Auth, addr string) {
	e.t.Helper()
	if _, err := e.svc.StartEmail(e.ctx, a, addr, addr, "", client); err != nil {
		e.t.Fatalf("start email: %v", err)
	}
	if _, err := e.svc.VerifySetup(e.ctx, a, twostep.MethodEmail, e.lastCode(addr), client); err != nil {
		e.t.Fatalf("verify email: %v", err)
	}
}

func TestBetaPerCenter(t *testing.T) { // R1
	each(t, nil, func(t *testing.T, e *env) {
		e.user("jdoe")
		a := e.auth(e.login("jdoe").Token)
		expectCode(t, e.svc.TurnOn(e.ctx, a, client), twostep.ETwoStepNotAvailable)
		if v, _ := e.svc.Account(e.ctx, a); v.TwoStep.Available || v.TwoStep.Methods != nil {
			t.Fatalf("2SV section shown outside the beta: %+v", v.TwoStep)
		}
		e.setBeta(true)
		a = e.auth(a.Token)
		if err := e.svc.TurnOn(e.ctx, a, client); err != nil {
			t.Fatal(err)
		}
		e.enrolTOTP(a)
		if r := e.login("jdoe"); r.State != twostep.StateTwoStep {
			t.Fatalf("state %s", r.State)
		}
		e.setBeta(false)
		if r := e.login("jdoe"); r.State != twostep.StateSignedIn {
			t.Fatalf("beta off still asks: %s", r.State)
		}
		e.setBeta(true)
		if r := e.login("jdoe"); r.State != twostep.StateTwoStep || r.Selected != twostep.MethodTOTP {
			t.Fatalf("beta on again did not restore: %s", r.State)
		}
	})
}

func TestTurnOnAddMethodsAndSignIn(t *testing.T) { // R2–R5, R7–R9, R11
	each(t, nil, func(t *testing.T, e *env) {
		e.setBeta(true)
		e.user("jdoe")
		a := e.auth(e.login("jdoe").Token)
		_, err := e.svc.StartTOTP(e.ctx, a, "", client)
		expectCode(t, err, twostep.ETwoStepNotOn) // R5
		e.svc.TurnOn(e.ctx, a, client)
		if r := e.login("jdoe"); r.State != twostep.StateSignedIn { // R4: on, zero methods
			t.Fatalf("on without methods: %s", r.State)
		}
		setup, err := e.svc.StartTOTP(e.ctx, a, "", client)
		if err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(setup.URI)
		if u.Scheme != "otpauth" || u.Host != "totp" || u.Path != "/Provider Portal:jdoe" || u.Query().Get("secret") != setup.Secret ||
			u.Query().Get("issuer") != "Provider Portal" || len(setup.Secret) != 32 || string(setup.QRPNG[1:4]) != "PNG" {
			t.Fatalf("setup: %s %q", setup.URI, setup.Secret)
		}
		_, err = e.svc.VerifySetup(e.ctx, a, twostep.MethodTOTP, "000000", client)
		expectCode(t, err, twostep.EInvalidCode)
		mv, err := e.svc.VerifySetup(e.ctx, a, twostep.MethodTOTP, twostep.TOTPCode(setup.Secret, e.clock.Now()), client)
		if err != nil || mv.Label != "jdoe" {
			t.Fatalf("verify: %+v %v", mv, err)
		}
		_, err = e.svc.StartTOTP(e.ctx, a, "", client)
		expectCode(t, err, twostep.EMethodExists) // R3
		e.enrolPhone(a, "(201) 555-0123")
		e.enrolEmail(a, "jdoe.personal@example.net")
		v, _ := e.svc.Account(e.ctx, a)
		if len(v.TwoStep.Methods) != 3 || v.TwoStep.Methods[1].Label != "+12015550123" || !v.TwoStep.On {
			t.Fatalf("account: %+v", v.TwoStep)
		}
		r := e.login("jdoe")
		if r.State != twostep.StateTwoStep || r.Selected != "" || len(r.Methods) != 3 ||
			r.Methods[1].Label != "•••-•••-0123" || r.Methods[2].Label != "j•••@example.net" {
			t.Fatalf("challenge: %+v", r)
		}
		p := e.auth(r.Token)
		if err := p.Allow(twostep.AccessFull); code(err) != twostep.ETwoStepPending {
			t.Fatal("pending session reached a full route")
		}
		_, err = e.svc.SendLoginCode(e.ctx, p, twostep.MethodTOTP, client)
		expectCode(t, err, twostep.EMethodDoesNotSend)
		sent, err := e.svc.SendLoginCode(e.ctx, p, twostep.MethodEmail, client)
		if err != nil || sent.To != "j•••@example.net" || sent.ResendAfter != 5*time.Minute {
			t.Fatalf("send: %+v %v", sent, err)
		}
		c := e.lastCode("jdoe.personal@example.net")
		if err := e.svc.VerifyLogin(e.ctx, p, twostep.MethodEmail, c, client); err != nil {
			t.Fatal(err)
		}
		if p.Token == r.Token || p.Session.State != twostep.StateSignedIn {
			t.Fatal("session not rotated to signed_in")
		}
		if _, err := e.svc.Authenticate(e.ctx, r.Token); err == nil {
			t.Fatal("pre-verification session id still valid")
		}
		if err := e.auth(p.Token).Allow(twostep.AccessFull); err != nil {
			t.Fatal(err)
		}
		// Email code reuse is refused.
		p2 := e.auth(e.login("jdoe").Token)
		expectCode(t, e.svc.VerifyLogin(e.ctx, p2, twostep.MethodEmail, c, client), twostep.EInvalidCode)
	})
}

func TestSetupBadInput(t *testing.T) { // R3, R8, R9 bad input
	each(t, nil, func(t *testing.T, e *env) {
		a := e.withTwoStepOn("jdoe")
		for _, tc := range []struct {
			phone, confirm, want string
		}{
			{"(201) 555-0123", "(201) 555-0124", twostep.EMismatch},
			{"12", "12", twostep.EInvalidPhone},
			{"+44 7911 123456", "+44 7911 123456", twostep.EInvalidPhone},
		} {
			_, err := e.svc.StartPhone(e.ctx, a, tc.phone, tc.confirm, "", client)
			expectCode(t, err, tc.want)
		}
		_, err := e.svc.StartEmail(e.ctx, a, "a@example.org", "b@example.org", "", client)
		expectCode(t, err, twostep.EMismatch)
		_, err = e.svc.StartEmail(e.ctx, a, "not-an-email", "not-an-email", "", client)
		expectCode(t, err, twostep.EInvalidEmail)
		// Domain compared case-insensitively.
		if _, err := e.svc.StartEmail(e.ctx, a, "Ann@Example.org", "Ann@EXAMPLE.ORG", "", client); err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.VerifySetup(e.ctx, a, twostep.MethodPhone, "123456", client)
		expectCode(t, err, twostep.ENoPendingSetup)
		_, err = e.svc.VerifySetup(e.ctx, a, twostep.MethodEmail, "12345x", client)
		expectCode(t, err, twostep.EInvalidCode)
	})
}

func TestSetupCodeTimingAndTries(t *testing.T) { // R8, R9, codes
	each(t, nil, func(t *testing.T, e *env) {
		a := e.withTwoStepOn("jdoe")
		sent, err := e.svc.StartPhone(e.ctx, a, "+1 201 555 0123", "(201) 555-0123", "", client)
		if err != nil || sent.ResendAfter != time.Minute || sent.ExpiresIn != 10*time.Minute || sent.To != "•••-•••-0123" {
			t.Fatalf("start: %+v %v", sent, err)
		}
		first := e.lastCode("+12015550123")
		e.clock.Add(59 * time.Second)
		_, err = e.svc.ResendSetupCode(e.ctx, a, twostep.MethodPhone, client)
		expectCode(t, err, twostep.EResendTooSoon)
		if ra := err.(*twostep.Error).RetryAfter; ra != time.Second {
			t.Fatalf("retry after %v", ra)
		}
		e.clock.Add(time.Second)
		if _, err := e.svc.ResendSetupCode(e.ctx, a, twostep.MethodPhone, client); err != nil {
			t.Fatal(err)
		}
		second := e.lastCode("+12015550123")
		if first != second {
			_, err = e.svc.VerifySetup(e.ctx, a, twostep.MethodPhone, first, client)
			expectCode(t, err, twostep.EInvalidCode) // a resend replaces the earlier code
		}
		e.clock.Add(10*time.Minute + time.Second)
		_, err = e.svc.VerifySetup(e.ctx, a, twostep.MethodPhone, second, client)
		expectCode(t, err, twostep.ECodeExpired)
		// Five wrong tries kill a code.
		e.svc.ResendSetupCode(e.ctx, a, twostep.MethodPhone, client)
		right := e.lastCode("+12015550123")
		wrong := "000000"
		if right == wrong {
			wrong = "111111"
		}
		for i := 4; i >= 0; i-- {
			_, err := e.svc.VerifySetup(e.ctx, a, twostep.MethodPhone, wrong, client)
			expectCode(t, err, twostep.EInvalidCode)
			if left := *err.(*twostep.Error).AttemptsLeft; left != i {
				t.Fatalf("attempts left %d, want %d", left, i)
			}
		}
		_, err = e.svc.VerifySetup(e.ctx, a, twostep.MethodPhone, right, client)
		expectCode(t, err, twostep.EInvalidCode)
	})
}

func TestTurnOffAndDelete(t *testing.T) { // R6, R10, B7
	each(t, nil, func(t *testing.T, e *env) {
		a := e.withTwoStepOn("jdoe")
		e.enrolTOTP(a)
		e.enrolEmail(a, "j@example.net")
		expectCode(t, e.svc.DeleteMethod(e.ctx, a, twostep.MethodTOTP, "wrong password here", client), twostep.EInvalidCredentials)
		expectCode(t, e.svc.DeleteMethod(e.ctx, a, twostep.MethodPhone, pw, client), twostep.ENoSuchMethod)
		e.updateCenter(func(c *twostep.Center) { c.TwoStepRequired = true })
		a = e.auth(a.Token)
		if err := e.svc.DeleteMethod(e.ctx, a, twostep.MethodTOTP, pw, client); err != nil {
			t.Fatal(err)
		}
		expectCode(t, e.svc.DeleteMethod(e.ctx, a, twostep.MethodEmail, pw, client), twostep.ELastMethodRequired)
		expectCode(t, e.svc.TurnOff(e.ctx, a, pw, client), twostep.ERequiredByCenter)
		e.updateCenter(func(c *twostep.Center) { c.TwoStepRequired = false })
		a = e.auth(a.Token)
		expectCode(t, e.svc.TurnOff(e.ctx, a, "wrong password here", client), twostep.EInvalidCredentials)
		if err := e.svc.TurnOff(e.ctx, a, pw, client); err != nil {
			t.Fatal(err)
		}
		v, _ := e.svc.Account(e.ctx, a)
		if v.TwoStep.On || len(v.TwoStep.Methods) != 0 {
			t.Fatalf("after off: %+v", v.TwoStep)
		}
		if r := e.login("jdoe"); r.State != twostep.StateSignedIn {
			t.Fatalf("after off: %s", r.State)
		}
	})
}

func TestTOTPReplayAndLoginResend(t *testing.T) { // B4, R12
	each(t, nil, func(t *testing.T, e *env) {
		a := e.withTwoStepOn("jdoe")
		secret := e.enrolTOTP(a)
		e.enrolPhone(a, "2015550123")
		e.clock.Add(30 * time.Second)
		c := twostep.TOTPCode(secret, e.clock.Now())
		p := e.auth(e.login("jdoe").Token)
		if err := e.svc.VerifyLogin(e.ctx, p, twostep.MethodTOTP, c, client); err != nil {
			t.Fatal(err)
		}
		p = e.auth(e.login("jdoe").Token)
		expectCode(t, e.svc.VerifyLogin(e.ctx, p, twostep.MethodTOTP, c, client), twostep.EInvalidCode)
		// The previous step's code (still inside the ±1 window) is refused too.
		prev := twostep.TOTPCode(secret, e.clock.Now().Add(-30*time.Second))
		expectCode(t, e.svc.VerifyLogin(e.ctx, p, twostep.MethodTOTP, prev, client), twostep.EInvalidCode)
		// Phone: resend after 1 minute, and a new sign-in does not reset the wait.
		if _, err := e.svc.SendLoginCode(e.ctx, p, twostep.MethodPhone, client); err != nil {
			t.Fatal(err)
		}
		p2 := e.auth(e.login("jdoe").Token)
		_, err := e.svc.SendLoginCode(e.ctx, p2, twostep.MethodPhone, client)
		expectCode(t, err, twostep.EResendTooSoon)
		e.clock.Add(time.Minute)
		if _, err := e.svc.SendLoginCode(e.ctx, p2, twostep.MethodPhone, client); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.VerifyLogin(e.ctx, p2, twostep.MethodPhone, e.lastCode("+12015550123"), client); err != nil {
			t.Fatal(err)
		}
	})
}

func TestLockout(t *testing.T) { // B3
	each(t, func(s *twostep.Settings) { s.LockoutFailures = 4; s.Lockout = time.Minute }, func(t *testing.T, e *env) {
		a := e.withTwoStepOn("jdoe")
		secret := e.enrolTOTP(a)
		e.clock.Add(time.Minute)
		for i := range 3 {
			p := e.auth(e.login("jdoe").Token) // new sign-ins do not reset the count
			err := e.svc.VerifyLogin(e.ctx, p, twostep.MethodTOTP, "000000", client)
			expectCode(t, err, twostep.EInvalidCode)
			if left := *err.(*twostep.Error).AttemptsLeft; left != 3-i {
				t.Fatalf("left %d", left)
			}
		}
		p := e.auth(e.login("jdoe").Token)
		expectCode(t, e.svc.VerifyLogin(e.ctx, p, twostep.MethodTOTP, "000000", client), twostep.ELocked)
		if !e.noticed("jdoe@example.org", "sign-in paused") {
			t.Fatal("no email about the lockout (B5)")
		}
		expectCode(t, e.svc.VerifyLogin(e.ctx, p, twostep.MethodTOTP, twostep.TOTPCode(secret, e.clock.Now()), client), twostep.ELocked)
		e.clock.Add(time.Minute + time.Second)
		if err := e.svc.VerifyLogin(e.ctx, p, twostep.MethodTOTP, twostep.TOTPCode(secret, e.clock.Now()), client); err != nil {
			t.Fatalf("after lockout: %v", err)
		}
	})
}

func TestRecoveryCodes(t *testing.T) { // B1
	each(t, nil, func(t *testing.T, e *env) {
		a := e.withTwoStepOn("jdoe")
		e.enrolTOTP(a)
		codes, err := e.svc.GenerateRecoveryCodes(e.ctx, a, pw, client)
		if err != nil || len(codes) != 10 || len(codes[0]) != 11 || strings.ContainsAny(strings.Join(codes, ""), "01ilo") {
			t.Fatalf("codes %v %v", codes, err)
		}
		p := e.auth(e.login("jdoe").Token)
		if err := e.svc.VerifyLogin(e.ctx, p, twostep.MethodRecovery, strings.ToUpper(codes[3]), client); err != nil {
			t.Fatal(err)
		}
		p = e.auth(e.login("jdoe").Token)
		expectCode(t, e.svc.VerifyLogin(e.ctx, p, twostep.MethodRecovery, codes[3], client), twostep.EInvalidCode)
		if v, _ := e.svc.Account(e.ctx, p); v.TwoStep.RecoveryCodesLeft != 9 {
			t.Fatalf("left %d", v.TwoStep.RecoveryCodesLeft)
		}
	})
}

func TestGraceLogins(t *testing.T) { // R13, R14
	each(t, nil, func(t *testing.T, e *env) {
		e.setBeta(true)
		e.updateCenter(func(c *twostep.Center) { c.TwoStepRequired = true })
		e.user("jdoe")
		for _, left := range []int{2, 1, 0} {
			r := e.login("jdoe")
			if r.State != twostep.StateSetupSuggested || r.GraceLeft != left {
				t.Fatalf("want setup_suggested %d, got %s %d", left, r.State, r.GraceLeft)
			}
			if err := e.auth(r.Token).Allow(twostep.AccessFull); err != nil {
				t.Fatal("suggested session is limited")
			}
		}
		r := e.login("jdoe")
		if r.State != twostep.StateSetupRequired {
			t.Fatalf("4th login: %s", r.State)
		}
		a := e.auth(r.Token)
		expectCode(t, a.Allow(twostep.AccessFull), twostep.ETwoStepSetupRequired)
		if err := a.Allow(twostep.AccessSetup); err != nil {
			t.Fatal(err)
		}
		e.enrolTOTP(a) // 2SV was off: the first method turns it on
		if a.Session.State != twostep.StateSignedIn || a.Token == r.Token {
			t.Fatal("setup did not complete the sign-in with a new session id")
		}
		if r := e.login("jdoe"); r.State != twostep.StateTwoStep {
			t.Fatalf("after setup: %s", r.State)
		}
	})
}

func TestGraceLoginRace(t *testing.T) {
	each(t, func(s *twostep.Settings) { s.GraceLogins = 1 }, func(t *testing.T, e *env) {
		e.setBeta(true)
		e.updateCenter(func(c *twostep.Center) { c.TwoStepRequired = true })
		e.user("jdoe")
		var suggested atomic.Int32
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				r, err := e.svc.Login(e.ctx, "jdoe", pw, "", client)
				if err != nil {
					t.Error(err)
					return
				}
				if r.State == twostep.StateSetupSuggested {
					suggested.Add(1)
				}
			})
		}
		wg.Wait()
		if suggested.Load() != 1 {
			t.Fatalf("%d grace logins for 1", suggested.Load())
		}
	})
}

func TestConcurrentVerifyOneWinner(t *testing.T) { // B4
	each(t, nil, func(t *testing.T, e *env) {
		a := e.withTwoStepOn("jdoe")
		e.enrolEmail(a, "j@example.net")
		var sessions []*twostep.Auth
		for range 20 {
			sessions = append(sessions, e.auth(e.login("jdoe").Token))
		}
		e.clock.Add(6 * time.Minute)
		if _, err := e.svc.SendLoginCode(e.ctx, sessions[0], twostep.MethodEmail, client); err != nil {
			t.Fatal(err)
		}
		c := e.lastCode("j@example.net")
		var wins atomic.Int32
		var wg sync.WaitGroup
		for _, s := range sessions {
			wg.Go(func() {
				if err := e.svc.VerifyLogin(e.ctx, s, twostep.MethodEmail, c, client); err == nil {
					wins.Add(1)
				}
			})
		}
		wg.Wait()
		if wins.Load() != 1 {
			t.Fatalf("%d winners", wins.Load())
		}
	})
}

func TestRecentAuthentication(t *testing.T) { // B16
	each(t, nil, func(t *testing.T, e *env) {
		a := e.withTwoStepOn("jdoe")
		for range 4 {
			e.clock.Add(5 * time.Minute)
			a = e.auth(a.Token)
		}
		_, err := e.svc.StartTOTP(e.ctx, a, "", client)
		expectCode(t, err, twostep.EReauthRequired)
		_, err = e.svc.StartTOTP(e.ctx, a, "wrong password here", client)
		expectCode(t, err, twostep.EInvalidCredentials)
		if _, err := e.svc.StartTOTP(e.ctx, a, pw, client); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.StartEmail(e.ctx, a, "j@example.net", "j@example.net", "", client); err != nil {
			t.Fatalf("password just given, still asked: %v", err)
		}
		e.updateCenter(func(c *twostep.Center) { c.AllowedMethods = []twostep.MethodType{twostep.MethodTOTP} })
		a = e.auth(a.Token)
		_, err = e.svc.StartPhone(e.ctx, a, "2015550123", "2015550123", "", client)
		expectCode(t, err, twostep.EMethodNotAllowed)
	})
}
