package web

import (
	"net/http"
	"net/url"

	"github.com/providerportal/portal/internal/twostep"
)

// invitationView is the page an invitation link opens.
type invitationView struct {
	Token string
	Inv   *twostep.Invitation
}

func (s *Server) invitationPage(r *http.Request, token string) (pageData, error) {
	inv, err := s.svc.InvitationFor(r.Context(), token)
	if err != nil {
		return pageData{}, err
	}
	d := pageData{Lang: pickLanguage(r)}
	d.Title, d.D = d.T("invite.title", s.opts.SiteName), invitationView{Token: token, Inv: inv}
	return d, nil
}

func (s *Server) pageInvitation(w http.ResponseWriter, r *http.Request) {
	d, err := s.invitationPage(r, r.URL.Query().Get("token"))
	if err != nil {
		s.linkExpiredPage(w, r, "invite", err)
		return
	}
	s.render(w, r, http.StatusOK, "invitation", d)
}

func (s *Server) pageAcceptInvitation(w http.ResponseWriter, r *http.Request) {
	token := r.PostFormValue("token")
	_, err := s.svc.AcceptInvitation(r.Context(), token, r.PostFormValue("password"), pickLanguage(r), clientOf(r))
	if twostep.ErrorCode(err) == twostep.EWeakPassword {
		d, derr := s.invitationPage(r, token)
		if derr != nil {
			s.linkExpiredPage(w, r, "invite", derr)
			return
		}
		s.formError(w, r, "invitation", d, err)
		return
	}
	if err != nil {
		s.linkExpiredPage(w, r, "invite", err)
		return
	}
	http.Redirect(w, r, "/login?done=welcome", http.StatusSeeOther)
}

func (s *Server) pageInvite(w http.ResponseWriter, r *http.Request, a *twostep.Auth) error {
	if err := requireAdmin(a); err != nil {
		return err
	}
	form := map[string]string{"username": r.PostFormValue("username"), "email": r.PostFormValue("email"), "role": r.PostFormValue("role")}
	_, err := s.svc.Invite(r.Context(), a.User, twostep.NewInvitation{Username: form["username"], Email: form["email"],
		Role: twostep.Role(form["role"]), Language: pickLanguage(r)}, clientOf(r))
	if err != nil {
		d, derr := s.adminData(r, a)
		if derr != nil {
			return derr
		}
		d.Form = form
		s.formError(w, r, "admin", d, err)
		return nil
	}
	s.queued()
	http.Redirect(w, r, "/admin?done=invited&who="+url.QueryEscape(form["username"]), http.StatusSeeOther)
	return nil
}

func (s *Server) pageResendInvitation(w http.ResponseWriter, r *http.Request, a *twostep.Auth) error {
	if err := requireAdmin(a); err != nil {
		return err
	}
	username := r.PathValue("username")
	if _, err := s.svc.ResendInvitation(r.Context(), a.User, 0, username, clientOf(r)); err != nil {
		return err
	}
	s.queued()
	http.Redirect(w, r, "/admin?done=resent&who="+url.QueryEscape(username), http.StatusSeeOther)
	return nil
}

func (s *Server) pageRevokeInvitation(w http.ResponseWriter, r *http.Request, a *twostep.Auth) error {
	if err := requireAdmin(a); err != nil {
		return err
	}
	username := r.PathValue("username")
	if err := s.svc.RevokeInvitation(r.Context(), a.User, 0, username, clientOf(r)); err != nil {
		return err
	}
	http.Redirect(w, r, "/admin?done=uninvited&who="+url.QueryEscape(username), http.StatusSeeOther)
	return nil
}
