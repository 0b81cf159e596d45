package twostep_test

import (
	"testing"
	"time"

	"github.com/providerportal/portal/internal/twostep"
	"github.com/providerportal/portal/internal/twostep/passkeytest"
)

// secondStep signs name in with the authenticator app and returns the signed-in session.
func (e *env) secondStep(name, secret string, c twostep.Client) *twostep.Auth {
	e.t.Helper()
	r, err := e.svc.Login(e.ctx, name, pw, "", c)
	if err != nil || r.State != twostep.StateTwoStep {
		e.t.Fatalf("login %s: %v %v", name, r, err)
	}
	a := e.auth(r.Token)
	e.clock.Add(30 * time.Second) // a fresh time step
	if err := e.svc.VerifyLogin(e.ctx, a, twostep.MethodTOTP, twostep.TOTPCode(secret, e.clock.Now()), c); err != nil {
		e.t.Fatal(err)
	}
	return a
}

// trust signs name in with a second step and trusts the browser c; it
// returns the browser's cookie tokens afterwards.
func (e *env) trust(name, secret string, c twostep.Client) []string {
	e.t.Helper()
	a := e.secondStep(name, secret, c)
	tok, until, keep, err := e.svc.TrustBrowser(e.ctx, a, c)
	if err != nil {
		e.t.Fatal(err)
	}
	if days := until.Sub(e.clock.Now()).Hours() / 24; days != float64(e.center.TrustedBrowserDays) {
		e.t.Fatalf("trusted for %v days", days)
	}
	return append([]string{tok}, keep...)
}

func (e *env) loginState(name string, c twostep.Client) twostep.SessionState {
	e.t.Helper()
	r, err := e.svc.Login(e.ctx, name, pw, "", c)
	if err != nil {
		e.t.Fatalf("login %s: %v", name, err)
	}
	return r.State
}

// B23: a trusted browser skips the second step (never the password), for the
// person who trusted it, for the days the center allows.
func TestTrustedBrowser(t *testing.T) {
	each(t, nil, func(t *testing.T, e *env) {
		secret := e.enrolTOTP(e.withTwoStepOn("jdoe"))
		if e.center.TrustedBrowserDays != 30 {
			t.Fatalf("default days %d", e.center.TrustedBrowserDays)
		}
		browser := client
		browser.Trusted = e.trust("jdoe", secret, browser)
		if got := e.loginState("jdoe", browser); got != twostep.StateSignedIn {
			t.Fatalf("trusted browser: %s", got)
		}
		r, _ := e.svc.Login(e.ctx, "jdoe", pw, "", browser)
		if a := e.auth(r.Token); a.Session.TwoStepUsed() || a.Session.AMR != twostep.AMRPassword {
			t.Fatalf("a trusted-browser sign-in claims a second step: %q", a.Session.AMR)
		}
		if got := e.loginState("jdoe", client); got != twostep.StateTwoStep {
			t.Fatalf("another browser: %s", got)
		}
		_, err := e.svc.Login(e.ctx, "jdoe", "wrong password here", "", browser)
		expectCode(t, err, twostep.EInvalidCredentials) // never the password
		// Another person on the same browser: their own second step, their own token kept beside.
		e.user("ann")
		ann := e.auth(e.login("ann").Token)
		if err := e.svc.TurnOn(e.ctx, ann, client); err != nil {
			t.Fatal(err)
		}
		annSecret := e.enrolTOTP(ann)
		if got := e.loginState("ann", browser); got != twostep.StateTwoStep {
			t.Fatalf("jdoe's trust let ann skip: %s", got)
		}
		browser.Trusted = e.trust("ann", annSecret, browser)
		if len(browser.Trusted) != 2 {
			t.Fatalf("cookie tokens %d", len(browser.Trusted))
		}
		for _, name := range []string{"jdoe", "ann"} {
			if got := e.loginState(name, browser); got != twostep.StateSignedIn {
				t.Fatalf("%s on a browser both trust: %s", name, got)
			}
		}
		// Trusting again (say once ann's trust has lapsed) replaces her own token.
		_, _, keep, err := e.svc.TrustBrowser(e.ctx, e.secondStep("ann", annSecret, client), browser)
		if err != nil || len(keep) != 1 || keep[0] != browser.Trusted[1] {
			t.Fatalf("tokens kept when trusting again: %d %v", len(keep), err)
		}
		// The center shortens its days: older trust ends; 0 turns it off.
		e.clock.Add(3 * 24 * time.Hour)
		days := 2
		if _, err := e.svc.SetPolicy(e.ctx, e.staff, e.center.ID, twostep.Policy{TrustedBrowserDays: &days}, client); err != nil {
			t.Fatal(err)
		}
		if got := e.loginState("jdoe", browser); got != twostep.StateTwoStep {
			t.Fatalf("trust older than the center's days: %s", got)
		}
		days = 0
		e.svc.SetPolicy(e.ctx, e.staff, e.center.ID, twostep.Policy{TrustedBrowserDays: &days}, client)
		a := e.secondStep("jdoe", secret, client)
		if e.svc.TrustedBrowserDays(a) != 0 {
			t.Fatal("offered where the center turned it off")
		}
		_, _, _, err = e.svc.TrustBrowser(e.ctx, a, client)
		expectCode(t, err, twostep.EForbidden)
		for _, bad := range []int{-1, 91} {
			_, err := e.svc.SetPolicy(e.ctx, e.staff, e.center.ID, twostep.Policy{TrustedBrowserDays: &bad}, client)
			expectCode(t, err, twostep.EInvalid)
		}
	})
}

func TestTrustedBrowserExpires(t *testing.T) {
	each(t, nil, func(t *testing.T, e *env) {
		secret := e.enrolTOTP(e.withTwoStepOn("jdoe"))
		days := 1
		e.svc.SetPolicy(e.ctx, e.staff, e.center.ID, twostep.Policy{TrustedBrowserDays: &days}, client)
		e.center.TrustedBrowserDays = 1
		browser := client
		browser.Trusted = e.trust("jdoe", secret, browser)
		e.clock.Add(23 * time.Hour)
		if got := e.loginState("jdoe", browser); got != twostep.StateSignedIn {
			t.Fatalf("within a day: %s", got)
		}
		e.clock.Add(time.Hour)
		if got := e.loginState("jdoe", browser); got != twostep.StateTwoStep {
			t.Fatalf("after a day: %s", got)
		}
		if n, err := e.svc.SweepLinks(e.ctx); err != nil || n != 1 {
			t.Fatalf("swept %d: %v", n, err)
		}
		// Only after a second step, and not for a malformed cookie.
		a := e.auth(e.login("jdoe").Token)
		_, _, _, err := e.svc.TrustBrowser(e.ctx, a, client)
		expectCode(t, err, twostep.EForbidden)
		browser.Trusted = []string{"not-a-token", ""}
		if got := e.loginState("jdoe", browser); got != twostep.StateTwoStep {
			t.Fatalf("malformed cookie: %s", got)
		}
	})
}

// Every trusted browser asks for the second step again after a password
// change or reset, an admin's 2SV reset, turning 2SV off or deleting a method.
func TestTrustedBrowsersForgotten(t *testing.T) {
	changes := map[string]func(e *env, a *twostep.Auth) error{
		"password change": func(e *env, a *twostep.Auth) error { return e.svc.ChangePassword(e.ctx, a, pw, newPW, client) },
		"2SV off":         func(e *env, a *twostep.Auth) error { return e.svc.TurnOff(e.ctx, a, pw, client) },
		"method deleted": func(e *env, a *twostep.Auth) error {
			return e.svc.DeleteMethod(e.ctx, a, twostep.MethodEmail, pw, client)
		},
		"admin reset": func(e *env, a *twostep.Auth) error { return e.svc.ResetTwoStep(e.ctx, e.staff, "jdoe", client) },
		"passkey deleted": func(e *env, a *twostep.Auth) error { // review of issue 14, finding M1
			pv := e.addPasskey(a, passkeytest.New(origin), "Laptop")
			return e.svc.DeletePasskey(e.ctx, a, pv.ID, pw, client)
		},
		"password reset": func(e *env, a *twostep.Auth) error {
			res, err := e.svc.StartPasswordReset(e.ctx, e.resetLink("jdoe", "jdoe@example.org"), "", client)
			if err != nil {
				return err
			}
			r := e.auth(res.Token)
			e.clock.Add(30 * time.Second)
			if err := e.svc.VerifyLogin(e.ctx, r, twostep.MethodTOTP, twostep.TOTPCode(e.secret, e.clock.Now()), client); err != nil {
				return err
			}
			return e.svc.FinishPasswordReset(e.ctx, r, newPW, client)
		},
	}
	for name, change := range changes {
		t.Run(name, func(t *testing.T) {
			each(t, nil, func(t *testing.T, e *env) {
				a := e.withTwoStepOn("jdoe")
				e.secret = e.enrolTOTP(a)
				e.enrolEmail(a, "j@example.net")
				browser := client
				browser.Trusted = e.trust("jdoe", e.secret, browser)
				a = e.secondStep("jdoe", e.secret, client)
				if list, _ := e.svc.TrustedBrowsers(e.ctx, a, browser); len(list) != 1 || !list[0].Current || list[0].ExpiresAt.IsZero() {
					t.Fatalf("listed: %+v", list)
				}
				if err := change(e, a); err != nil {
					t.Fatal(err)
				}
				if list, _ := e.svc.TrustedBrowsers(e.ctx, a, browser); len(list) != 0 {
					t.Fatalf("%s left %d trusted browsers", name, len(list))
				}
			})
		})
	}
}

func TestForgetOneTrustedBrowser(t *testing.T) {
	each(t, nil, func(t *testing.T, e *env) {
		secret := e.enrolTOTP(e.withTwoStepOn("jdoe"))
		home, office := client, twostep.Client{IP: "198.51.100.2", UserAgent: "Office/1.0"}
		home.Trusted = e.trust("jdoe", secret, home)
		office.Trusted = e.trust("jdoe", secret, office)
		r, _ := e.svc.Login(e.ctx, "jdoe", pw, "", home)
		a := e.auth(r.Token)
		list, err := e.svc.TrustedBrowsers(e.ctx, a, home)
		if err != nil || len(list) != 2 || list[0].UserAgent != "Office/1.0" || list[0].Current || !list[1].Current {
			t.Fatalf("list: %+v %v", list, err)
		}
		// Someone else's id is not found.
		e.user("ann")
		ann := e.auth(e.login("ann").Token)
		expectCode(t, e.svc.ForgetTrustedBrowser(e.ctx, ann, list[0].ID, client), twostep.ENotFound)
		expectCode(t, e.svc.ForgetTrustedBrowser(e.ctx, a, "x", client), twostep.ENotFound)
		if err := e.svc.ForgetTrustedBrowser(e.ctx, a, list[0].ID, client); err != nil {
			t.Fatal(err)
		}
		if got := e.loginState("jdoe", office); got != twostep.StateTwoStep {
			t.Fatalf("a removed browser: %s", got)
		}
		if got := e.loginState("jdoe", home); got != twostep.StateSignedIn {
			t.Fatalf("the other browser: %s", got)
		}
	})
}

// Account managers trust browsers for the default days; a password reset never offers it.
func TestTrustedBrowserStaffAndReset(t *testing.T) {
	each(t, nil, func(t *testing.T, e *env) {
		a := e.auth(e.login("am").Token)
		if a.Center.TrustedBrowserDays != twostep.DefaultTrustedBrowserDays {
			t.Fatalf("staff days %d", a.Center.TrustedBrowserDays)
		}
		e.withTwoStepOn("jdoe")
		res, err := e.svc.StartPasswordReset(e.ctx, e.resetLink("jdoe", "jdoe@example.org"), "", client)
		if err != nil {
			t.Fatal(err)
		}
		if e.svc.TrustedBrowserDays(e.auth(res.Token)) != 0 {
			t.Fatal("a password reset offers to trust the browser")
		}
	})
}
