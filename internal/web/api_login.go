package web

import (
	"encoding/json"
	"net/http"

	"github.com/providerportal/portal/internal/twostep"
)

type methodJSON struct {
	Type       string  `json:"type"`
	Label      string  `json:"label"`
	VerifiedAt *string `json:"verified_at,omitempty"`
}

type loginStateJSON struct {
	State           string       `json:"state"`
	Methods         []methodJSON `json:"methods,omitempty"`
	Selected        *string      `json:"selected,omitempty"`
	GraceLoginsLeft *int         `json:"grace_logins_left,omitempty"`
}

func loginStateOf(res *twostep.LoginResult) loginStateJSON {
	out := loginStateJSON{State: string(res.State)}
	switch res.State {
	case twostep.StateTwoStep:
		out.Methods = []methodJSON{}
		for _, m := range res.Methods {
			out.Methods = append(out.Methods, methodJSON{Type: string(m.Type), Label: m.Label})
		}
		if res.Selected != "" {
			sel := string(res.Selected)
			out.Selected = &sel
		}
	case twostep.StateSetupSuggested:
		n := res.GraceLeft
		out.GraceLoginsLeft = &n
	}
	return out
}

// loginStateJSON needs "selected": null for two_step; encode that explicitly.
func (l loginStateJSON) body() any {
	if l.State != string(twostep.StateTwoStep) {
		return l
	}
	return struct {
		State    string       `json:"state"`
		Methods  []methodJSON `json:"methods"`
		Selected *string      `json:"selected"`
	}{l.State, l.Methods, l.Selected}
}

func (s *Server) apiLogin(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
	if err := decodeJSON(r, &in, false); err != nil {
		s.fail(w, r, err)
		return
	}
	res, err := s.svc.Login(r.Context(), in.Username, in.Password, s.sessionToken(r), clientOf(r))
	if err != nil {
		s.metrics.signIn("password", twostep.ErrorCode(err))
		s.fail(w, r, err)
		return
	}
	s.metrics.signIn("password", string(res.State))
	s.setSessionCookie(w, res.Token)
	writeJSON(w, http.StatusOK, loginStateOf(res).body())
}

func (s *Server) apiSendCode(w http.ResponseWriter, r *http.Request, a *twostep.Auth) error {
	var in struct {
		Method string `json:"method"`
	}
	if err := decodeJSON(r, &in, false); err != nil {
		return err
	}
	if in.Method == string(twostep.MethodPasskey) {
		return s.apiBeginPasskeyStep(w, r, a)
	}
	sent, err := s.svc.SendLoginCode(r.Context(), a, twostep.MethodType(in.Method), clientOf(r))
	if err != nil {
		return err
	}
	s.queued()
	writeJSON(w, http.StatusOK, codeSentJSON(sent))
	return nil
}

func codeSentJSON(c *twostep.CodeSent) map[string]any {
	return map[string]any{"resend_after_seconds": int(c.ResendAfter.Seconds()), "expires_in_seconds": int(c.ExpiresIn.Seconds()), "to": c.To}
}

func (s *Server) apiVerify(w http.ResponseWriter, r *http.Request, a *twostep.Auth) error {
	var in struct {
		Method       string          `json:"method"`
		Code         string          `json:"code"`
		Credential   json.RawMessage `json:"credential"` // passkey: the AuthenticationResponseJSON
		TrustBrowser bool            `json:"trust_browser"`
	}
	if err := decodeJSON(r, &in, false); err != nil {
		return err
	}
	if in.Method == string(twostep.MethodPasskey) {
		in.Code = string(in.Credential)
	}
	if err := s.svc.VerifyLogin(r.Context(), a, twostep.MethodType(in.Method), in.Code, clientOf(r)); err != nil {
		s.metrics.signIn("second_step", twostep.ErrorCode(err))
		return err
	}
	s.metrics.signIn("second_step", string(a.Session.State))
	s.setSessionCookie(w, a.Token)
	if in.TrustBrowser && s.svc.TrustedBrowserDays(a) > 0 {
		s.trustBrowser(w, r, a)
	}
	writeJSON(w, http.StatusOK, map[string]string{"state": string(a.Session.State)}) // choose_password for a password reset
	return nil
}

func (s *Server) apiDismissNotice(w http.ResponseWriter, r *http.Request, a *twostep.Auth) error {
	if err := s.svc.DismissNotice(r.Context(), a); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"state": string(twostep.StateSignedIn)})
	return nil
}

func (s *Server) apiLogout(w http.ResponseWriter, r *http.Request) {
	if a, err := s.svc.Authenticate(r.Context(), s.sessionToken(r)); err == nil {
		if err := s.svc.Logout(r.Context(), a, clientOf(r)); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	s.clearSessionCookie(w)
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) apiSession(w http.ResponseWriter, r *http.Request, a *twostep.Auth) error {
	res, err := s.svc.LoginState(r.Context(), a)
	if err != nil {
		return err
	}
	out := map[string]any{"state": string(a.Session.State), "username": a.User.Username, "role": string(a.User.Role), "center": centerName(a)}
	st := loginStateOf(res)
	if st.Methods != nil {
		out["methods"], out["selected"] = st.Methods, st.Selected
	}
	if st.GraceLoginsLeft != nil {
		out["grace_logins_left"] = *st.GraceLoginsLeft
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func centerName(a *twostep.Auth) any {
	if a.Center == nil || a.Center.IsStaffPolicy() {
		return nil
	}
	return a.Center.Name
}
