package web

import (
	"encoding/base64"
	"html/template"
	"net/http"
	"time"

	"github.com/providerportal/portal/internal/twostep"
)

// addView is one step of an add-method wizard: start → code → done.
type addView struct {
	Type          twostep.MethodType
	Step          string // "start", "code" or "done"
	NeedsPassword bool
	TOTP          *totpView
	Status        *twostep.CodeStatus
	ResendIn      time.Duration
	Label         string
	Next          string // done: where "Done" leads (My Account, or on to an app)
}

type totpView struct {
	QR      template.URL
	Grouped string
	Account string
}

func totpViewOf(setup *twostep.TOTPSetup) *totpView {
	return &totpView{QR: template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(setup.QRPNG)),
		Grouped: setup.GroupedSecret(), Account: setup.AccountTag}
}

func methodFromPath(r *http.Request) (twostep.MethodType, error) {
	t := twostep.MethodType(r.PathValue("type"))
	if !t.Valid() {
		return "", twostep.Errorf(twostep.ENotFound, "There is no such method.")
	}
	return t, nil
}

func (s *Server) addPage(r *http.Request, a *twostep.Auth, t twostep.MethodType, v addView) pageData {
	v.Type = t
	d := pageData{Lang: pickLanguage(r)}
	d = s.page(r, a, "add.title", d.Method(t))
	d.D = v
	return d
}

// pageAddMethod shows the first step, or the code step when a code was sent.
func (s *Server) pageAddMethod(w http.ResponseWriter, r *http.Request, a *twostep.Auth) error {
	t, err := methodFromPath(r)
	if err != nil {
		return err
	}
	v := addView{Step: "start", NeedsPassword: s.svc.NeedsReauth(a)}
	if t.Sends() && r.URL.Query().Get("step") == "code" {
		st, err := s.svc.CodeStatus(r.Context(), a, twostep.PurposeSetup, t)
		if err != nil {
			return err
		}
		if st != nil && st.Usable {
			v = addView{Step: "code", Status: st, ResendIn: st.ResendIn}
		}
	}
	s.render(w, r, http.StatusOK, "add_method", s.addPage(r, a, t, v))
	return nil
}

func (s *Server) pageAddMethodPost(w http.ResponseWriter, r *http.Request, a *twostep.Auth) error {
	t, err := methodFromPath(r)
	if err != nil {
		return err
	}
	password := r.PostFormValue("password")
	form := map[string]string{}
	switch t {
	case twostep.MethodTOTP:
		setup, err := s.svc.StartTOTP(r.Context(), a, password, clientOf(r))
		if err != nil {
			s.formError(w, r, "add_method", s.addPage(r, a, t, addView{Step: "start", NeedsPassword: s.svc.NeedsReauth(a)}), err)
			return nil
		}
		s.render(w, r, http.StatusOK, "add_method", s.addPage(r, a, t, addView{Step: "code", TOTP: totpViewOf(setup)}))
		return nil
	case twostep.MethodPhone:
		form["phone"], form["confirm_phone"] = r.PostFormValue("phone"), r.PostFormValue("confirm_phone")
		_, err = s.svc.StartPhone(r.Context(), a, form["phone"], form["confirm_phone"], password, clientOf(r))
	default:
		form["email"], form["confirm_email"] = r.PostFormValue("email"), r.PostFormValue("confirm_email")
		_, err = s.svc.StartEmail(r.Context(), a, form["email"], form["confirm_email"], password, clientOf(r))
	}
	if err != nil {
		d := s.addPage(r, a, t, addView{Step: "start", NeedsPassword: s.svc.NeedsReauth(a)})
		d.Form = form
		s.formError(w, r, "add_method", d, err)
		return nil
	}
	s.queued()
	http.Redirect(w, r, "/account/methods/"+string(t)+"/add?step=code", http.StatusSeeOther)
	return nil
}

func (s *Server) pageResendSetup(w http.ResponseWriter, r *http.Request, a *twostep.Auth) error {
	t, err := methodFromPath(r)
	if err != nil {
		return err
	}
	if _, err := s.svc.ResendSetupCode(r.Context(), a, t, clientOf(r)); err != nil {
		st, serr := s.svc.CodeStatus(r.Context(), a, twostep.PurposeSetup, t)
		if serr != nil {
			return serr
		}
		v := addView{Step: "start", NeedsPassword: s.svc.NeedsReauth(a)}
		if st != nil {
			v = addView{Step: "code", Status: st, ResendIn: st.ResendIn}
		}
		s.formError(w, r, "add_method", s.addPage(r, a, t, v), err)
		return nil
	}
	s.queued()
	http.Redirect(w, r, "/account/methods/"+string(t)+"/add?step=code", http.StatusSeeOther)
	return nil
}

func (s *Server) pageVerifySetup(w http.ResponseWriter, r *http.Request, a *twostep.Auth) error {
	t, err := methodFromPath(r)
	if err != nil {
		return err
	}
	m, err := s.svc.VerifySetup(r.Context(), a, t, r.PostFormValue("code"), clientOf(r))
	if err != nil {
		v := addView{Step: "code"}
		if t == twostep.MethodTOTP {
			setup, perr := s.svc.PendingTOTP(r.Context(), a)
			if perr != nil {
				v = addView{Step: "start", NeedsPassword: s.svc.NeedsReauth(a)}
			} else {
				v.TOTP = totpViewOf(setup)
			}
		} else if v.Status, _ = s.svc.CodeStatus(r.Context(), a, twostep.PurposeSetup, t); v.Status != nil {
			v.ResendIn = v.Status.ResendIn
		}
		s.formError(w, r, "add_method", s.addPage(r, a, t, v), err)
		return nil
	}
	s.queued()
	s.setSessionCookie(w, a.Token)
	label := m.Label
	if t == twostep.MethodPhone {
		label = displayPhone(label)
	}
	s.render(w, r, http.StatusOK, "add_method", s.addPage(r, a, t, addView{Step: "done", Label: label, Next: s.signedInPath(r)}))
	return nil
}
