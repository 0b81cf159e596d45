package twostep

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"time"
)

// AppVerdict is what stands between a person and an app (B20).
type AppVerdict int

// Verdicts, from the best to the worst.
const (
	AppAllowed    AppVerdict = iota // go ahead
	AppSignIn                       // sign in (again): no session, one mid-sign-in, or a sign-in older than the app accepts
	AppSecondStep                   // the app needs 2SV this sign-in and the person has a method: pass the second step
	AppSetup                        // the app needs 2SV and the person has no usable method: set one up first (no grace logins)
	AppRefused                      // outside the app's centers or roles, or 2SV needed where the center has none
)

// Refusal reasons, for the refusal page and the audit log.
const (
	RefusedNotAdmitted       = "not_admitted"           // outside the app's centers or roles
	RefusedTwoStepNotOffered = "two_step_not_available" // the app needs 2SV; the person's center does not offer it
)

// AppDecision is a verdict with, when refused, its reason.
type AppDecision struct {
	Verdict AppVerdict
	Reason  string
}

// JudgeApp applies an app's rules to a session: who may use it (centers and
// roles) and whether it needs a second step this sign-in. freshSince, when
// set, is the earliest password sign-in the app accepts (OpenID Connect
// max_age and prompt=login). a may be nil (nobody signed in).
func (s *Service) JudgeApp(ctx context.Context, a *Auth, app *App, freshSince time.Time) (AppDecision, error) {
	if a == nil || (a.Session.State != StateSignedIn && a.Session.State != StateSetupSuggested) {
		return AppDecision{Verdict: AppSignIn}, nil
	}
	if !freshSince.IsZero() && a.Session.AuthAt.Before(freshSince) {
		return AppDecision{Verdict: AppSignIn}, nil
	}
	if !app.Admits(a.User) {
		return AppDecision{Verdict: AppRefused, Reason: RefusedNotAdmitted}, nil
	}
	if !app.RequireTwoStep || a.Session.TwoStepUsed() {
		return AppDecision{Verdict: AppAllowed}, nil
	}
	if a.Center == nil || !a.Center.TwoStepAvailable {
		return AppDecision{Verdict: AppRefused, Reason: RefusedTwoStepNotOffered}, nil
	}
	usable, err := s.usableMethods(ctx, a.User, a.Center)
	if err != nil {
		return AppDecision{}, err
	}
	if len(usable) > 0 {
		return AppDecision{Verdict: AppSecondStep}, nil
	}
	return AppDecision{Verdict: AppSetup}, nil
}

// StartAppTwoStep takes a signed-in session that an app needs 2SV from back
// into sign-in: to the second step when the person has a method, or to
// setting one up first, as under R14 with no grace login left (the first
// method verified then completes the sign-in with both factors). Errors:
// conflict (the app needs nothing more), access_denied.
func (s *Service) StartAppTwoStep(ctx context.Context, a *Auth, app *App, c Client) error {
	d, err := s.JudgeApp(ctx, a, app, time.Time{})
	if err != nil {
		return err
	}
	switch d.Verdict {
	case AppSecondStep:
		usable, err := s.usableMethods(ctx, a.User, a.Center)
		if err != nil {
			return err
		}
		a.Session.State, a.Session.Selected = StateTwoStep, ""
		if len(usable) == 1 { // R11: the only method is chosen for the person
			a.Session.Selected = usable[0].Type
		}
	case AppSetup:
		a.Session.State, a.Session.Selected = StateSetupRequired, ""
	case AppRefused:
		return Errorf(EAccessDenied, "You cannot use this app.")
	default:
		return Errorf(EConflict, "Nothing more is needed to use this app.")
	}
	if err := s.store.UpdateSession(ctx, a.Session); err != nil {
		return err
	}
	s.audit(ctx, a.centerID(), a.User.Username, "app_two_step_needed", a.User.Username, c, app.Name+" "+string(a.Session.State))
	return nil
}

// ForwardAuthResult is the forward-auth check's answer for one request.
type ForwardAuthResult struct {
	App      *App
	Auth     *Auth // nil when nobody is signed in
	Decision AppDecision
}

// ForwardAuth checks a request to a host protected by forward auth: one
// session read (and its last-seen time, once a minute) and the host's app
// from memory. Errors: access_denied (no app protects the host).
func (s *Service) ForwardAuth(ctx context.Context, token, host string) (*ForwardAuthResult, error) {
	app, err := s.appForHost(ctx, host)
	if err != nil {
		return nil, err
	}
	if app == nil {
		return nil, Errorf(EAccessDenied, "No app is registered for this host.")
	}
	res := &ForwardAuthResult{App: app}
	if token != "" {
		a, err := s.Authenticate(ctx, token)
		if err != nil && ErrorCode(err) != EUnauthenticated {
			return nil, err
		}
		res.Auth = a
	}
	res.Decision, err = s.JudgeApp(ctx, res.Auth, app, time.Time{})
	return res, err
}

// ReturnTarget checks an address to go back to after signing in (the
// forward-auth rd parameter): an http(s) URL on a registered forward-auth host
// or on the portal itself. It returns the app (nil for the portal).
// Errors: invalid_request.
func (s *Service) ReturnTarget(ctx context.Context, rd string) (string, *App, error) {
	bad := Errorf(EInvalid, "That address to go back to is not one of this portal's apps.")
	if rd == "" || len(rd) > 4096 || strings.ContainsAny(rd, "\\\x00\r\n\t") {
		return "", nil, bad
	}
	u, err := url.Parse(rd)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.Opaque != "" {
		return "", nil, bad
	}
	if pub, err := url.Parse(s.set.PublicURL); err == nil && strings.EqualFold(pub.Host, u.Host) && pub.Scheme == u.Scheme {
		return u.String(), nil, nil
	}
	app, err := s.appForHost(ctx, u.Host)
	if err != nil {
		return "", nil, err
	}
	if app == nil || !exactReturn(u, app, s.set.PublicURL) {
		return "", nil, bad
	}
	return u.String(), app, nil
}

// exactReturn is stricter than the check's host matching, since rd comes from
// whoever made the link: the host must be registered exactly as written (a
// port only as registered, or the scheme's default), and over https unless the
// portal itself is served over http (a test or development set-up).
func exactReturn(u *url.URL, app *App, publicURL string) bool {
	if u.Scheme != "https" && !strings.HasPrefix(publicURL, "http://") {
		return false
	}
	host, err := NormalizeHost(u.Host)
	if err != nil {
		return false
	}
	if p := u.Port(); p == "" || (u.Scheme == "https" && p == "443") || (u.Scheme == "http" && p == "80") {
		if host = strings.ToLower(u.Hostname()); strings.Contains(host, ":") {
			host = "[" + host + "]"
		}
	}
	return slices.Contains(app.Hosts, host)
}

// RecordAppRefusal audits that an app refused a signed-in person.
func (s *Service) RecordAppRefusal(ctx context.Context, a *Auth, app *App, reason string, c Client) {
	if a != nil {
		s.audit(ctx, a.centerID(), a.User.Username, "app_refused", app.Name, c, reason)
	}
}
