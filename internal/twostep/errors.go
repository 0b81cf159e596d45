// Package twostep is the Provider Portal's domain: centers, users, sessions, sign-in
// with 2-Step Verification, verified methods, codes and the rules of PRODUCT.md.
// It imports nothing else of the project; storage, delivery and the web are
// implementations or consumers of the small interfaces declared here.
package twostep

import (
	"errors"
	"fmt"
	"time"
)

// Error codes returned to users. They are part of the public API (CONTRACT.md).
const (
	EInvalid              = "invalid_request"
	EInvalidCredentials   = "invalid_credentials"
	ETooManyAttempts      = "too_many_attempts"
	EWeakPassword         = "weak_password"
	EUnauthenticated      = "unauthenticated"
	EForbidden            = "forbidden"
	ENotFound             = "not_found"
	EConflict             = "conflict"
	EResendTooSoon        = "resend_too_soon"
	EMethodDoesNotSend    = "method_does_not_send"
	ENoSuchMethod         = "no_such_method"
	EInvalidCode          = "invalid_code"
	ECodeExpired          = "code_expired"
	ELocked               = "locked"
	ETwoStepNotAvailable  = "two_step_not_available"
	ETwoStepNotOn         = "two_step_not_on"
	ERequiredByCenter     = "required_by_center"
	EMethodExists         = "method_exists"
	EMismatch             = "mismatch"
	EInvalidPhone         = "invalid_phone"
	EInvalidEmail         = "invalid_email"
	ELastMethodRequired   = "last_method_required"
	EReauthRequired       = "reauthentication_required"
	EMethodNotAllowed     = "method_not_allowed"
	ETwoStepSetupRequired = "two_step_setup_required"
	ETwoStepPending       = "two_step_pending"
	ENoPendingSetup       = "no_pending_setup"
	EDeliveryFailed       = "delivery_failed"
	ESendLimit            = "send_limit_reached"
	EUnavailable          = "unavailable"
	EHTTPMethod           = "http_method_not_allowed" // the address exists, not for this HTTP method
	ELinkExpired          = "link_expired"
	// ESecondStepUnavailable: a password reset whose only second step would be
	// a code to the mailbox the link came to.
	ESecondStepUnavailable = "second_step_unavailable"
	EUsernameTaken         = "username_taken"
	EInvalidPasskey        = "invalid_passkey"
	EPasskeysNotOffered    = "passkeys_not_offered"
	EInternal              = "internal"
	EAccessDenied          = "access_denied" // an app refuses this person (B20)
)

// Error is a failure with a code and a message fit to show the user. Anything else
// returned by the domain is an internal error whose detail must only be logged.
type Error struct {
	Code    string
	Message string
	// RetryAfter is set for too_many_attempts, resend_too_soon and locked.
	RetryAfter time.Duration
	// AttemptsLeft is set for invalid_code when the code can still be tried:
	// the fewer of this code's tries and the tries before the lock.
	AttemptsLeft *int
	// TriesBeforeLock is set for a counted wrong second step: how many more
	// wrong answers, with any code or method, pause signing in (B3). The pages
	// show this one counter, which only ever goes down.
	TriesBeforeLock *int
	// Field names the input at fault, when there is one.
	Field string
	// Variant and Arg let the pages say a more precise text in another
	// language (catalogue key err.CODE.VARIANT, with Arg in it).
	Variant, Arg string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Errorf returns an *Error with a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldError returns an *Error tied to an input field.
func FieldError(code, field, message string) *Error {
	return &Error{Code: code, Message: message, Field: field}
}

// withField ties err to field when it is an *Error.
func withField(err error, field string) error {
	var e *Error
	if errors.As(err, &e) {
		e.Field = field
	}
	return err
}

// ErrorCode returns the code of err if it is (or wraps) an *Error, else EInternal.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EInternal
}

// Storage sentinels: a Store returns these (wrapped or not) for absent rows and
// unique-constraint violations.
var (
	ErrNotFound  = errors.New("not found")
	ErrDuplicate = errors.New("duplicate")
	// ErrLastMethod refuses to delete the last verified method where one must stay.
	ErrLastMethod = errors.New("last verified method")
	// ErrLimit says that a row was not added because its owner has as many as allowed.
	ErrLimit = errors.New("limit reached")
)
