package web

import (
	"encoding/base64"
	"net/http"
	"time"

	"github.com/providerportal/portal/internal/twostep"
)

func rfc3339(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format(time.RFC3339)
	return &s
}

func (s *Server) apiAccount(w http.ResponseWriter, r *http.Request, a *twostep.Auth) error {
	v, err := s.svc.Account(r.Context(), a)
	if err != nil {
		return err
	}
	methods := []any{}
	for _, m := range v.TwoStep.Methods {
		methods = append(methods, accountMethodJSON(m))
	}
	allowed := []string{}
	for _, t := range v.TwoStep.AllowedMethods {
		allowed = append(allowed, string(t))
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"username": v.Username, "email": v.Email, "center": centerName(a), "role": string(v.Role),
		"state": string(a.Session.State),
		"two_step": map[string]any{
			"available": v.TwoStep.Available, "on": v.TwoStep.On, "required": v.TwoStep.Required,
			"grace_logins_left": v.TwoStep.GraceLoginsLeft, "methods": methods, "allowed_methods": allowed,
			"recovery_codes_left": v.TwoStep.RecoveryCodesLeft, "passkeys": passkeysJSON(v.TwoStep),
		},
	})
	return nil
}

type passwordBody struct {
	Password string `json:"password"`
}

func (s *Server) apiTwoStepOn(w http.ResponseWriter, r *http.Request, a *twostep.Auth) error {
	if err := decodeJSON(r, &struct{}{}, true); err != nil {
		return err
	}
	if err := s.svc.TurnOn(r.Context(), a, clientOf(r)); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]bool{"on": true})
	return nil
}

func (s *Server) apiTwoStepOff(w http.ResponseWriter, r *http.Request, a *twostep.Auth) error {
	var in passwordBody
	if err := decodeJSON(r, &in, false); err != nil {
		return err
	}
	if err := s.svc.TurnOff(r.Context(), a, in.Password, clientOf(r)); err != nil {
		return err
	}
	s.queued()
	writeJSON(w, http.StatusOK, map[string]bool{"on": false})
	return nil
}

func (s *Server) apiStartTOTP(w http.ResponseWriter, r *http.Request, a *twostep.Auth) error {
	var in passwordBody
	if err := decodeJSON(r, &in, true); err != nil {
		return err
	}
	setup, err := s.svc.StartTOTP(r.Context(), a, in.Password, clientOf(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"secret": setup.Secret, "otpauth_uri": setup.URI,
		"qr_png_base64": base64.StdEncoding.EncodeToString(setup.QRPNG)})
	return nil
}

func (s *Server) apiStartContact(t twostep.MethodType) authedHandler {
	return func(w http.ResponseWriter, r *http.Request, a *twostep.Auth) error {
		var in struct {
			Phone        string `json:"phone"`
			ConfirmPhone string `json:"confirm_phone"`
			Email        string `json:"email"`
			ConfirmEmail string `json:"confirm_email"`
			Password     string `json:"password"`
		}
		if err := decodeJSON(r, &in, false); err != nil {
			return err
		}
		var sent *twostep.CodeSent
		var err error
		if t == twostep.MethodPhone {
			if in.Email != "" || in.ConfirmEmail != "" {
				return twostep.Errorf(twostep.EInvalid, "Send phone and confirm_phone.")
			}
			sent, err = s.svc.StartPhone(r.Context(), a, in.Phone, in.ConfirmPhone, in.Password, clientOf(r))
		} else {
			if in.Phone != "" || in.ConfirmPhone != "" {
				return twostep.Errorf(twostep.EInvalid, "Send email and confirm_email.")
			}
			sent, err = s.svc.StartEmail(r.Context(), a, in.Email, in.ConfirmEmail, in.Password, clientOf(r))
		}
		if err != nil {
			return err
		}
		s.queued()
		writeJSON(w, http.StatusAccepted, codeSentJSON(sent))
		return nil
	}
}

func (s *Server) apiResendSetup(t twostep.MethodType) authedHandler {
	return func(w http.ResponseWriter, r *http.Request, a *twostep.Auth) error {
		if err := decodeJSON(r, &struct{}{}, true); err != nil {
			return err
		}
		sent, err := s.svc.ResendSetupCode(r.Context(), a, t, clientOf(r))
		if err != nil {
			return err
		}
		s.queued()
		writeJSON(w, http.StatusAccepted, codeSentJSON(sent))
		return nil
	}
}

func (s *Server) apiVerifySetup(t twostep.MethodType) authedHandler {
	return func(w http.ResponseWriter, r *http.Request, a *twostep.Auth) error {
		var in struct {
			Code string `json:"code"`
		}
		if err := decodeJSON(r, &in, false); err != nil {
			return err
		}
		m, err := s.svc.VerifySetup(r.Context(), a, t, in.Code, clientOf(r))
		if err != nil {
			return err
		}
		s.queued()
		s.setSessionCookie(w, a.Token)
		writeJSON(w, http.StatusCreated, methodJSON{Type: string(m.Type), Label: m.Label, VerifiedAt: rfc3339(m.VerifiedAt)})
		return nil
	}
}

func (s *Server) apiDeleteMethod(w http.ResponseWriter, r *http.Request, a *twostep.Auth) error {
	var in passwordBody
	if err := decodeJSON(r, &in, false); err != nil {
		return err
	}
	t := twostep.MethodType(r.PathValue("type"))
	if !t.Valid() {
		return twostep.Errorf(twostep.ENoSuchMethod, "There is no method of that type.")
	}
	if err := s.svc.DeleteMethod(r.Context(), a, t, in.Password, clientOf(r)); err != nil {
		return err
	}
	s.queued()
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) apiRecoveryCodes(w http.ResponseWriter, r *http.Request, a *twostep.Auth) error {
	var in passwordBody
	if err := decodeJSON(r, &in, false); err != nil {
		return err
	}
	codes, err := s.svc.GenerateRecoveryCodes(r.Context(), a, in.Password, clientOf(r))
	if err != nil {
		return err
	}
	s.queued()
	writeJSON(w, http.StatusOK, map[string][]string{"codes": codes})
	return nil
}

func (s *Server) apiPassword(w http.ResponseWriter, r *http.Request, a *twostep.Auth) error {
	var in struct {
		Current string `json:"current_password"`
		New     string `json:"new_password"`
	}
	if err := decodeJSON(r, &in, false); err != nil {
		return err
	}
	if err := s.svc.ChangePassword(r.Context(), a, in.Current, in.New, clientOf(r)); err != nil {
		return err
	}
	s.queued()
	s.setSessionCookie(w, a.Token)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) apiSessions(w http.ResponseWriter, r *http.Request, a *twostep.Auth) error {
	list, err := s.svc.Sessions(r.Context(), a)
	if err != nil {
		return err
	}
	out := []map[string]any{}
	for _, ss := range list {
		out = append(out, map[string]any{"id": ss.ID, "created_at": rfc3339(ss.CreatedAt), "last_seen_at": rfc3339(ss.LastSeenAt),
			"ip": ss.IP, "user_agent": ss.UserAgent, "current": ss.Current, "kind": "session"})
	}
	trusted, err := s.svc.TrustedBrowsers(r.Context(), a, clientOf(r))
	if err != nil {
		return err
	}
	for _, b := range trusted { // B23: removable with DELETE /api/v1/account/trusted-browsers/{id}
		out = append(out, map[string]any{"id": b.ID, "created_at": rfc3339(b.CreatedAt), "last_seen_at": rfc3339(b.LastUsedAt),
			"ip": b.IP, "user_agent": b.UserAgent, "current": b.Current, "kind": "trusted_browser", "trusted_until": rfc3339(b.ExpiresAt)})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) apiRevokeOthers(w http.ResponseWriter, r *http.Request, a *twostep.Auth) error {
	if err := s.svc.RevokeOtherSessions(r.Context(), a, clientOf(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
