package web

import (
	"net/http"

	"github.com/providerportal/portal/internal/twostep"
)

// apiPasswordReset asks for a reset link (B21): 202 whether or not the account
// exists; the link goes by email once the background worker handles the request.
func (s *Server) apiPasswordReset(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Login string `json:"login"`
	}
	err := decodeJSON(r, &in, false)
	if err == nil {
		err = s.svc.RequestPasswordReset(r.Context(), in.Login, pickLanguage(r), clientOf(r))
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.queued()
	writeJSON(w, http.StatusAccepted, map[string]string{})
}

// apiPasswordResetStart opens a reset link: a reset session, waiting for the
// second step (two_step, as at sign-in) or for the new password (choose_password).
func (s *Server) apiPasswordResetStart(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Token string `json:"token"`
	}
	if err := decodeJSON(r, &in, false); err != nil {
		s.fail(w, r, err)
		return
	}
	res, err := s.svc.StartPasswordReset(r.Context(), in.Token, s.sessionToken(r), clientOf(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.setSessionCookie(w, res.Token)
	writeJSON(w, http.StatusOK, loginStateOf(res).body())
}

func (s *Server) apiPasswordResetFinish(w http.ResponseWriter, r *http.Request, a *twostep.Auth) error {
	var in struct {
		NewPassword string `json:"new_password"`
	}
	if err := decodeJSON(r, &in, false); err != nil {
		return err
	}
	if err := s.svc.FinishPasswordReset(r.Context(), a, in.NewPassword, clientOf(r)); err != nil {
		return err
	}
	s.queued()
	s.clearSessionCookie(w)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// apiAcceptInvitation creates an invited account with the password its person
// chose (B22); they then sign in as anyone does.
func (s *Server) apiAcceptInvitation(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Token    string `json:"token"`
		Password string `json:"password"`
	}
	if err := decodeJSON(r, &in, false); err != nil {
		s.fail(w, r, err)
		return
	}
	u, err := s.svc.AcceptInvitation(r.Context(), in.Token, in.Password, pickLanguage(r), clientOf(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]string{"username": u.Username, "email": u.Email, "role": string(u.Role)})
}
