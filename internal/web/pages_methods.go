package web

import (
	"encoding/base64"
	"fmt"
	"html/template"
	"net/http"
	"strings"
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
	// Codes are the first recovery codes, shown on the Done page of the
	// first verified method (B1); nil when the person already has some.
	Codes []string
}

type totpView struct {
	QR      template.URL
	URI     template.URL // otpauth://…, for "Open in authenticator app" on the phone itself
	Key     string       // the key as one word, for the Copy button
	Grouped string       // the key in groups of four, for reading and typing
	Account string
}

// totpViewOf shows an authenticator app's setup. The otpauth: link is built by
// the domain from the new key alone, so it is marked safe for the href
// (html/template would otherwise filter the unknown scheme out).
func totpViewOf(setup *twostep.TOTPSetup) *totpView {
	return &totpView{QR: template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(setup.QRPNG)),
		URI: template.URL(setup.URI), Key: setup.Secret, Grouped: setup.GroupedSecret(), Account: setup.AccountTag}
}

// codeStatus reads where a setup code went, the phone number written for
// people (during setup the whole number is shown, to catch typos).
func (s *Server) codeStatus(r *http.Request, a *twostep.Auth, t twostep.MethodType) (*twostep.CodeStatus, error) {
	st, err := s.svc.CodeStatus(r.Context(), a, twostep.PurposeSetup, t)
	if st != nil && t == twostep.MethodPhone {
		st.To = displayPhone(st.To)
	}
	return st, err
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
	d = s.page(r, a, "add.title", d.MethodLower(t))
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
		st, err := s.codeStatus(r, a, t)
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
		st, serr := s.codeStatus(r, a, t)
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
		} else if v.Status, _ = s.codeStatus(r, a, t); v.Status != nil {
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
	v := addView{Step: "done", Label: label, Next: s.signedInPath(r)}
	// The first method: offer recovery codes now, not as a chore for later.
	// Without them (a sign-in too old) the person gets them from My Account.
	if v.Codes, err = s.svc.FirstRecoveryCodes(r.Context(), a, clientOf(r)); err != nil {
		s.log.InfoContext(r.Context(), "no first recovery codes", "err", err, "request_id", requestID(r))
		v.Codes = nil
	}
	s.render(w, r, http.StatusOK, "add_method", s.addPage(r, a, t, v))
	return nil
}

// MethodLower names a method type inside a sentence: "Your mobile phone
// number is verified", not "Your Mobile phone number…".
func (p pageData) MethodLower(t twostep.MethodType) string { return p.T("method.lower." + string(t)) }

// codesOf gives the "recoverycodes" partial the page, the codes and where Done leads.
func codesOf(p pageData, codes []string, next string) codesView {
	return codesView{P: p, Codes: codes, Next: next}
}

// codesView is what the "recoverycodes" partial gets: the page, the codes and
// where Done leads.
type codesView struct {
	P     pageData
	Codes []string
	Next  string
}

// wbr lets a long email address or name wrap at sensible points: after the @
// and after each dot (the text itself is escaped).
func wbr(s string) template.HTML {
	var b strings.Builder
	for _, r := range s {
		b.WriteString(template.HTMLEscapeString(string(r)))
		if r == '@' || r == '.' {
			b.WriteString("<wbr>")
		}
	}
	return template.HTML(b.String())
}

// TH is T for a sentence that holds markup made by the pages themselves (such
// as wbr's line-break hints): the catalogue's words are escaped, and so is
// every argument that is not already template.HTML.
func (p pageData) TH(key string, args ...any) template.HTML {
	format := template.HTMLEscapeString(p.T(key))
	for i, a := range args {
		if _, ok := a.(template.HTML); !ok {
			args[i] = template.HTMLEscapeString(fmt.Sprint(a))
		}
	}
	return template.HTML(fmt.Sprintf(format, args...))
}
