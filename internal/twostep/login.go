package twostep

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// MethodView is a verified method as shown at sign-in and on My Account.
type MethodView struct {
	Type       MethodType
	Label      string // masked at sign-in, full on My Account; a passkey's name
	VerifiedAt time.Time
	// A passkey on My Account: its id (each passkey is listed) and when it last
	// signed the person in (zero: never).
	PasskeyID  int64
	LastUsedAt time.Time
}

// LoginResult is the state after a correct password.
type LoginResult struct {
	*Auth
	State     SessionState
	Methods   []MethodView // two_step: the methods to choose from (masked)
	Selected  MethodType   // two_step: set when exactly one method exists (R11)
	GraceLeft int          // setup_suggested: grace logins left after this one
	// RecoveryCodes tells the sign-in page whether to offer "a recovery code".
	RecoveryCodes bool
	// Trusted is set when a trusted browser skipped the second step (B23).
	Trusted bool
	// LockedUntil, for two_step, is when wrong codes stop pausing the second
	// step (B3); zero when it is not paused.
	LockedUntil time.Time
	LockedFor   time.Duration // how long from now until LockedUntil
}

// Login checks a username and password (B3 throttling, same answer and cost for
// unknown users) and starts a session in the state the rules call for (R4, R11, R14).
// oldToken, if any, is ended. Errors: invalid_request, invalid_credentials, too_many_attempts.
func (s *Service) Login(ctx context.Context, username, password, oldToken string, c Client) (*LoginResult, error) {
	if username == "" || password == "" || len(username) > 254 || len([]rune(password)) > MaxPasswordLen || !isCleanText(username) {
		return nil, Errorf(EInvalid, "Enter your username and password (at most %d characters).", MaxPasswordLen)
	}
	if err := s.countPasswordAttempt(ctx, username, c); err != nil {
		return nil, err
	}
	u, center, err := s.store.UserAndCenter(ctx, username)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("login: %w", err)
	}
	center = s.policyCenter(u, center)
	hash := ""
	if u != nil {
		hash = u.PasswordHash
	}
	ok, err := s.hasher.Verify(ctx, password, hash)
	if err != nil {
		return nil, fmt.Errorf("login: %w", err)
	}
	if !ok {
		centerID, actor := int64(0), username
		if u != nil {
			centerID, actor = u.CenterID, u.Username
		}
		s.audit(ctx, centerID, actor, "login_failed", actor, c, "")
		return nil, Errorf(EInvalidCredentials, "The username or password is not right.")
	}
	var res *LoginResult
	err = s.atomically(ctx, func(tx *Service) error {
		// A password changed while this one was being checked does not let
		// a session in (the change ends every session, this one included).
		if still, err := tx.store.PasswordStill(ctx, u.ID, u.PasswordHash); err != nil {
			return err
		} else if !still {
			return Errorf(EInvalidCredentials, "The username or password is not right.")
		}
		if oldToken != "" {
			if err := tx.store.DeleteSession(ctx, hashToken(oldToken)); err != nil {
				return err
			}
		}
		res, err = tx.afterPassword(ctx, u, center, c)
		return err
	})
	if err != nil {
		return nil, err
	}
	// Once the session is committed, a right password clears the account's
	// count and gives back the address's try. Not inside that transaction:
	// every sign-in from one address shares its counter, which would stay
	// locked until the session's commit is on disk. Should this fail, the
	// counts only stay higher than they need to.
	if err := s.passwordAccepted(ctx, username, c); err != nil {
		s.log.ErrorContext(ctx, "sign-in counts not settled", "err", err)
	}
	return res, nil
}

// afterPassword decides the session state for a user who gave the right password.
func (s *Service) afterPassword(ctx context.Context, u *User, center *Center, c Client) (*LoginResult, error) {
	res := &LoginResult{State: StateSignedIn}
	usable, err := s.usableMethods(ctx, u, center)
	if err != nil {
		return nil, err
	}
	switch {
	case center == nil || !center.TwoStepAvailable:
		// R1: no 2SV outside the beta.
	case u.TwoStepOn && len(usable) > 0: // R4
		if res.Trusted, err = s.trustedBrowser(ctx, u, center, c); err != nil {
			return nil, err
		} else if res.Trusted {
			break // B23: this browser passed the second step lately
		}
		res.State = StateTwoStep
		for _, m := range usable {
			res.Methods = append(res.Methods, MethodView{Type: m.Type, Label: maskLabel(m), VerifiedAt: m.VerifiedAt})
		}
		if len(usable) == 1 {
			res.Selected = usable[0].Type
		}
	case center.TwoStepRequired: // R14: no usable method under the requirement
		limit := s.graceLogins(center)
		used, ok, err := s.store.UseGraceLogin(ctx, u.ID, limit)
		if err != nil {
			return nil, err
		}
		if ok {
			res.State, res.GraceLeft = StateSetupSuggested, limit-used
		} else {
			res.State = StateSetupRequired
		}
	}
	a, err := s.startSession(ctx, u, res.State, res.Selected, c)
	if err != nil {
		return nil, fmt.Errorf("login: %w", err)
	}
	a.Center = center
	res.Auth = a
	action := "login_ok"
	if res.State == StateTwoStep {
		action = "login_password_ok"
	}
	if res.Trusted {
		action = "trusted_browser_used" // signed in without the second step (B23)
	}
	s.audit(ctx, u.CenterID, u.Username, action, u.Username, c, string(res.State))
	return res, nil
}

// graceLogins is the center's grace-login count (R14), or the portal default.
func (s *Service) graceLogins(c *Center) int {
	if c.GraceLogins >= 0 {
		return c.GraceLogins
	}
	return s.set.GraceLogins
}

// usableMethods are the user's verified methods of types the center allows
// (B17), the passkeys as one method when passkeys are offered (B19).
func (s *Service) usableMethods(ctx context.Context, u *User, c *Center) ([]Method, error) {
	if c == nil || !c.TwoStepAvailable {
		return nil, nil
	}
	all, err := s.store.Methods(ctx, u.ID)
	if err != nil {
		return nil, fmt.Errorf("methods: %w", err)
	}
	var out []Method
	var passkeys []Method // B19: a person's passkeys are one method at sign-in
	for _, m := range all {
		switch {
		case !m.Verified() || !c.Allows(m.Type):
		case m.Type == MethodPasskey:
			// A passkey counts even where this public URL cannot serve
			// passkeys (R4 fails closed): choosing it then says why, and a
			// recovery code or another method still signs in.
			passkeys = append(passkeys, m)
		default:
			out = append(out, m)
		}
	}
	if len(passkeys) > 0 {
		out = append(out, passkeyMethod(passkeys))
	}
	return out, nil
}

// secondStepMethods are the methods a session's second step may use: the
// usable ones, except, in a password reset, an email method at the account's
// own address. The reset link came to that mailbox, and a code sent there
// again would let the mailbox alone reset the password (B21: the link is
// never a factor).
func (s *Service) secondStepMethods(ctx context.Context, a *Auth) ([]Method, error) {
	usable, err := s.usableMethods(ctx, a.User, a.Center)
	if err != nil || !a.Session.Resetting() {
		return usable, err
	}
	return slices.DeleteFunc(usable, func(m Method) bool { return sameMailbox(m, a.User) }), nil
}

// sameMailbox reports whether m is an email method at u's account address.
func sameMailbox(m Method, u *User) bool {
	return m.Type == MethodEmail && strings.EqualFold(strings.TrimSpace(m.Label), strings.TrimSpace(u.Email))
}

// LoginState re-derives what the sign-in calls need for a two_step session.
func (s *Service) LoginState(ctx context.Context, a *Auth) (*LoginResult, error) {
	res := &LoginResult{Auth: a, State: a.Session.State, Selected: a.Session.Selected}
	if a.Session.State == StateTwoStep {
		usable, err := s.secondStepMethods(ctx, a)
		if err != nil {
			return nil, err
		}
		for _, m := range usable {
			res.Methods = append(res.Methods, MethodView{Type: m.Type, Label: maskLabel(m), VerifiedAt: m.VerifiedAt})
		}
		if len(usable) == 1 {
			res.Selected = usable[0].Type
		}
		n, err := s.store.CountRecoveryCodes(ctx, a.User.ID)
		if err != nil {
			return nil, err
		}
		res.RecoveryCodes = n > 0
		until, err := s.store.LockedUntil(ctx, a.User.ID)
		if err != nil {
			return nil, err
		}
		if now := s.clock.Now(); until.After(now) {
			res.LockedUntil, res.LockedFor = until, until.Sub(now)
		}
	}
	if a.Session.State == StateSetupSuggested && a.Center != nil {
		res.GraceLeft = max(0, s.graceLogins(a.Center)-a.User.GraceLoginsUsed)
	}
	return res, nil
}

// DismissNotice closes the setup_suggested notice (R14); the session is then signed in.
func (s *Service) DismissNotice(ctx context.Context, a *Auth) error {
	if a.Session.State != StateSetupSuggested {
		return Errorf(EConflict, "There is no notice to dismiss.")
	}
	a.Session.State = StateSignedIn
	return s.store.UpdateSession(ctx, a.Session)
}
