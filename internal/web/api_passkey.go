package web

import (
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/providerportal/portal/internal/twostep"
)

// Passkeys in the JSON API (CONTRACT.md "Passkeys"): options go out and the
// browser's answers come in as the WebAuthn Level 3 toJSON() forms.

// passkeyCookie holds the token of a sign-in with a passkey between its two calls.
func (s *Server) passkeyCookie() string {
	if s.opts.Secure {
		return "__Host-portal_passkey"
	}
	return "portal_passkey"
}

func (s *Server) setPasskeyCookie(w http.ResponseWriter, token string) {
	http.SetCookie(w, &http.Cookie{Name: s.passkeyCookie(), Value: token, Path: "/", HttpOnly: true, Secure: s.opts.Secure,
		SameSite: http.SameSiteStrictMode, MaxAge: int(s.svc.Settings().PasskeyTimeout / time.Second)})
}

func (s *Server) takePasskeyCookie(w http.ResponseWriter, r *http.Request) string {
	c, err := r.Cookie(s.passkeyCookie())
	if err != nil {
		return ""
	}
	http.SetCookie(w, &http.Cookie{Name: s.passkeyCookie(), Value: "", Path: "/", HttpOnly: true, Secure: s.opts.Secure,
		SameSite: http.SameSiteStrictMode, MaxAge: -1})
	return c.Value
}

// readBody is the raw request body (a browser's answer, parsed by the domain).
func readBody(r *http.Request) ([]byte, error) {
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err // a body over 64 KiB: answered as such by fail
	}
	return raw, nil
}

func writeRaw(w http.ResponseWriter, status int, raw []byte) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(raw)
}

func (s *Server) apiStartPasskey(w http.ResponseWriter, r *http.Request, a *twostep.Auth) error {
	var in struct {
		Name     string `json:"name"`
		Password string `json:"password"`
	}
	if err := decodeJSON(r, &in, true); err != nil {
		return err
	}
	opts, err := s.svc.StartPasskey(r.Context(), a, in.Name, in.Password, clientOf(r))
	if err != nil {
		return err
	}
	writeRaw(w, http.StatusOK, opts)
	return nil
}

func (s *Server) apiFinishPasskey(w http.ResponseWriter, r *http.Request, a *twostep.Auth) error {
	raw, err := readBody(r)
	if err != nil {
		return err
	}
	pv, err := s.svc.FinishPasskey(r.Context(), a, raw, clientOf(r))
	if twostep.ErrorCode(err) == twostep.EInvalidPasskey { // a refused registration is a bad request, not a failed sign-in
		de, _ := s.asDomainError(r, err)
		s.metrics.errors.WithLabelValues(de.Code).Inc()
		writeJSON(w, http.StatusBadRequest, map[string]apiError{"error": toAPIError(de)})
		return nil
	}
	if err != nil {
		return err
	}
	s.queued()
	s.setSessionCookie(w, a.Token)
	writeJSON(w, http.StatusCreated, map[string]string{"type": string(twostep.MethodPasskey), "id": strconv.FormatInt(pv.ID, 10), "label": pv.Name})
	return nil
}

func (s *Server) apiDeletePasskey(w http.ResponseWriter, r *http.Request, a *twostep.Auth) error {
	var in passwordBody
	if err := decodeJSON(r, &in, false); err != nil {
		return err
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return twostep.Errorf(twostep.ENoSuchMethod, "You have no such passkey.")
	}
	if err := s.svc.DeletePasskey(r.Context(), a, id, in.Password, clientOf(r)); err != nil {
		return err
	}
	s.queued()
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) apiBeginPasskeySignIn(w http.ResponseWriter, r *http.Request) {
	if err := decodeJSON(r, &struct{}{}, true); err != nil {
		s.fail(w, r, err)
		return
	}
	opts, token, err := s.svc.BeginPasskeySignIn(r.Context(), clientOf(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.setPasskeyCookie(w, token)
	writeRaw(w, http.StatusOK, opts)
}

func (s *Server) apiPasskeySignIn(w http.ResponseWriter, r *http.Request) {
	raw, err := readBody(r)
	if err == nil {
		var res *twostep.LoginResult
		res, err = s.passkeySignIn(w, r, raw)
		if err == nil {
			writeJSON(w, http.StatusOK, loginStateOf(res).body())
			return
		}
	}
	s.fail(w, r, err)
}

// passkeySignIn signs in with a passkey alone, for the API and the sign-in page.
func (s *Server) passkeySignIn(w http.ResponseWriter, r *http.Request, answer []byte) (*twostep.LoginResult, error) {
	res, err := s.svc.PasskeySignIn(r.Context(), s.takePasskeyCookie(w, r), answer, s.sessionToken(r), clientOf(r))
	if err != nil {
		s.metrics.signIn("passkey", twostep.ErrorCode(err))
		return nil, err
	}
	s.metrics.signIn("passkey", string(res.State))
	s.setSessionCookie(w, res.Token)
	return res, nil
}

// apiBeginPasskeyStep answers send-code {"method":"passkey"}: the request
// options for the person's passkeys.
func (s *Server) apiBeginPasskeyStep(w http.ResponseWriter, r *http.Request, a *twostep.Auth) error {
	opts, err := s.svc.BeginPasskeyStep(r.Context(), a)
	if err != nil {
		return err
	}
	writeRaw(w, http.StatusOK, opts)
	return nil
}

// passkeyMethodJSON is a passkey in My Account's list of methods.
type passkeyMethodJSON struct {
	Type       string  `json:"type"`
	ID         string  `json:"id"`
	Label      string  `json:"label"`
	VerifiedAt *string `json:"verified_at"`
	LastUsedAt *string `json:"last_used_at"`
}

// accountMethodJSON is one entry of My Account's methods: passkeys carry their
// id and when they were last used.
func accountMethodJSON(m twostep.MethodView) any {
	if m.Type == twostep.MethodPasskey {
		return passkeyMethodJSON{Type: string(m.Type), ID: strconv.FormatInt(m.PasskeyID, 10), Label: m.Label, VerifiedAt: rfc3339(m.VerifiedAt),
			LastUsedAt: rfc3339(m.LastUsedAt)}
	}
	return methodJSON{Type: string(m.Type), Label: m.Label, VerifiedAt: rfc3339(m.VerifiedAt)}
}

// passkeysJSON says whether passkeys are offered here and, if not, why.
func passkeysJSON(v twostep.TwoStepView) map[string]any {
	out := map[string]any{"offered": v.PasskeysOffered}
	if !v.PasskeysOffered {
		out["reason"] = v.PasskeysWhy
	}
	return out
}
