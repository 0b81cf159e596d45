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
	InEffect bool   // 2SV protects the sign-in: on, with a verified method (R4)
	Hint     string // what to do next, shown in the 2-Step section itself
	Sessions []twostep.SessionView
	Trusted  []twostep.TrustedBrowserView
	passkeyRows
}

func (s *Server) accountData(r *http.Request, a *twostep.Auth) (pageData, error) {
	v, err := s.svc.Account(r.Context(), a)
	if err != nil {
		return pageData{}, err
	}
	av := accountView{View: v, Forced: a.Session.State == twostep.StateSetupRequired, InEffect: v.TwoStep.InEffect()}
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
	av.passkeyRows = s.passkeyRowsOf(r, a, ts)
	if !av.Forced {
		if av.Sessions, err = s.svc.Sessions(r.Context(), a); err != nil {
			return pageData{}, err
		}
		if av.Trusted, err = s.svc.TrustedBrowsers(r.Context(), a, clientOf(r)); err != nil {
			return pageData{}, err
		}
	}
	d := s.page(r, a, "account.title")
	d.Flash = flashFrom(r, d, nil)
	switch r.URL.Query().Get("done") {
	case "on", "setup": // the next step belongs beside the + buttons it points to
		if ts.Available && !av.InEffect {
			av.Hint = d.T("account.hint." + map[bool]string{true: "add", false: "turnon"}[ts.On || av.Forced])
		}
		d.Flash = ""
	case "saved":
		if av.InEffect {
			d.Flash = d.T("flash.saved")
		}
	case "off": // never "it is off" about a 2-Step Verification that is on
		if ts.On {
			d.Flash = ""
		}
	}
	d.D = av
	return d, nil
}

// Grace says how many more times the person may skip setting up 2SV under
// their center's requirement (R14), in the same sentence on the sign-in
// notice and on My Account.
func (p pageData) Grace(left int) string {
	if left <= 0 {
		return p.T("notice.skip.zero")
	}
	return p.N("notice.skip", left)
}

// flashFrom turns a ?done= marker into a short confirmation. Only text the
// server chose is shown: the name in ?who= appears only when known reports it
// as one of the people the page itself lists (it is never shown as given).
func flashFrom(r *http.Request, d pageData, known func(name string) bool) string {
	done := r.URL.Query().Get("done")
	switch done {
	case "on", "off", "deleted", "password", "revoked", "center", "policy", "zone", "password-reset", "welcome", "untrusted", "uninvited":
		return d.T("flash." + done)
	case "added", "reset", "invited", "resent":
		if who := r.URL.Query().Get("who"); known != nil && known(who) {
			return d.T("flash."+done, who)
		}
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
	http.Redirect(w, r, "/account?done=on#two-step", http.StatusSeeOther)
	return nil
}

// confirmView is a page that asks for the password before a change (B7).
type confirmView struct {
	Action, Explain, Button string
	Danger                  bool
	Cancel                  string // where Cancel leads; My Account when empty
}

func (s *Server) turnOffPage(r *http.Request, a *twostep.Auth) pageData {
	d := s.page(r, a, "off.title")
	d.D = confirmView{Action: "/account/two-step/off", Explain: d.T("off.explain"), Button: d.T("account.turnoff"), Danger: true}
	return d
}

func (s *Server) pageTurnOffForm(w http.ResponseWriter, r *http.Request, a *twostep.Auth) error {
	s.render(w, r, http.StatusOK, "password_confirm", s.turnOffPage(r, a))
	return nil
}

func (s *Server) pageTurnOff(w http.ResponseWriter, r *http.Request, a *twostep.Auth) error {
	if err := s.svc.TurnOff(r.Context(), a, r.PostFormValue("password"), clientOf(r)); err != nil {
		s.formError(w, r, "password_confirm", s.turnOffPage(r, a), err)
		return nil
	}
	s.queued()
	http.Redirect(w, r, "/account?done=off", http.StatusSeeOther)
	return nil
}

func (s *Server) deletePage(r *http.Request, a *twostep.Auth, t twostep.MethodType) pageData {
	d := pageData{Lang: pickLanguage(r)}
	d = s.page(r, a, "delete.title", d.MethodLower(t))
	d.D = confirmView{Action: "/account/methods/" + string(t) + "/delete", Explain: d.T("delete.explain", d.MethodLower(t)), Button: d.T("delete.button"), Danger: true}
	return d
}

func (s *Server) pageDeleteForm(w http.ResponseWriter, r *http.Request, a *twostep.Auth) error {
	t := twostep.MethodType(r.PathValue("type"))
	if !t.Valid() {
		return twostep.Errorf(twostep.ENotFound, "There is no such method.")
	}
	s.render(w, r, http.StatusOK, "password_confirm", s.deletePage(r, a, t))
	return nil
}

func (s *Server) pageDelete(w http.ResponseWriter, r *http.Request, a *twostep.Auth) error {
	t := twostep.MethodType(r.PathValue("type"))
	if !t.Valid() {
		return twostep.Errorf(twostep.ENotFound, "There is no such method.")
	}
	if err := s.svc.DeleteMethod(r.Context(), a, t, r.PostFormValue("password"), clientOf(r)); err != nil {
		s.formError(w, r, "password_confirm", s.deletePage(r, a, t), err)
		return nil
	}
	s.queued()
	http.Redirect(w, r, "/account?done=deleted", http.StatusSeeOther)
	return nil
}

// recoveryLeft counts the person's unused recovery codes: getting codes
// while some are left replaces them, and the pages say so only then.
func (s *Server) recoveryLeft(r *http.Request, a *twostep.Auth) (int, error) {
	v, err := s.svc.Account(r.Context(), a)
	if err != nil {
		return 0, err
	}
	return v.TwoStep.RecoveryCodesLeft, nil
}

func (s *Server) recoveryPage(r *http.Request, a *twostep.Auth, replacing bool) pageData {
	key := "recovery.first"
	if replacing {
		key = "recovery"
	}
	d := s.page(r, a, key+".title")
	d.D = confirmView{Action: "/account/recovery-codes", Explain: d.T(key + ".explain"), Button: d.T(key + ".title")}
	return d
}

func (s *Server) pageRecoveryForm(w http.ResponseWriter, r *http.Request, a *twostep.Auth) error {
	left, err := s.recoveryLeft(r, a)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "password_confirm", s.recoveryPage(r, a, left > 0))
	return nil
}

// recoveryView shows recovery codes once, with Copy, Download and Print (with
// JavaScript) and an "I saved these" step before Done.
type recoveryView struct {
	Codes     []string
	Replacing bool   // earlier codes stopped working
	Next      string // where Done leads
}

func (s *Server) pageRecoveryCodes(w http.ResponseWriter, r *http.Request, a *twostep.Auth) error {
	left, err := s.recoveryLeft(r, a)
	if err != nil {
		return err
	}
	codes, err := s.svc.GenerateRecoveryCodes(r.Context(), a, r.PostFormValue("password"), clientOf(r))
	if err != nil {
		s.formError(w, r, "password_confirm", s.recoveryPage(r, a, left > 0), err)
		return nil
	}
	s.queued()
	d := s.page(r, a, "recovery.shown")
	d.D = recoveryView{Codes: codes, Replacing: left > 0, Next: "/account"}
	s.render(w, r, http.StatusOK, "recovery_codes", d)
	return nil
}

func (s *Server) pagePasswordForm(w http.ResponseWriter, r *http.Request, a *twostep.Auth) error {
	s.render(w, r, http.StatusOK, "password_change", s.page(r, a, "password.title"))
	return nil
}

func (s *Server) pagePassword(w http.ResponseWriter, r *http.Request, a *twostep.Auth) error {
	err := s.svc.ChangePassword(r.Context(), a, r.PostFormValue("current_password"), r.PostFormValue("new_password"), clientOf(r))
	if err != nil {
		s.formError(w, r, "password_change", s.page(r, a, "password.title"), err)
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
	d := s.page(r, a, "outbox.title")
	d.D = msgs
	s.render(w, r, http.StatusOK, "dev_outbox", d)
	return nil
}
