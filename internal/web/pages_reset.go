package web

import (
	"net/http"

	"github.com/providerportal/portal/internal/twostep"
)

// forgotView is the "Forgot password?" page: the form, or what happens next.
type forgotView struct {
	Sent  string // the login asked for, once sent
	Valid string // how long the link works
}

func (s *Server) forgotPage(r *http.Request) pageData {
	d := s.page(r, nil, "forgot.title")
	d.D = forgotView{Valid: d.Dur(s.svc.Settings().ResetTTL)}
	return d
}

func (s *Server) pageForgot(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "password_forgot", s.forgotPage(r))
}

// pageForgotPost asks for a link; the next page says the same whatever the
// account (B21).
func (s *Server) pageForgotPost(w http.ResponseWriter, r *http.Request) {
	login := r.PostFormValue("login")
	d := s.forgotPage(r)
	if err := s.svc.RequestPasswordReset(r.Context(), login, d.Lang, clientOf(r)); err != nil {
		d.Form = map[string]string{"login": login}
		s.formError(w, r, "password_forgot", d, err)
		return
	}
	s.queued()
	v := d.D.(forgotView)
	v.Sent = login
	d.D, d.Title = v, d.T("forgot.sent.title")
	s.render(w, r, http.StatusOK, "password_forgot", d)
}

// linkExpiredPage answers a link that no longer works with a clear page (410)
// that says nothing of the account; kind is "reset" or "invite".
func (s *Server) linkExpiredPage(w http.ResponseWriter, r *http.Request, kind string, err error) {
	if twostep.ErrorCode(err) != twostep.ELinkExpired {
		s.fail(w, r, err)
		return
	}
	de, status := s.asDomainError(r, err)
	s.metrics.errors.WithLabelValues(de.Code).Inc()
	d := s.page(r, nil, "pwreset.expired.title")
	d.Error, d.D = localError(d.Lang, de), kind
	s.render(w, r, status, "link_expired", d)
}

// pageResetLink is where an emailed link lands: it starts nothing (mail
// scanners fetch links), it offers to continue.
func (s *Server) pageResetLink(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("token")
	if err := s.svc.CheckResetLink(r.Context(), token); err != nil {
		s.linkExpiredPage(w, r, "reset", err)
		return
	}
	d := s.page(r, nil, "pwreset.title")
	d.D = token
	s.render(w, r, http.StatusOK, "password_reset", d)
}

func (s *Server) pageResetStart(w http.ResponseWriter, r *http.Request) {
	res, err := s.svc.StartPasswordReset(r.Context(), r.PostFormValue("token"), s.sessionToken(r), clientOf(r))
	if err != nil {
		s.linkExpiredPage(w, r, "reset", err)
		return
	}
	s.setSessionCookie(w, res.Token)
	s.redirectForState(w, r, res.Auth)
}

func (s *Server) choosePage(r *http.Request, a *twostep.Auth) pageData {
	return s.page(r, a, "pwreset.title")
}

func (s *Server) pageChoosePassword(w http.ResponseWriter, r *http.Request, a *twostep.Auth) error {
	if a.Session.State != twostep.StateChoosePassword {
		s.redirectForState(w, r, a)
		return nil
	}
	s.render(w, r, http.StatusOK, "password_choose", s.choosePage(r, a))
	return nil
}

func (s *Server) pageChoosePasswordPost(w http.ResponseWriter, r *http.Request, a *twostep.Auth) error {
	err := s.svc.FinishPasswordReset(r.Context(), a, r.PostFormValue("new_password"), clientOf(r))
	switch {
	case err == nil:
	case twostep.ErrorCode(err) == twostep.ELinkExpired:
		s.clearSessionCookie(w)
		s.linkExpiredPage(w, r, "reset", err)
		return nil
	case twostep.ErrorCode(err) == twostep.EWeakPassword:
		s.formError(w, r, "password_choose", s.choosePage(r, a), err)
		return nil
	default:
		return err
	}
	s.queued()
	s.clearSessionCookie(w)
	http.Redirect(w, r, "/login?done=password-reset", http.StatusSeeOther)
	return nil
}
