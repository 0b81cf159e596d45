package twostep

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// SendLoginCode sends a sign-in code to the chosen phone or email (R11, R12).
// Errors: method_does_not_send, no_such_method, resend_too_soon, send_limit_reached, locked.
func (s *Service) SendLoginCode(ctx context.Context, a *Auth, t MethodType, c Client) (*CodeSent, error) {
	m, err := s.challengeMethod(ctx, a, t)
	if err != nil {
		return nil, err
	}
	if !t.Sends() {
		return nil, Errorf(EMethodDoesNotSend, "No code is sent for this method. Open your authenticator app for the code.")
	}
	if err := s.checkLock(ctx, a.User); err != nil {
		return nil, err
	}
	wait := s.set.ResendLoginPhone
	if t == MethodEmail {
		wait = s.set.ResendLoginEmail
	}
	sent, err := s.issueCode(ctx, a.User, PurposeLogin, t, m.Label, wait, c)
	if err != nil {
		return nil, err
	}
	if a.Session.Selected != t {
		a.Session.Selected = t
		if err := s.store.UpdateSession(ctx, a.Session); err != nil {
			return nil, err
		}
	}
	return sent, nil
}

// SelectMethod records the method chosen at sign-in without sending anything
// (authenticator app, recovery code, or a phone/email whose code already came).
// Errors: no_such_method.
func (s *Service) SelectMethod(ctx context.Context, a *Auth, t MethodType) error {
	if _, err := s.challengeMethod(ctx, a, t); err != nil {
		return err
	}
	if a.Session.Selected == t {
		return nil
	}
	a.Session.Selected = t
	return s.store.UpdateSession(ctx, a.Session)
}

// challengeMethod finds the usable method t of a session waiting for its second step.
func (s *Service) challengeMethod(ctx context.Context, a *Auth, t MethodType) (*Method, error) {
	if a.Session.State != StateTwoStep {
		return nil, Errorf(EConflict, "You are not signing in.")
	}
	if t == MethodRecovery {
		return &Method{Type: MethodRecovery}, nil
	}
	if !t.Valid() {
		return nil, FieldError(EInvalid, "method", "The method must be totp, phone, email, passkey or recovery.")
	}
	usable, err := s.secondStepMethods(ctx, a)
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(usable, func(m Method) bool { return m.Type == t })
	if i < 0 {
		return nil, Errorf(ENoSuchMethod, "You have no such verified method.")
	}
	return &usable[i], nil
}

func (s *Service) checkLock(ctx context.Context, u *User) error {
	until, err := s.store.LockedUntil(ctx, u.ID)
	if err != nil {
		return err
	}
	if now := s.clock.Now(); until.After(now) {
		return lockedError(until.Sub(now))
	}
	return nil
}

func lockedError(left time.Duration) error {
	return &Error{Code: ELocked, RetryAfter: left,
		Message: fmt.Sprintf("Too many wrong codes. For your security, signing in is paused for %s.", humanDuration(left))}
}

// VerifyLogin checks the second step (R11, B1, B3, B4, B19). On success the
// session gets a new id and is signed in. For a passkey, code is the browser's
// answer to BeginPasskeyStep (an AuthenticationResponseJSON). Errors:
// invalid_code (AttemptsLeft), invalid_passkey (AttemptsLeft), code_expired,
// locked, no_such_method.
func (s *Service) VerifyLogin(ctx context.Context, a *Auth, t MethodType, code string, c Client) error {
	m, err := s.challengeMethod(ctx, a, t)
	if err != nil {
		return err
	}
	now := s.clock.Now()
	count, ok, err := s.store.ReserveSecondStepAttempt(ctx, a.User.ID, now, s.set.LockoutFailures)
	if err != nil {
		return err
	}
	if !ok {
		// Locked, or the last attempts before the lock are being judged right now.
		if err := s.checkLock(ctx, a.User); err != nil {
			return err
		}
		return lockedError(s.set.Lockout)
	}
	var verr error
	var step int64
	var pk *passkeyAnswer
	switch t {
	case MethodTOTP:
		step, verr = s.matchTOTPCode(a.User, m, code, now)
	case MethodPasskey: // code is the browser's AuthenticationResponseJSON
		pk, verr = s.matchPasskey(ctx, a, code, c)
	case MethodRecovery:
		verr = s.useRecoveryCode(ctx, a.User, code, now)
	default:
		_, verr = s.consumeCode(ctx, a.User, PurposeLogin, t, code)
	}
	if verr == nil {
		// The time step's single use, the cleared count, the new session id and
		// the audit record are one transaction.
		verr = s.atomically(ctx, func(tx *Service) error {
			if t == MethodTOTP {
				fresh, err := tx.store.AcceptTOTPStep(ctx, a.User.ID, step)
				if err != nil {
					return err
				}
				if !fresh {
					return FieldError(EInvalidCode, "code", "That code was already used. Wait for the next code in your app.")
				}
			}
			if pk != nil {
				if err := tx.usePasskey(ctx, pk.passkey, pk.cred); err != nil {
					return err
				}
			}
			if err := tx.store.ResetSecondStepFailures(ctx, a.User.ID); err != nil {
				return err
			}
			a.Session.AMR = AMRPassword + " " + amrOf(t) + " " + AMRMFA
			if err := tx.rotate(ctx, a, StateSignedIn, c); err != nil {
				return err
			}
			tx.audit(ctx, a.centerID(), a.User.Username, "second_step_ok", a.User.Username, c, string(t))
			return nil
		})
	}
	if errors.Is(verr, errCounterBehind) {
		verr = s.cloneSuspected(ctx, a, pk.passkey, c)
	}
	if verr != nil {
		if code := ErrorCode(verr); code != EInvalidCode && code != EInvalidPasskey {
			s.store.ReleaseSecondStepAttempt(context.WithoutCancel(ctx), a.User.ID)
			return verr
		}
		return s.secondStepFailed(ctx, a, t, count, verr, c)
	}
	if t == MethodRecovery {
		left, _ := s.store.CountRecoveryCodes(ctx, a.User.ID)
		s.notify(ctx, a.User, c, "recovery_used", left)
	}
	return nil
}

// secondStepFailed records a wrong code: the attempt that reaches the threshold
// locks the second step (B3), emails the user and audits it.
func (s *Service) secondStepFailed(ctx context.Context, a *Auth, t MethodType, count int, verr error, c Client) error {
	s.audit(ctx, a.centerID(), a.User.Username, "second_step_failed", a.User.Username, c, string(t))
	return s.failureCounted(ctx, a, count, verr, c)
}

// failureCounted applies B3 to a failed attempt already audited: the attempt
// that reaches the threshold locks the second step, emails the user and
// audits the lock; others say how many tries are left.
func (s *Service) failureCounted(ctx context.Context, a *Auth, count int, verr error, c Client) error {
	if count >= s.set.LockoutFailures {
		if err := s.store.LockSecondStep(ctx, a.User.ID, s.clock.Now().Add(s.set.Lockout)); err != nil {
			return err
		}
		s.audit(ctx, a.centerID(), a.User.Username, "locked", a.User.Username, c, "")
		s.notify(ctx, a.User, c, "locked", s.set.LockoutFailures, Duration(langOf(a.User), s.set.Lockout))
		return lockedError(s.set.Lockout)
	}
	e := verr.(*Error)
	left := s.set.LockoutFailures - count
	e.TriesBeforeLock = &left
	if e.AttemptsLeft == nil || *e.AttemptsLeft > left {
		e.AttemptsLeft = &left
	}
	return e
}

// matchTOTPCode finds the time step of a code from the authenticator app; the
// caller records the step as used (B4).
func (s *Service) matchTOTPCode(u *User, m *Method, code string, now time.Time) (int64, error) {
	wrong := FieldError(EInvalidCode, "code", "That code is not right. Enter the newest code from your app.")
	norm, ok := NormalizeCode(code)
	if !ok {
		return 0, wrong
	}
	raw, err := s.keys.open(m.Secret, totpAAD(u.ID))
	if err != nil {
		return 0, fmt.Errorf("open totp secret: %w", err)
	}
	step, ok := matchTOTP(raw, norm, now)
	if !ok {
		return 0, wrong
	}
	return step, nil
}
