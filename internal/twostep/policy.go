package twostep

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// adminCenter returns the center an actor administers: an admin's own center, or
// any center for an account manager. Errors: forbidden, not_found.
func (s *Service) adminCenter(ctx context.Context, actor *User, centerID int64) (*Center, error) {
	switch {
	case actor.Role == RoleAdmin && (centerID == 0 || centerID == actor.CenterID):
		centerID = actor.CenterID
	case actor.Role == RoleStaff && centerID != 0:
	case actor.Role == RoleAdmin:
		return nil, Errorf(ENotFound, "No such center.")
	default:
		return nil, Errorf(EForbidden, "Only center administrators may do this.")
	}
	c, err := s.store.CenterByID(ctx, centerID)
	if errors.Is(err, ErrNotFound) {
		return nil, Errorf(ENotFound, "No such center.")
	}
	return c, err
}

// Policy is a change to a center's 2SV policy; nil fields stay as they are.
type Policy struct {
	TwoStepRequired *bool
	AllowedMethods  []MethodType // nil: unchanged; empty is refused
	GraceLogins     *int
	TimeZone        *string // IANA name; "" is the portal's default
	// TrustedBrowserDays is how long a browser may skip the second step (B23), 0–90.
	TrustedBrowserDays *int
}

// SetPolicy changes a center's 2SV requirement (R13), allowed method types (B17)
// and grace-login count (R14). Errors: two_step_not_available (requiring 2SV
// outside the beta), invalid_request, forbidden, not_found.
func (s *Service) SetPolicy(ctx context.Context, actor *User, centerID int64, p Policy, c Client) (*Center, error) {
	ctr, err := s.adminCenter(ctx, actor, centerID)
	if err != nil {
		return nil, err
	}
	var changes []string
	var v checks // every field at fault is reported at once
	if p.AllowedMethods != nil {
		var allowed []MethodType
		for _, t := range AllMethodTypes { // keep display order, drop duplicates
			if slices.Contains(p.AllowedMethods, t) {
				allowed = append(allowed, t)
			}
		}
		if i := slices.IndexFunc(p.AllowedMethods, func(t MethodType) bool { return !t.Valid() }); i >= 0 {
			v.add(FieldError(EInvalid, "allowed_methods", fmt.Sprintf("Unknown method type %q (use totp, phone, email, passkey).", p.AllowedMethods[i])))
		} else if len(allowed) == 0 {
			v.add(FieldError(EInvalid, "allowed_methods", "Allow at least one kind of verified method."))
		} else if len(allowed) == 1 && allowed[0] == MethodPasskey && s.rp == nil {
			v.add(FieldError(EInvalid, "allowed_methods", "Passkeys cannot be the only kind allowed here. "+s.rpWhy))
		}
		ctr.AllowedMethods = allowed
		changes = append(changes, "allowed_methods="+joinTypes(allowed))
	}
	if p.GraceLogins != nil {
		if *p.GraceLogins < 0 || *p.GraceLogins > 100 {
			v.add(FieldError(EInvalid, "grace_logins", "Grace logins must be a number from 0 to 100."))
		}
		ctr.GraceLogins = *p.GraceLogins
		changes = append(changes, fmt.Sprintf("grace_logins=%d", *p.GraceLogins))
	}
	if p.TimeZone != nil {
		name := strings.TrimSpace(*p.TimeZone)
		if _, err := ParseTimeZone(name); err != nil {
			v.add(err)
		}
		ctr.TimeZone = name
		changes = append(changes, "time_zone="+name)
	}
	if p.TrustedBrowserDays != nil {
		if *p.TrustedBrowserDays < 0 || *p.TrustedBrowserDays > MaxTrustedBrowserDays {
			v.add(FieldError(EInvalid, "trusted_browser_days", fmt.Sprintf("Trusted browsers: a number of days from 0 to %d.", MaxTrustedBrowserDays)))
		}
		ctr.TrustedBrowserDays = *p.TrustedBrowserDays
		changes = append(changes, fmt.Sprintf("trusted_browser_days=%d", *p.TrustedBrowserDays))
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	if p.TwoStepRequired != nil {
		if *p.TwoStepRequired && !ctr.TwoStepAvailable {
			return nil, Errorf(ETwoStepNotAvailable, "2-Step Verification is not available for this center yet, so it cannot be required.")
		}
		ctr.TwoStepRequired = *p.TwoStepRequired
		changes = append(changes, fmt.Sprintf("two_step_required=%v", *p.TwoStepRequired))
	}
	if len(changes) == 0 {
		return ctr, nil
	}
	if err := s.store.UpdateCenter(ctx, ctr); err != nil {
		return nil, err
	}
	s.audit(ctx, ctr.ID, actor.Username, "policy_changed", ctr.Name, c, strings.Join(changes, " "))
	return ctr, nil
}

func joinTypes(ts []MethodType) string {
	parts := make([]string, len(ts))
	for i, t := range ts {
		parts[i] = string(t)
	}
	return strings.Join(parts, ",")
}

// UserState is one row of the compliance view (B11).
type UserState struct {
	Username        string
	Email           string
	Role            Role
	TwoStepOn       bool
	Methods         []MethodType
	GraceLoginsLeft int
}

// CenterUsers lists a center's users with their 2SV state (B11).
func (s *Service) CenterUsers(ctx context.Context, actor *User, centerID int64) (*Center, []UserState, error) {
	ctr, err := s.adminCenter(ctx, actor, centerID)
	if err != nil {
		return nil, nil, err
	}
	users, err := s.store.ListUsers(ctx, ctr.ID)
	if err != nil {
		return nil, nil, err
	}
	methods, err := s.store.MethodTypesByCenter(ctx, ctr.ID)
	if err != nil {
		return nil, nil, err
	}
	out := make([]UserState, 0, len(users))
	for _, u := range users {
		ms := methods[u.ID]
		if ms == nil {
			ms = []MethodType{}
		}
		slices.SortFunc(ms, func(a, b MethodType) int { return slices.Index(AllMethodTypes, a) - slices.Index(AllMethodTypes, b) })
		out = append(out, UserState{Username: u.Username, Email: u.Email, Role: u.Role, TwoStepOn: u.TwoStepOn && ctr.TwoStepAvailable, Methods: ms,
			GraceLoginsLeft: max(0, s.graceLogins(ctr)-u.GraceLoginsUsed)})
	}
	return ctr, out, nil
}

// centerUser finds a user the actor administers; other centers' users are not
// found (never a hint that they exist).
func (s *Service) centerUser(ctx context.Context, actor *User, username string) (*User, error) {
	if !isCleanText(username) || len(username) > 254 {
		return nil, Errorf(ENotFound, "No such user.")
	}
	u, err := s.store.UserByUsername(ctx, username)
	if errors.Is(err, ErrNotFound) || (err == nil && actor.Role != RoleStaff && u.CenterID != actor.CenterID) {
		return nil, Errorf(ENotFound, "No such user.")
	}
	if err != nil {
		return nil, err
	}
	if actor.Role != RoleStaff && actor.Role != RoleAdmin {
		return nil, Errorf(EForbidden, "Only center administrators may do this.")
	}
	return u, nil
}

// ResetTarget finds a user whose 2SV the actor may reset: one of an admin's own
// center, anyone for an account manager. Errors: not_found, forbidden.
func (s *Service) ResetTarget(ctx context.Context, actor *User, username string) (*User, error) {
	return s.centerUser(ctx, actor, username)
}

// ResetTwoStep deletes a user's methods and recovery codes and turns 2SV off (B2).
// The user's sessions end and they are emailed; under a requirement they must set
// up at their next sign-in (no fresh grace logins). Errors: not_found, forbidden.
func (s *Service) ResetTwoStep(ctx context.Context, actor *User, username string, c Client) error {
	u, err := s.centerUser(ctx, actor, username)
	if err != nil {
		return err
	}
	if actor.ID != 0 && actor.ID == u.ID {
		// One's own 2SV goes off through My Account, under its rules (R6, B7).
		return Errorf(EConflict, "To change your own 2-Step Verification, use My Account.")
	}
	ctr := s.staffCenter() // an account manager's 2SV is reset by another, or from the command line
	if u.CenterID != 0 {
		if ctr, err = s.store.CenterByID(ctx, u.CenterID); err != nil {
			return err
		}
	}
	if err := s.store.TurnTwoStepOff(ctx, u.ID); err != nil {
		return err
	}
	if err := s.store.SetGraceLoginsUsed(ctx, u.ID, max(u.GraceLoginsUsed, s.graceLogins(ctr))); err != nil {
		return err
	}
	if err := s.store.ResetSecondStepFailures(ctx, u.ID); err != nil {
		return err
	}
	if err := s.store.DeleteUserSessions(ctx, u.ID, nil); err != nil {
		return err
	}
	if err := s.forgetBrowsers(ctx, u.ID); err != nil {
		return err
	}
	s.audit(ctx, u.CenterID, actor.Username, "two_step_reset", u.Username, c, "")
	s.notify(ctx, u, c, "two_step_reset", actor.Username)
	return nil
}

// ResetTwoStepConfirmed is ResetTwoStep for a signed-in admin or account
// manager, who confirms with their own password (B7). Unless passwordRequired
// (the pages always ask), a sign-in within the recent-authentication window is
// enough without it (B16: the JSON call may leave it out), so a stolen, old
// session cannot reset anyone. Errors: invalid_credentials,
// reauthentication_required, too_many_attempts, and as ResetTwoStep.
func (s *Service) ResetTwoStepConfirmed(ctx context.Context, a *Auth, username, password string, passwordRequired bool, c Client) error {
	if _, err := s.centerUser(ctx, a.User, username); err != nil {
		return err
	}
	switch {
	case password != "" || passwordRequired:
		if err := s.checkPassword(ctx, a, password, c, "two_step_reset"); err != nil {
			return err
		}
	case s.NeedsReauth(a):
		return FieldError(EReauthRequired, "password", "For your security, enter your password again to reset someone's 2-Step Verification.")
	}
	return s.ResetTwoStep(ctx, a.User, username, c)
}

// CreateCenterWithAdmin creates a center and its first admin (account managers
// only). The admin's details are checked before anything is written, so bad
// input leaves no center behind. Errors: as CreateCenter and CreateUser.
func (s *Service) CreateCenterWithAdmin(ctx context.Context, actor *User, name string, admin NewUser, c Client) (*Center, *User, error) {
	if actor.Role != RoleStaff {
		return nil, nil, Errorf(EForbidden, "Only account managers create centers.")
	}
	var v checks
	name = strings.TrimSpace(name)
	if err := checkCenterName(name); err != nil {
		v.add(err)
	} else if _, err := s.store.CenterByName(ctx, name); err == nil {
		v.add(FieldError(EConflict, "name", "A center with that name exists."))
	} else if !errors.Is(err, ErrNotFound) {
		v.add(err)
	}
	admin.CenterID, admin.Role = -1, RoleAdmin // a center of its own, to be
	_, err := checkNewUser(admin)
	v.add(err)
	if ValidateUsername(admin.Username) == nil {
		if _, err := s.store.UserByUsername(ctx, admin.Username); err == nil {
			v.add(FieldError(EConflict, "username", "That username is taken."))
		}
	}
	if err := v.err(); err != nil {
		return nil, nil, err
	}
	ctr, err := s.CreateCenter(ctx, actor, name, c)
	if err != nil {
		return nil, nil, err
	}
	admin.CenterID = ctr.ID
	u, err := s.CreateUser(ctx, actor, admin, c)
	if err != nil {
		return ctr, nil, err
	}
	return ctr, u, nil
}
