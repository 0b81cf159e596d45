package web

import (
	"net/http"
	"slices"

	"github.com/providerportal/portal/internal/twostep"
)

// methodRow is one line of the 2SV section: a type with its method, or a +.
type methodRow struct {
	Type      twostep.MethodType
	Method    *twostep.MethodView
	Allowed   bool
	Pending   bool
	CanDelete bool
}

type accountView struct {
	View     *twostep.AccountView
	Rows     []methodRow
	Forced   bool
	Sessions []twostep.SessionView
}

func (s *Server) accountData(r *http.Request, a *twostep.Auth) (pageData, error) {
	v, err := s.svc.Account(r.Context(), a)
	if err != nil {
		return pageData{}, err
	}
	av := accountView{View: v, Forced: a.Session.State == twostep.StateSetupRequired}
	ts := v.TwoStep
	for _, t := range twostep.AllMethodTypes {
		row := methodRow{Type: t, Allowed: slices.Contains(ts.AllowedMethods, t), Pending: slices.Contains(ts.Pending, t)}
		for i := range ts.Methods {
			if ts.Methods[i].Type == t {
				row.Method = &ts.Methods[i]
			}
		}
		row.CanDelete = !ts.Required || len(ts.Methods) > 1
		if row.Method != nil || row.Allowed {
			av.Rows = append(av.Rows, row)
		}
	}
	if !av.Forced {
		if av.Sessions, err = s.svc.Sessions(r.Context(), a); err != nil {
			return pageData{}, err
		}
	}
	return pageData{Title: "My Account", Auth: a, D: av, Flash: flashFrom(r)}, nil
}

// flashFrom turns a ?done= marker into a short confirmation.
func flashFrom(r *http.Request) string {
	switch r.URL.Query().Get("done") {
	case "on":
		return "2-Step Verification is on. Now add a verified method with +."
	case "off":
		return "2-Step Verification is off, and your verified methods were deleted."
	case "deleted":
		return "The verified method was deleted."
	case "password":
		return "Your password was changed. Your other sessions were signed out."
	case "revoked":
		return "Your other sessions were signed out."
	}
	return ""
}

func (s *Server) pageAccount(w http.ResponseWriter, r *http.Request, a *twostep.Auth) error {
	d, err := s.accountData(r, a)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "account", d)
	return nil
}

func (s *Server) pageTurnOn(w http.ResponseWriter, r *http.Request, a *twostep.Auth) error {
	if err := s.svc.TurnOn(r.Context(), a, clientOf(r)); err != nil {
		return err
	}
	http.Redirect(w, r, "/account?done=on", http.StatusSeeOther)
	return nil
}

// confirmView is a page that asks for the password before a change (B7).
type confirmView struct {
	Action, Explain, Button string
	Danger                  bool
}

func turnOffPage(a *twostep.Auth) pageData {
	return pageData{Title: "Turn off 2-Step Verification", Auth: a, D: confirmView{Action: "/account/two-step/off",
		Explain: "Turning off 2-Step Verification deletes all your verified methods and recovery codes. Enter your password to confirm.",
		Button:  "Turn Off 2-Step Verification", Danger: true}}
}

func (s *Server) pageTurnOffForm(w http.ResponseWriter, r *http.Request, a *twostep.Auth) error {
	s.render(w, r, http.StatusOK, "password_confirm", turnOffPage(a))
	return nil
}

func (s *Server) pageTurnOff(w http.ResponseWriter, r *http.Request, a *twostep.Auth) error {
	if err := s.svc.TurnOff(r.Context(), a, r.PostFormValue("password"), clientOf(r)); err != nil {
		s.formError(w, r, "password_confirm", turnOffPage(a), err)
		return nil
	}
	s.queued()
	http.Redirect(w, r, "/account?done=off", http.StatusSeeOther)
	return nil
}

func deletePage(a *twostep.Auth, t twostep.MethodType) pageData {
	name := funcs["methodName"].(func(twostep.MethodType) string)(t)
	return pageData{Title: "Delete " + name, Auth: a, D: confirmView{Action: "/account/methods/" + string(t) + "/delete",
		Explain: "You will no longer be able to use this " + name + " to sign in. Enter your password to confirm.",
		Button:  "Delete", Danger: true}}
}

func (s *Server) pageDeleteForm(w http.ResponseWriter, r *http.Request, a *twostep.Auth) error {
	t := twostep.MethodType(r.PathValue("type"))
	if !t.Valid() {
		return twostep.Errorf(twostep.ENotFound, "There is no such method.")
	}
	s.render(w, r, http.StatusOK, "password_confirm", deletePage(a, t))
	return nil
}

func (s *Server) pageDelete(w http.ResponseWriter, r *http.Request, a *twostep.Auth) error {
	t := twostep.MethodType(r.PathValue("type"))
	if !t.Valid() {
		return twostep.Errorf(twostep.ENotFound, "There is no such method.")
	}
	if err := s.svc.DeleteMethod(r.Context(), a, t, r.PostFormValue("password"), clientOf(r)); err != nil {
		s.formError(w, r, "password_confirm", deletePage(a, t), err)
		return nil
	}
	s.queued()
	http.Redirect(w, r, "/account?done=deleted", http.StatusSeeOther)
	return nil
}

func recoveryPage(a *twostep.Auth) pageData {
	return pageData{Title: "Get new recovery codes", Auth: a, D: confirmView{Action: "/account/recovery-codes",
		Explain: "You will get 10 new recovery codes; any earlier ones stop working. Enter your password to continue.",
		Button:  "Get new recovery codes"}}
}

func (s *Server) pageRecoveryForm(w http.ResponseWriter, r *http.Request, a *twostep.Auth) error {
	s.render(w, r, http.StatusOK, "password_confirm", recoveryPage(a))
	return nil
}

func (s *Server) pageRecoveryCodes(w http.ResponseWriter, r *http.Request, a *twostep.Auth) error {
	codes, err := s.svc.GenerateRecoveryCodes(r.Context(), a, r.PostFormValue("password"), clientOf(r))
	if err != nil {
		s.formError(w, r, "password_confirm", recoveryPage(a), err)
		return nil
	}
	s.queued()
	s.render(w, r, http.StatusOK, "recovery_codes", pageData{Title: "Your recovery codes", Auth: a, D: codes})
	return nil
}

func (s *Server) pagePasswordForm(w http.ResponseWriter, r *http.Request, a *twostep.Auth) error {
	s.render(w, r, http.StatusOK, "password_change", pageData{Title: "Change password", Auth: a})
	return nil
}

func (s *Server) pagePassword(w http.ResponseWriter, r *http.Request, a *twostep.Auth) error {
	err := s.svc.ChangePassword(r.Context(), a, r.PostFormValue("current_password"), r.PostFormValue("new_password"), clientOf(r))
	if err != nil {
		s.formError(w, r, "password_change", pageData{Title: "Change password", Auth: a}, err)
		return nil
	}
	s.queued()
	s.setSessionCookie(w, a.Token)
	http.Redirect(w, r, "/account?done=password", http.StatusSeeOther)
	return nil
}

func (s *Server) pageRevokeOthers(w http.ResponseWriter, r *http.Request, a *twostep.Auth) error {
	if err := s.svc.RevokeOtherSessions(r.Context(), a, clientOf(r)); err != nil {
		return err
	}
	http.Redirect(w, r, "/account?done=revoked", http.StatusSeeOther)
	return nil
}

func (s *Server) pageDevOutbox(w http.ResponseWriter, r *http.Request, a *twostep.Auth) error {
	msgs, err := s.devMessages(r, a)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "dev_outbox", pageData{Title: "Dev outbox", Auth: a, D: msgs})
	return nil
}
