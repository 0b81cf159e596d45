package web

import (
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"strconv"

	"github.com/providerportal/portal/internal/twostep"
)

var errInternal = errors.New("internal error")

// statusOf maps domain error codes to HTTP statuses, in one place.
var statusOf = map[string]int{
	twostep.EInvalid:               http.StatusBadRequest,
	twostep.EInvalidCredentials:    http.StatusUnauthorized,
	twostep.ETooManyAttempts:       http.StatusTooManyRequests,
	twostep.EWeakPassword:          http.StatusBadRequest,
	twostep.EUnauthenticated:       http.StatusUnauthorized,
	twostep.EForbidden:             http.StatusForbidden,
	twostep.ENotFound:              http.StatusNotFound,
	twostep.EConflict:              http.StatusConflict,
	twostep.EResendTooSoon:         http.StatusTooManyRequests,
	twostep.EMethodDoesNotSend:     http.StatusBadRequest,
	twostep.ENoSuchMethod:          http.StatusNotFound,
	twostep.EInvalidCode:           http.StatusUnauthorized,
	twostep.ECodeExpired:           http.StatusGone,
	twostep.ELocked:                http.StatusLocked,
	twostep.ETwoStepNotAvailable:   http.StatusNotFound,
	twostep.ETwoStepNotOn:          http.StatusConflict,
	twostep.ERequiredByCenter:      http.StatusConflict,
	twostep.EMethodExists:          http.StatusConflict,
	twostep.EMismatch:              http.StatusBadRequest,
	twostep.EInvalidPhone:          http.StatusBadRequest,
	twostep.EInvalidEmail:          http.StatusBadRequest,
	twostep.ELastMethodRequired:    http.StatusConflict,
	twostep.EReauthRequired:        http.StatusUnauthorized,
	twostep.EMethodNotAllowed:      http.StatusForbidden,
	twostep.ETwoStepSetupRequired:  http.StatusForbidden,
	twostep.ETwoStepPending:        http.StatusForbidden,
	twostep.ENoPendingSetup:        http.StatusConflict,
	twostep.ESendLimit:             http.StatusTooManyRequests,
	twostep.EUnavailable:           http.StatusServiceUnavailable,
	twostep.EHTTPMethod:            http.StatusMethodNotAllowed,
	twostep.ELinkExpired:           http.StatusGone,
	twostep.ESecondStepUnavailable: http.StatusConflict,
	twostep.EUsernameTaken:         http.StatusConflict,
	twostep.EAccessDenied:          http.StatusForbidden,
	twostep.EInvalidPasskey:        http.StatusUnauthorized, // registration answers 400 (apiFinishPasskey)
	twostep.EPasskeysNotOffered:    http.StatusNotFound,
}

type apiError struct {
	Code              string `json:"code"`
	Message           string `json:"message"`
	RetryAfterSeconds *int   `json:"retry_after_seconds,omitempty"`
	AttemptsLeft      *int   `json:"attempts_left,omitempty"`
	Field             string `json:"field,omitempty"`
	// Fields lists every input at fault when there are several (the first is
	// the error itself).
	Fields []fieldJSON `json:"fields,omitempty"`
}

type fieldJSON struct {
	Field   string `json:"field"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// asDomainError turns err into a *twostep.Error fit to show; anything that is not
// one is logged with the request id and shown as a generic internal error.
func (s *Server) asDomainError(r *http.Request, err error) (*twostep.Error, int) {
	var de *twostep.Error
	if errors.As(err, &de) {
		status, ok := statusOf[de.Code]
		if !ok {
			status = http.StatusBadRequest
		}
		return de, status
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return twostep.Errorf(twostep.EInvalid, "The request body is larger than 64 KiB."), http.StatusRequestEntityTooLarge
	}
	if r.Context().Err() != nil {
		return twostep.Errorf(twostep.EUnavailable, "The request was cancelled."), http.StatusServiceUnavailable
	}
	s.log.ErrorContext(r.Context(), "request failed", "request_id", requestID(r), "route", r.Pattern, "err", err)
	return &twostep.Error{Code: twostep.EInternal, Message: "Something went wrong on our side. Please try again."}, http.StatusInternalServerError
}

// fail answers err as JSON (the API) or as an error page.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	de, status := s.asDomainError(r, err)
	s.metrics.errors.WithLabelValues(de.Code).Inc()
	if de.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(retrySeconds(de)))
	}
	if wantsJSON(r) {
		ae := toAPIError(de)
		if all := twostep.AllErrors(err); len(all) > 1 {
			for _, e := range all {
				ae.Fields = append(ae.Fields, fieldJSON{Field: e.Field, Code: e.Code, Message: e.Message})
			}
		}
		writeJSON(w, status, map[string]apiError{"error": ae})
		return
	}
	if status == http.StatusUnauthorized && de.Code == twostep.EUnauthenticated {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	a, _ := r.Context().Value(keyAuth).(*twostep.Auth)
	if a == nil && status == http.StatusNotFound {
		a, _ = s.svc.Authenticate(r.Context(), s.sessionToken(r)) // a signed-in person keeps the header links
	}
	d := s.page(r, a, "error.title")
	if status == http.StatusNotFound {
		d.Title = d.T("error.notfound")
	}
	d.Error = localError(d.Lang, de)
	s.render(w, r, status, "error", d)
}

func retrySeconds(de *twostep.Error) int {
	return int(math.Ceil(de.RetryAfter.Seconds()))
}

func toAPIError(de *twostep.Error) apiError {
	a := apiError{Code: de.Code, Message: de.Message, AttemptsLeft: de.AttemptsLeft, Field: de.Field}
	if de.RetryAfter > 0 {
		n := retrySeconds(de)
		a.RetryAfterSeconds = &n
	}
	return a
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// notFound answers an address that leads nowhere, as a page or as JSON.
func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	s.fail(w, r, twostep.Errorf(twostep.ENotFound, "There is no such page."))
}
