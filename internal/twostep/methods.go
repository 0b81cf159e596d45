package twostep

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// TurnOn turns 2-Step Verification on (R5) and ends the user's other sessions
// (B15). Errors: two_step_not_available.
func (s *Service) TurnOn(ctx context.Context, a *Auth, c Client) error {
	if err := s.requireAvailable(a); err != nil {
		return err
	}
	if a.User.TwoStepOn {
		return nil
	}
	if err := s.store.SetTwoStepOn(ctx, a.User.ID, true); err != nil {
		return err
	}
	a.User.TwoStepOn = true
	if err := s.store.DeleteUserSessions(ctx, a.User.ID, a.Session.IDHash); err != nil { // B15
		return err
	}
	s.audit(ctx, a.centerID(), a.User.Username, "two_step_on", a.User.Username, c, "")
	return nil
}

// TurnOff turns 2SV off and deletes every method and recovery code (R6), after the
// password (B7). Errors: two_step_not_available, required_by_center, invalid_credentials.
func (s *Service) TurnOff(ctx context.Context, a *Auth, password string, c Client) error {
	if err := s.requireAvailable(a); err != nil {
		return err
	}
	if a.Center.TwoStepRequired {
		return Errorf(ERequiredByCenter, "Your center requires 2-Step Verification, so it cannot be turned off.")
	}
	if err := s.checkPassword(ctx, a, password, c, "two_step_off"); err != nil {
		return err
	}
	if err := s.store.TurnTwoStepOff(ctx, a.User.ID); err != nil {
		return err
	}
	a.User.TwoStepOn = false
	if err := s.store.DeleteUserSessions(ctx, a.User.ID, a.Session.IDHash); err != nil {
		return err
	}
	if err := s.forgetBrowsers(ctx, a.User.ID); err != nil {
		return err
	}
	s.audit(ctx, a.centerID(), a.User.Username, "two_step_off", a.User.Username, c, "")
	s.notify(ctx, a.User, c, "two_step_off")
	return nil
}

func (s *Service) requireAvailable(a *Auth) error {
	if a.Center == nil || !a.Center.TwoStepAvailable {
		return Errorf(ETwoStepNotAvailable, "2-Step Verification is not available for your center yet. Ask your account manager.")
	}
	return nil
}

// canAdd applies the rules for starting to add a method: the beta (R1), the
// center's allowed types (B17), 2SV on (R5, except when setup is required), one
// per type (R3) and recent authentication (B16).
func (s *Service) canAdd(ctx context.Context, a *Auth, t MethodType, password string, c Client) error {
	if err := s.requireAvailable(a); err != nil {
		return err
	}
	if !a.Center.Allows(t) {
		return Errorf(EMethodNotAllowed, "Your center does not allow this kind of verified method.")
	}
	if !a.User.TwoStepOn && a.Session.State != StateSetupRequired {
		return Errorf(ETwoStepNotOn, "Turn on 2-Step Verification first.")
	}
	m, err := s.store.Method(ctx, a.User.ID, t)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	if m != nil && m.Verified() {
		return Errorf(EMethodExists, "You already have this kind of verified method. Delete it first to add another.")
	}
	now := s.clock.Now()
	if now.Sub(a.Session.AuthAt) <= s.set.RecentAuth {
		return nil
	}
	if password == "" {
		return FieldError(EReauthRequired, "password", "For your security, enter your password again to add a verified method.")
	}
	if err := s.checkPassword(ctx, a, password, c, "method_start"); err != nil {
		return err
	}
	a.Session.AuthAt = now
	return s.store.UpdateSession(ctx, a.Session)
}

// NeedsReauth reports whether starting to add a method will ask for the password (B16).
func (s *Service) NeedsReauth(a *Auth) bool {
	return s.clock.Now().Sub(a.Session.AuthAt) > s.set.RecentAuth
}

// StartTOTP begins adding an authenticator app (R7): a new secret, shown once.
// Errors: as canAdd.
func (s *Service) StartTOTP(ctx context.Context, a *Auth, password string, c Client) (*TOTPSetup, error) {
	if err := s.canAdd(ctx, a, MethodTOTP, password, c); err != nil {
		return nil, err
	}
	setup, raw, err := newTOTPSetup(s.set.SiteName, a.User.Username)
	if err != nil {
		return nil, err
	}
	sealed, err := s.keys.seal(raw, totpAAD(a.User.ID))
	if err != nil {
		return nil, fmt.Errorf("seal totp secret: %w", err)
	}
	m := &Method{UserID: a.User.ID, Type: MethodTOTP, Label: a.User.Username, Secret: sealed, CreatedAt: s.clock.Now()}
	if err := s.store.StartMethod(ctx, m); errors.Is(err, ErrDuplicate) {
		return nil, Errorf(EMethodExists, "You already have an authenticator app.")
	} else if err != nil {
		return nil, err
	}
	return setup, nil
}

// PendingTOTP shows again the QR code and key of an authenticator app being added
// (after a mistyped code), without making a new secret. Errors: no_pending_setup.
func (s *Service) PendingTOTP(ctx context.Context, a *Auth) (*TOTPSetup, error) {
	m, err := s.pending(ctx, a, MethodTOTP)
	if err != nil {
		return nil, err
	}
	raw, err := s.keys.open(m.Secret, totpAAD(a.User.ID))
	if err != nil {
		return nil, fmt.Errorf("open totp secret: %w", err)
	}
	return totpSetupFor(s.set.SiteName, a.User.Username, raw)
}

func totpAAD(userID int64) string { return fmt.Sprintf("totp:%d", userID) }

// StartPhone begins adding a mobile number (R8): both entries must match; a code
// is sent by SMS. Errors: invalid_phone, mismatch, resend_too_soon, and as canAdd.
func (s *Service) StartPhone(ctx context.Context, a *Auth, phone, confirm, password string, c Client) (*CodeSent, error) {
	if err := s.canAdd(ctx, a, MethodPhone, password, c); err != nil {
		return nil, err
	}
	var v checks
	num, err := ParsePhone(phone, s.set.SMSCountries)
	v.add(err)
	if again, err := ParsePhone(confirm, s.set.SMSCountries); strings.TrimSpace(confirm) != strings.TrimSpace(phone) && (err != nil || again != num) {
		v.add(FieldError(EMismatch, "confirm_phone", "The two phone numbers do not match."))
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	return s.startSending(ctx, a, MethodPhone, num, c)
}

// StartEmail begins adding an email address (R9). Errors: invalid_email, mismatch,
// resend_too_soon, and as canAdd.
func (s *Service) StartEmail(ctx context.Context, a *Auth, email, confirm, password string, c Client) (*CodeSent, error) {
	if err := s.canAdd(ctx, a, MethodEmail, password, c); err != nil {
		return nil, err
	}
	var v checks
	addr, ok := ParseEmail(email)
	if !ok {
		v.add(FieldError(EInvalidEmail, "email", "Enter one email address, such as name@example.org."))
	}
	if again, ok := ParseEmail(confirm); !strings.EqualFold(strings.TrimSpace(confirm), strings.TrimSpace(email)) && (!ok || !strings.EqualFold(again, addr)) {
		v.add(FieldError(EMismatch, "confirm_email", "The two email addresses do not match."))
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	return s.startSending(ctx, a, MethodEmail, addr, c)
}

// startSending sends the setup code first (so a refused resend changes nothing),
// then records the method as pending.
func (s *Service) startSending(ctx context.Context, a *Auth, t MethodType, dest string, c Client) (*CodeSent, error) {
	sent, err := s.issueCode(ctx, a.User, PurposeSetup, t, dest, s.set.ResendSetup, c)
	if err != nil {
		return nil, err
	}
	m := &Method{UserID: a.User.ID, Type: t, Label: dest, CreatedAt: s.clock.Now()}
	if err := s.store.StartMethod(ctx, m); errors.Is(err, ErrDuplicate) {
		return nil, Errorf(EMethodExists, "You already have this kind of verified method.")
	} else if err != nil {
		return nil, err
	}
	return sent, nil
}

// ResendSetupCode sends a new code to the number or address being added, after
// the setup resend wait (R8, R9). Errors: no_pending_setup, resend_too_soon.
func (s *Service) ResendSetupCode(ctx context.Context, a *Auth, t MethodType, c Client) (*CodeSent, error) {
	m, err := s.pending(ctx, a, t)
	if err != nil {
		return nil, err
	}
	return s.issueCode(ctx, a.User, PurposeSetup, t, m.Label, s.set.ResendSetup, c)
}

func (s *Service) pending(ctx context.Context, a *Auth, t MethodType) (*Method, error) {
	if err := s.requireAvailable(a); err != nil {
		return nil, err
	}
	m, err := s.store.Method(ctx, a.User.ID, t)
	if errors.Is(err, ErrNotFound) || (err == nil && m.Verified()) {
		return nil, Errorf(ENoPendingSetup, "Start adding this method first.")
	}
	return m, err
}

// VerifySetup completes adding a method with the code the user entered (R7–R9):
// 2SV is on from then, other sessions end (B15) and the user is notified (B5).
// In setup_required the sign-in completes (R14). Errors: invalid_code,
// code_expired, no_pending_setup.
func (s *Service) VerifySetup(ctx context.Context, a *Auth, t MethodType, code string, c Client) (*MethodView, error) {
	m, err := s.pending(ctx, a, t)
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	var step int64
	if t == MethodTOTP {
		raw, err := s.keys.open(m.Secret, totpAAD(a.User.ID))
		if err != nil {
			return nil, fmt.Errorf("open totp secret: %w", err)
		}
		norm, ok := NormalizeCode(code)
		if !ok {
			return nil, FieldError(EInvalidCode, "code", "Enter the 6-digit code from your app.")
		}
		if step, ok = matchTOTP(raw, norm, now); !ok {
			return nil, FieldError(EInvalidCode, "code", "That code is not right. Check the time on your phone and enter the newest code.")
		}
	} else {
		dest, err := s.consumeCode(ctx, a.User, PurposeSetup, t, code)
		if err != nil {
			return nil, err
		}
		if dest != m.Label {
			return nil, FieldError(EInvalidCode, "code", "That code was sent for another number or address. Ask for a new one.")
		}
	}
	if err := s.store.CompleteMethod(ctx, m, now, step); errors.Is(err, ErrNotFound) {
		return nil, FieldError(EInvalidCode, "code", "That code was already used.")
	} else if err != nil {
		return nil, err
	}
	a.User.TwoStepOn = true
	if a.Session.State == StateSetupRequired {
		// The sign-in completes with the password and the method just verified (R14).
		a.Session.AMR = AMRPassword + " " + amrOf(t) + " " + AMRMFA
	}
	if err := s.rotate(ctx, a, StateSignedIn, c); err != nil { // privilege change; ends setup_required
		return nil, err
	}
	if err := s.store.DeleteUserSessions(ctx, a.User.ID, a.Session.IDHash); err != nil {
		return nil, err
	}
	s.audit(ctx, a.centerID(), a.User.Username, "method_added", a.User.Username, c, string(t))
	s.notify(ctx, a.User, c, "method_added", methodName(langOf(a.User), t), maskLabel(*m))
	return &MethodView{Type: t, Label: m.Label, VerifiedAt: now}, nil
}

// DeleteMethod deletes a method after the password (R10, B7); the last one cannot
// go while the center requires 2SV. Errors: no_such_method, last_method_required,
// invalid_credentials.
func (s *Service) DeleteMethod(ctx context.Context, a *Auth, t MethodType, password string, c Client) error {
	if err := s.requireAvailable(a); err != nil {
		return err
	}
	if t == MethodPasskey {
		return Errorf(ENoSuchMethod, "Say which passkey to delete.")
	}
	all, err := s.store.Methods(ctx, a.User.ID)
	if err != nil {
		return err
	}
	var target *Method
	usable := 0 // verified methods that sign in at the center: only these count (B17)
	for i := range all {
		if s.signsIn(a.Center, all[i]) {
			usable++
		}
		if all[i].Type == t {
			target = &all[i]
		}
	}
	if target == nil {
		return Errorf(ENoSuchMethod, "You have no such method.")
	}
	var mustKeep []MethodType
	if a.Center.TwoStepRequired {
		mustKeep = s.signInTypes(a.Center)
		if target.Verified() && a.Center.Allows(t) && usable == 1 {
			return lastMethodError()
		}
	}
	if err := s.checkPassword(ctx, a, password, c, "method_delete"); err != nil {
		return err
	}
	// The check above answers early; this one, in the delete itself, holds
	// when two deletes race.
	switch err := s.store.DeleteMethod(ctx, a.User.ID, t, mustKeep); {
	case errors.Is(err, ErrNotFound):
		return Errorf(ENoSuchMethod, "You have no such method.")
	case errors.Is(err, ErrLastMethod):
		return lastMethodError()
	case err != nil:
		return err
	}
	if !target.Verified() {
		return nil // abandoning a setup is no security event
	}
	if err := s.store.DeleteUserSessions(ctx, a.User.ID, a.Session.IDHash); err != nil {
		return err
	}
	if err := s.forgetBrowsers(ctx, a.User.ID); err != nil {
		return err
	}
	s.audit(ctx, a.centerID(), a.User.Username, "method_deleted", a.User.Username, c, string(t))
	s.notify(ctx, a.User, c, "method_deleted", methodName(langOf(a.User), t), maskLabel(*target))
	return nil
}

func lastMethodError() error {
	return Errorf(ELastMethodRequired, "Your center requires 2-Step Verification, so your last verified method cannot be deleted. Add another one first.")
}
