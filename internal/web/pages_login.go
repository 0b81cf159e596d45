package web

import (
	"net/http"
	"time"

	"github.com/providerportal/portal/internal/twostep"
)

func (s *Server) pageHome(w http.ResponseWriter, r *http.Request) {
	a, err := s.svc.Authenticate(r.Context(), s.sessionToken(r))
	if err != nil {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	s.redirectForState(w, r, a)
}

func (s *Server) pageLogin(w http.ResponseWriter, r *http.Request) {
	if s.rememberAppSignIn(w, r) { // signing in for an app (apps_gate.go)
		return
	}
	d := s.page(r, nil, "login.title")
	d.Flash = flashFrom(r, d, nil)
	s.render(w, r, http.StatusOK, "login", d)
}

func (s *Server) pageLoginPost(w http.ResponseWriter, r *http.Request) {
	user := r.PostFormValue("username")
	d := s.page(r, nil, "login.title")
	d.Form = map[string]string{"username": user}
	res, err := s.svc.Login(r.Context(), user, r.PostFormValue("password"), s.sessionToken(r), clientOf(r))
	if err != nil {
		s.metrics.signIn("password", twostep.ErrorCode(err))
		if twostep.ErrorCode(err) == twostep.EInvalidCredentials {
			err = twostep.FieldError(twostep.EInvalidCredentials, "password", "The username or password is not right.")
		}
		s.formError(w, r, "login", d, err)
		return
	}
	s.metrics.signIn("password", string(res.State))
	s.setSessionCookie(w, res.Token)
	s.redirectForState(w, r, res.Auth)
}

// challengeView is the second-step page.
type challengeView struct {
	Choose      bool
	Methods     []twostep.MethodView
	HasRecovery bool
	HasTOTP     bool
	Selected    twostep.MethodType
	Sends       bool
	Status      *twostep.CodeStatus
	ResendIn    time.Duration
	TrustDays   int  // > 0: offer "don't ask again on this browser" (B23)
	Reset       bool // a password reset, not a sign-in (B21)
	// LockedUntil is set while wrong codes pause the second step (B3): the
	// page says until when and its forms are disabled.
	LockedUntil time.Time
	LockedFor   time.Duration
}

func (s *Server) challengeData(r *http.Request, a *twostep.Auth) (pageData, error) {
	res, err := s.svc.LoginState(r.Context(), a)
	if err != nil {
		return pageData{}, err
	}
	v := challengeView{Methods: res.Methods, Selected: a.Session.Selected, HasRecovery: res.RecoveryCodes,
		TrustDays: s.svc.TrustedBrowserDays(a), Reset: a.Session.Resetting(), LockedUntil: res.LockedUntil, LockedFor: res.LockedFor}
	for _, m := range res.Methods {
		v.HasTOTP = v.HasTOTP || m.Type == twostep.MethodTOTP
	}
	if v.Selected == "" {
		v.Selected = res.Selected
	}
	if v.Selected == "" || r.URL.Query().Get("choose") == "1" {
		v.Choose = true
	}
	if v.Selected.Sends() {
		v.Sends = true
		if v.Status, err = s.svc.CodeStatus(r.Context(), a, twostep.PurposeLogin, v.Selected); err != nil {
			return pageData{}, err
		}
		if v.Status == nil && !v.Choose {
			v.Choose = true // nothing sent yet: choose and Send Code first
		}
		if v.Status != nil {
			v.ResendIn = v.Status.ResendIn
		}
	}
	d := s.page(r, a, "tsv.title")
	d.D = v
	return d, nil
}

func (s *Server) pageChallenge(w http.ResponseWriter, r *http.Request, a *twostep.Auth) error {
	if a.Session.State != twostep.StateTwoStep {
		s.redirectForState(w, r, a)
		return nil
	}
	d, err := s.challengeData(r, a)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "challenge", d)
	return nil
}

func (s *Server) pageSendCode(w http.ResponseWriter, r *http.Request, a *twostep.Auth) error {
	t := twostep.MethodType(r.PostFormValue("method"))
	var err error
	if t.Sends() {
		_, err = s.svc.SendLoginCode(r.Context(), a, t, clientOf(r))
		if err == nil {
			s.queued()
		} else if twostep.ErrorCode(err) == twostep.EResendTooSoon {
			// The earlier code still works: show its page with the wait.
			s.svc.SelectMethod(r.Context(), a, t)
		}
	} else {
		err = s.svc.SelectMethod(r.Context(), a, t)
	}
	if err != nil {
		d, derr := s.challengeData(r, a)
		if derr != nil {
			return derr
		}
		s.challengeError(w, r, d, err)
		return nil
	}
	http.Redirect(w, r, "/login/verify", http.StatusSeeOther)
	return nil
}

func (s *Server) pageVerify(w http.ResponseWriter, r *http.Request, a *twostep.Auth) error {
	t := twostep.MethodType(r.PostFormValue("method"))
	err := s.svc.VerifyLogin(r.Context(), a, t, r.PostFormValue("code"), clientOf(r))
	if err != nil {
		s.metrics.signIn("second_step", twostep.ErrorCode(err))
		d, derr := s.challengeData(r, a)
		if derr != nil {
			return derr
		}
		if de, ok := err.(*twostep.Error); ok && de.Field == "" && de.Code != twostep.ELocked {
			de.Field = "code"
		}
		s.challengeError(w, r, d, err)
		return nil
	}
	s.metrics.signIn("second_step", string(a.Session.State))
	s.setSessionCookie(w, a.Token)
	if r.PostFormValue("trust_browser") == "true" && s.svc.TrustedBrowserDays(a) > 0 {
		s.trustBrowser(w, r, a)
	}
	if a.Session.State == twostep.StateChoosePassword {
		http.Redirect(w, r, "/password-reset/new", http.StatusSeeOther)
		return nil
	}
	http.Redirect(w, r, s.signedInPath(r), http.StatusSeeOther)
	return nil
}

// challengeError shows the second step again after err. A pause for wrong
// codes is the page's own notice (until when, forms disabled), not an error
// message beside the code box.
func (s *Server) challengeError(w http.ResponseWriter, r *http.Request, d pageData, err error) {
	if twostep.ErrorCode(err) == twostep.ELocked && !d.D.(challengeView).LockedUntil.IsZero() {
		s.render(w, r, http.StatusLocked, "challenge", d)
		return
	}
	s.formError(w, r, "challenge", d, err)
}

func (s *Server) pageNotice(w http.ResponseWriter, r *http.Request, a *twostep.Auth) error {
	if a.Session.State != twostep.StateSetupSuggested {
		s.redirectForState(w, r, a)
		return nil
	}
	res, err := s.svc.LoginState(r.Context(), a)
	if err != nil {
		return err
	}
	d := s.page(r, a, "notice.title")
	d.D = res
	s.render(w, r, http.StatusOK, "notice", d)
	return nil
}

// pageDismiss answers the grace notice (R14). A sign-in route never changes the
// account: "Set up now" only dismisses the notice and goes to the 2-Step
// section of My Account, where the person turns 2SV on themselves. Any other
// session state is sent where it belongs, untouched.
func (s *Server) pageDismiss(w http.ResponseWriter, r *http.Request, a *twostep.Auth) error {
	if a.Session.State != twostep.StateSetupSuggested {
		s.redirectForState(w, r, a)
		return nil
	}
	if err := s.svc.DismissNotice(r.Context(), a); err != nil {
		return err
	}
	to := "/account"
	if r.PostFormValue("next") == "setup" {
		to = "/account?done=setup#two-step"
	} else if next := s.signedInPath(r); next != "/account" {
		to = next // on to an app the sign-in was for
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

func (s *Server) pageLogout(w http.ResponseWriter, r *http.Request) {
	if a, err := s.svc.Authenticate(r.Context(), s.sessionToken(r)); err == nil {
		if err := s.svc.Logout(r.Context(), a, clientOf(r)); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	s.clearSessionCookie(w)
	s.clearContinue(w)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}
