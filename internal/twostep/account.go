package twostep

import (
	"context"
	"fmt"
)

// TwoStepView is the 2SV part of My Account.
type TwoStepView struct {
	Available         bool
	On                bool
	Required          bool
	GraceLoginsLeft   int
	Methods           []MethodView
	AllowedMethods    []MethodType
	RecoveryCodesLeft int
	Pending           []MethodType // methods being added (no code verified yet)
	// PasskeysOffered is false when the portal's public URL cannot have
	// passkeys; PasskeysWhy then says why (B19).
	PasskeysOffered bool
	PasskeysWhy     string
}

// InEffect reports whether 2SV protects the sign-in (R4): it is on and at
// least one verified method exists. On with no method yet asks nothing extra
// at sign-in, so pages must not call the person protected.
func (v TwoStepView) InEffect() bool { return v.On && len(v.Methods) > 0 }

// AccountView is My Account.
type AccountView struct {
	Username string
	Email    string
	Center   string
	Role     Role
	TwoStep  TwoStepView
}

// Account returns My Account for the signed-in user.
func (s *Service) Account(ctx context.Context, a *Auth) (*AccountView, error) {
	v := &AccountView{Username: a.User.Username, Email: a.User.Email, Role: a.User.Role}
	if a.Center == nil {
		return v, nil
	}
	v.Center = a.Center.Name // empty for account managers
	ts := &v.TwoStep
	ts.Available = a.Center.TwoStepAvailable
	if !ts.Available {
		return v, nil // R1: no 2SV section outside the beta
	}
	ts.On = a.User.TwoStepOn
	ts.Required = a.Center.TwoStepRequired
	ts.GraceLoginsLeft = max(0, s.graceLogins(a.Center)-a.User.GraceLoginsUsed)
	ts.AllowedMethods = s.addableTypes(a.Center)
	ts.PasskeysOffered, ts.PasskeysWhy = s.PasskeysOffered()
	all, err := s.store.Methods(ctx, a.User.ID)
	if err != nil {
		return nil, fmt.Errorf("account: %w", err)
	}
	ts.Methods = []MethodView{}
	for _, m := range all {
		switch {
		case m.Type == MethodPasskey: // listed below with their ids and last use
		case m.Verified():
			ts.Methods = append(ts.Methods, MethodView{Type: m.Type, Label: m.Label, VerifiedAt: m.VerifiedAt})
		default:
			ts.Pending = append(ts.Pending, m.Type)
		}
	}
	passkeys, err := s.store.Passkeys(ctx, a.User.ID)
	if err != nil {
		return nil, fmt.Errorf("account: %w", err)
	}
	for _, p := range passkeys {
		ts.Methods = append(ts.Methods, MethodView{Type: MethodPasskey, Label: p.Name, VerifiedAt: p.CreatedAt, PasskeyID: p.ID, LastUsedAt: p.LastUsedAt})
	}
	if ts.RecoveryCodesLeft, err = s.store.CountRecoveryCodes(ctx, a.User.ID); err != nil {
		return nil, err
	}
	return v, nil
}

// ChangePassword replaces the user's password (B14; the current one is required)
// and ends the user's other sessions (B15). Errors: invalid_credentials, weak_password.
func (s *Service) ChangePassword(ctx context.Context, a *Auth, current, next string, c Client) error {
	var v checks
	v.add(withField(s.checkPassword(ctx, a, current, c, "password_change"), "current_password"))
	v.add(withField(CheckPasswordRules(next, a.User.Username, a.User.Email), "new_password"))
	if err := v.err(); err != nil {
		return err
	}
	hash, err := s.hasher.Hash(ctx, next)
	if err != nil {
		return err
	}
	// The new hash, this session's new id and the end of every other session
	// are one transaction (B15).
	err = s.atomically(ctx, func(tx *Service) error {
		if err := tx.store.SetPasswordHash(ctx, a.User.ID, hash); err != nil {
			return err
		}
		if err := tx.rotate(ctx, a, a.Session.State, c); err != nil {
			return err
		}
		if err := tx.store.DeleteUserSessions(ctx, a.User.ID, a.Session.IDHash); err != nil {
			return err
		}
		return tx.forgetBrowsers(ctx, a.User.ID) // B23
	})
	if err != nil {
		return err
	}
	a.User.PasswordHash = hash
	s.audit(ctx, a.centerID(), a.User.Username, "password_changed", a.User.Username, c, "")
	s.notify(ctx, a.User, c, "password_changed")
	return nil
}
