package web

import (
	"net/http"
	"slices"
	"strconv"

	"github.com/providerportal/portal/internal/twostep"
)

// Passkey pages (B19). The browser's passkey dialog needs JavaScript
// (static/passkey.js); its answer comes back in a plain form field, so the
// server renders every outcome and error like any other page.

// addPasskeyView is one step of adding a passkey: start → create → done.
type addPasskeyView struct {
	Step          string // "start", "create" or "done"
	NeedsPassword bool
	Options       string   // create: {"publicKey": …} for the dialog
	Name          string   // done
	Codes         []string // done: the first recovery codes, when this is the first method
}

func (s *Server) addPasskeyPage(r *http.Request, a *twostep.Auth, v addPasskeyView) pageData {
	d := pageData{Lang: pickLanguage(r)}
	d = s.page(r, a, "add.title", d.Method(twostep.MethodPasskey))
	d.D = v
	return d
}

// pageAddPasskey shows the first step: a name (and the password when the
// sign-in is not recent, B16).
func (s *Server) pageAddPasskey(w http.ResponseWriter, r *http.Request, a *twostep.Auth) error {
	s.render(w, r, http.StatusOK, "add_passkey", s.addPasskeyPage(r, a, addPasskeyView{Step: "start", NeedsPassword: s.svc.NeedsReauth(a)}))
	return nil
}

// pageAddPasskeyPost starts the registration and shows the step whose button
// opens the browser's dialog.
func (s *Server) pageAddPasskeyPost(w http.ResponseWriter, r *http.Request, a *twostep.Auth) error {
	name := r.PostFormValue("name")
	opts, err := s.svc.StartPasskey(r.Context(), a, name, r.PostFormValue("password"), clientOf(r))
	if err != nil {
		d := s.addPasskeyPage(r, a, addPasskeyView{Step: "start", NeedsPassword: s.svc.NeedsReauth(a)})
		d.Form = map[string]string{"name": name}
		s.formError(w, r, "add_passkey", d, err)
		return nil
	}
	s.render(w, r, http.StatusOK, "add_passkey", s.addPasskeyPage(r, a, addPasskeyView{Step: "create", Options: string(opts)}))
	return nil
}

// pageFinishPasskey takes the browser's answer from the form.
func (s *Server) pageFinishPasskey(w http.ResponseWriter, r *http.Request, a *twostep.Auth) error {
	pv, err := s.svc.FinishPasskey(r.Context(), a, []byte(r.PostFormValue("credential")), clientOf(r))
	if err != nil {
		s.formError(w, r, "add_passkey", s.addPasskeyPage(r, a, addPasskeyView{Step: "start", NeedsPassword: s.svc.NeedsReauth(a)}), untied(err))
		return nil
	}
	s.queued()
	s.setSessionCookie(w, a.Token)
	v := addPasskeyView{Step: "done", Name: pv.Name}
	// As after any first method: recovery codes now, not as a chore for later.
	if v.Codes, err = s.svc.FirstRecoveryCodes(r.Context(), a, clientOf(r)); err != nil {
		s.log.InfoContext(r.Context(), "no first recovery codes", "err", err, "request_id", requestID(r))
		v.Codes = nil
	}
	s.render(w, r, http.StatusOK, "add_passkey", s.addPasskeyPage(r, a, v))
	return nil
}

// untied shows a domain error at the top of the page rather than by a field
// the page does not have.
func untied(err error) error {
	if de, ok := err.(*twostep.Error); ok && de.Field != "" {
		out := *de
		out.Field = ""
		return &out
	}
	return err
}

func (s *Server) deletePasskeyPage(r *http.Request, a *twostep.Auth) (pageData, int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return pageData{}, 0, twostep.Errorf(twostep.ENotFound, "There is no such passkey.")
	}
	v, err := s.svc.Account(r.Context(), a)
	if err != nil {
		return pageData{}, 0, err
	}
	for _, m := range v.TwoStep.Methods {
		if m.Type == twostep.MethodPasskey && m.PasskeyID == id {
			d := pageData{Lang: pickLanguage(r)}
			d = s.page(r, a, "passkey.delete", m.Label)
			d.D = confirmView{Action: "/account/methods/passkey/" + strconv.FormatInt(id, 10) + "/delete", Explain: d.T("passkey.delete.explain", m.Label),
				Button: d.T("delete.button"), Danger: true}
			return d, id, nil
		}
	}
	return pageData{}, 0, twostep.Errorf(twostep.ENotFound, "There is no such passkey.")
}

func (s *Server) pageDeletePasskeyForm(w http.ResponseWriter, r *http.Request, a *twostep.Auth) error {
	d, _, err := s.deletePasskeyPage(r, a)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "password_confirm", d)
	return nil
}

func (s *Server) pageDeletePasskey(w http.ResponseWriter, r *http.Request, a *twostep.Auth) error {
	d, id, err := s.deletePasskeyPage(r, a)
	if err != nil {
		return err
	}
	if err := s.svc.DeletePasskey(r.Context(), a, id, r.PostFormValue("password"), clientOf(r)); err != nil {
		s.formError(w, r, "password_confirm", d, err)
		return nil
	}
	s.queued()
	http.Redirect(w, r, "/account?done=deleted", http.StatusSeeOther)
	return nil
}

// pagePasskeySignIn signs in with a passkey alone from the sign-in page.
func (s *Server) pagePasskeySignIn(w http.ResponseWriter, r *http.Request) {
	res, err := s.passkeySignIn(w, r, []byte(r.PostFormValue("credential")))
	if err != nil {
		if de, ok := err.(*twostep.Error); ok {
			out := *de
			out.Field = "passkey" // shown by the passkey button
			err = &out
		}
		s.formError(w, r, "login", s.page(r, nil, "login.title"), err)
		return
	}
	s.redirectForState(w, r, res.Auth)
}

// passkeyRows is what My Account shows of passkeys: one line each, the + while
// fewer than the most are kept, or why passkeys are not offered here.
type passkeyRows struct {
	Passkeys         []twostep.MethodView
	PasskeyAdd       bool
	PasskeyCanDelete bool
	PasskeysWhy      string
}

func (s *Server) passkeyRowsOf(r *http.Request, a *twostep.Auth, ts twostep.TwoStepView) passkeyRows {
	var out passkeyRows
	for _, m := range ts.Methods {
		if m.Type == twostep.MethodPasskey {
			out.Passkeys = append(out.Passkeys, m)
		}
	}
	out.PasskeyAdd = slices.Contains(ts.AllowedMethods, twostep.MethodPasskey) && len(out.Passkeys) < twostep.MaxPasskeys
	out.PasskeyCanDelete = !ts.Required || len(ts.Methods) > 1
	if ts.Available && !ts.PasskeysOffered && a.Center.Allows(twostep.MethodPasskey) {
		out.PasskeysWhy = pageData{Lang: pickLanguage(r)}.T("passkey.unavailable", s.svc.Settings().PublicURL)
	}
	return out
}
