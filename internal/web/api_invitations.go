package web

import (
	"net/http"

	"github.com/providerportal/portal/internal/twostep"
)

func invitationJSON(inv *twostep.Invitation) map[string]any {
	return map[string]any{"username": inv.Username, "email": inv.Email, "role": string(inv.Role), "expires_at": rfc3339(inv.ExpiresAt)}
}

func (s *Server) apiInvite(w http.ResponseWriter, r *http.Request, a *twostep.Auth) error {
	var in struct {
		Username string `json:"username"`
		Email    string `json:"email"`
		Role     string `json:"role"`
	}
	if err := decodeJSON(r, &in, false); err != nil {
		return err
	}
	inv, err := s.svc.Invite(r.Context(), a.User, twostep.NewInvitation{Username: in.Username, Email: in.Email, Role: twostep.Role(in.Role),
		Language: pickLanguage(r)}, clientOf(r))
	if err != nil {
		return err
	}
	s.queued()
	writeJSON(w, http.StatusCreated, invitationJSON(inv))
	return nil
}

func (s *Server) apiInvitations(w http.ResponseWriter, r *http.Request, a *twostep.Auth) error {
	list, err := s.svc.Invitations(r.Context(), a.User, 0)
	if err != nil {
		return err
	}
	out := []map[string]any{}
	for i := range list {
		out = append(out, invitationJSON(&list[i]))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) apiResendInvitation(w http.ResponseWriter, r *http.Request, a *twostep.Auth) error {
	if err := decodeJSON(r, &struct{}{}, true); err != nil {
		return err
	}
	inv, err := s.svc.ResendInvitation(r.Context(), a.User, 0, r.PathValue("username"), clientOf(r))
	if err != nil {
		return err
	}
	s.queued()
	writeJSON(w, http.StatusOK, invitationJSON(inv))
	return nil
}

func (s *Server) apiRevokeInvitation(w http.ResponseWriter, r *http.Request, a *twostep.Auth) error {
	if err := s.svc.RevokeInvitation(r.Context(), a.User, 0, r.PathValue("username"), clientOf(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
