package web

import (
	"encoding/csv"
	"net/http"
	"strconv"
	"strings"

	"github.com/providerportal/portal/internal/twostep"
)

type newUserBody struct {
	Username string `json:"username"`
	Email    string `json:"email"`
	Password string `json:"password"`
	Role     string `json:"role"`
}

func (s *Server) apiAdminUsers(w http.ResponseWriter, r *http.Request, a *twostep.Auth) error {
	ctr, users, err := s.svc.CenterUsers(r.Context(), a.User, 0)
	if err != nil {
		return err
	}
	if strings.Contains(r.Header.Get("Accept"), "text/csv") {
		writeUsersCSV(w, ctr.Name, users)
		return nil
	}
	out := []map[string]any{}
	for _, u := range users {
		types := []string{}
		for _, t := range u.Methods {
			types = append(types, string(t))
		}
		out = append(out, map[string]any{"username": u.Username, "email": u.Email, "role": string(u.Role), "two_step_on": u.TwoStepOn,
			"methods": types, "grace_logins_left": u.GraceLoginsLeft})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// writeUsersCSV writes the compliance view as CSV (B11).
func writeUsersCSV(w http.ResponseWriter, center string, users []twostep.UserState) {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="two-step-verification.csv"`)
	w.Header().Set("Cache-Control", "no-store")
	cw := csv.NewWriter(w)
	cw.Write([]string{"username", "role", "two_step_on", "methods", "grace_logins_left"})
	for _, u := range users {
		types := make([]string, len(u.Methods))
		for i, t := range u.Methods {
			types[i] = string(t)
		}
		cw.Write([]string{csvSafe(u.Username), string(u.Role), strconv.FormatBool(u.TwoStepOn), strings.Join(types, " "), strconv.Itoa(u.GraceLoginsLeft)})
	}
	cw.Flush()
}

// csvSafe defuses spreadsheet formulas in a cell.
func csvSafe(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}

func (s *Server) apiAdminCreateUser(w http.ResponseWriter, r *http.Request, a *twostep.Auth) error {
	var in newUserBody
	if err := decodeJSON(r, &in, false); err != nil {
		return err
	}
	if a.User.Role != twostep.RoleAdmin {
		return twostep.Errorf(twostep.EForbidden, "Only center administrators may do this.")
	}
	return s.createUser(w, r, a, a.User.CenterID, in)
}

func (s *Server) createUser(w http.ResponseWriter, r *http.Request, a *twostep.Auth, centerID int64, in newUserBody) error {
	u, err := s.svc.CreateUser(r.Context(), a.User, twostep.NewUser{CenterID: centerID, Username: in.Username, Email: in.Email,
		Password: in.Password, Role: twostep.Role(in.Role)}, clientOf(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"username": u.Username, "email": u.Email, "role": string(u.Role)})
	return nil
}

func (s *Server) apiAdminPolicy(w http.ResponseWriter, r *http.Request, a *twostep.Auth) error {
	var in struct {
		Required *bool     `json:"two_step_required"`
		Allowed  *[]string `json:"allowed_methods"`
		Grace    *int      `json:"grace_logins"`
		TimeZone *string   `json:"time_zone"`
		Trusted  *int      `json:"trusted_browser_days"`
	}
	if err := decodeJSON(r, &in, false); err != nil {
		return err
	}
	p := twostep.Policy{TwoStepRequired: in.Required, GraceLogins: in.Grace, TimeZone: in.TimeZone, TrustedBrowserDays: in.Trusted}
	if in.Allowed != nil {
		p.AllowedMethods = []twostep.MethodType{}
		for _, t := range *in.Allowed {
			p.AllowedMethods = append(p.AllowedMethods, twostep.MethodType(t))
		}
	}
	if a.User.Role != twostep.RoleAdmin {
		return twostep.Errorf(twostep.EForbidden, "Only center administrators may do this.")
	}
	ctr, err := s.svc.SetPolicy(r.Context(), a.User, 0, p, clientOf(r))
	if err != nil {
		if twostep.ErrorCode(err) == twostep.ETwoStepNotAvailable {
			writeJSON(w, http.StatusConflict, map[string]apiError{"error": toAPIError(err.(*twostep.Error))})
			return nil
		}
		return err
	}
	writeJSON(w, http.StatusOK, s.centerJSON(ctr))
	return nil
}

func (s *Server) centerJSON(c *twostep.Center) map[string]any {
	allowed := []string{}
	for _, t := range twostep.AllMethodTypes {
		if c.Allows(t) {
			allowed = append(allowed, string(t))
		}
	}
	grace := c.GraceLogins
	if grace < 0 {
		grace = s.svc.Settings().GraceLogins
	}
	return map[string]any{"id": c.ID, "name": c.Name, "two_step_available": c.TwoStepAvailable, "two_step_required": c.TwoStepRequired,
		"allowed_methods": allowed, "grace_logins": grace, "time_zone": s.svc.Location(c).String(), "trusted_browser_days": c.TrustedBrowserDays}
}

func (s *Server) apiAdminReset(w http.ResponseWriter, r *http.Request, a *twostep.Auth) error {
	var in passwordBody
	if err := decodeJSON(r, &in, true); err != nil {
		return err
	}
	if err := s.svc.ResetTwoStepConfirmed(r.Context(), a, r.PathValue("username"), in.Password, false, clientOf(r)); err != nil {
		return err
	}
	s.queued()
	w.WriteHeader(http.StatusNoContent)
	return nil
}
