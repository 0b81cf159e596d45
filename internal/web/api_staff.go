package web

import (
	"net/http"
	"strconv"

	"github.com/providerportal/portal/internal/twostep"
)

func (s *Server) apiStaffCreateCenter(w http.ResponseWriter, r *http.Request, a *twostep.Auth) error {
	var in struct {
		Name string `json:"name"`
	}
	if err := decodeJSON(r, &in, false); err != nil {
		return err
	}
	c, err := s.svc.CreateCenter(r.Context(), a.User, in.Name, clientOf(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, s.centerJSON(c))
	return nil
}

func (s *Server) apiStaffCenters(w http.ResponseWriter, r *http.Request, a *twostep.Auth) error {
	list, err := s.svc.ListCenters(r.Context(), a.User)
	if err != nil {
		return err
	}
	out := []map[string]any{}
	for i := range list {
		out = append(out, s.centerJSON(&list[i]))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func pathID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, twostep.Errorf(twostep.ENotFound, "No such center.")
	}
	return id, nil
}

func (s *Server) apiStaffUpdateCenter(w http.ResponseWriter, r *http.Request, a *twostep.Auth) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in struct {
		Available *bool     `json:"two_step_available"`
		Required  *bool     `json:"two_step_required"`
		Allowed   *[]string `json:"allowed_methods"`
		Grace     *int      `json:"grace_logins"`
		TimeZone  *string   `json:"time_zone"`
	}
	if err := decodeJSON(r, &in, false); err != nil {
		return err
	}
	c, err := s.svc.Center(r.Context(), a.User, id)
	if err != nil {
		return err
	}
	if in.Available != nil {
		if c, err = s.svc.SetTwoStepAvailable(r.Context(), a.User, id, *in.Available, clientOf(r)); err != nil {
			return err
		}
	}
	if in.Required != nil || in.Allowed != nil || in.Grace != nil || in.TimeZone != nil {
		p := twostep.Policy{TwoStepRequired: in.Required, GraceLogins: in.Grace, TimeZone: in.TimeZone}
		if in.Allowed != nil {
			p.AllowedMethods = []twostep.MethodType{}
			for _, t := range *in.Allowed {
				p.AllowedMethods = append(p.AllowedMethods, twostep.MethodType(t))
			}
		}
		if c, err = s.svc.SetPolicy(r.Context(), a.User, id, p, clientOf(r)); err != nil {
			if twostep.ErrorCode(err) == twostep.ETwoStepNotAvailable {
				writeJSON(w, http.StatusConflict, map[string]apiError{"error": toAPIError(err.(*twostep.Error))})
				return nil
			}
			return err
		}
	}
	writeJSON(w, http.StatusOK, s.centerJSON(c))
	return nil
}

func (s *Server) apiStaffCreateUser(w http.ResponseWriter, r *http.Request, a *twostep.Auth) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in newUserBody
	if err := decodeJSON(r, &in, false); err != nil {
		return err
	}
	if _, err := s.svc.Center(r.Context(), a.User, id); err != nil {
		return err
	}
	return s.createUser(w, r, a, id, in)
}

func (s *Server) apiDevOutbox(w http.ResponseWriter, r *http.Request, a *twostep.Auth) error {
	msgs, err := s.devMessages(r, a)
	if err != nil {
		return err
	}
	out := []map[string]any{}
	for _, m := range msgs {
		out = append(out, map[string]any{"at": rfc3339(m.At), "channel": m.Channel, "to": m.To, "subject": m.Subject, "body": m.Body})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
