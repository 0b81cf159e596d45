package twostep

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"unicode"
)

// CLIActor is the actor of commands run on the server (portal center/user …).
var CLIActor = &User{Username: "cli", Role: RoleStaff}

// NewUser is what it takes to create a user.
type NewUser struct {
	CenterID int64 // 0 for account managers
	Username string
	Email    string
	Password string
	Role     Role
}

// ValidateUsername checks a username: 1–64 letters, digits and . _ - @.
func ValidateUsername(u string) error {
	if u == "" || len(u) > 64 {
		return FieldError(EInvalid, "username", "A username has 1 to 64 characters.")
	}
	if strings.Trim(u, ".") == "" {
		return FieldError(EInvalid, "username", "A username needs a letter or a digit.")
	}
	for _, r := range u {
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("._-@", r)) {
			return FieldError(EInvalid, "username", "A username may use letters, digits and . _ - @ only.")
		}
	}
	return nil
}

// ParseEmail checks a single bare address (no display name) and lower-cases its domain.
func ParseEmail(in string) (string, bool) {
	in = strings.TrimSpace(in)
	if !isCleanText(in) {
		return "", false
	}
	a, err := mail.ParseAddress(in)
	if err != nil || a.Name != "" || a.Address != in || len(in) > 254 {
		return "", false
	}
	at := strings.LastIndexByte(a.Address, '@')
	if at < 1 || !strings.Contains(a.Address[at:], ".") {
		return "", false
	}
	return a.Address[:at] + strings.ToLower(a.Address[at:]), true
}

// checkNewUser checks everything about a new user that needs no database, and
// reports every field at fault at once. It returns the normalized email.
func checkNewUser(nu NewUser) (string, error) {
	var v checks
	if !nu.Role.Valid() {
		v.add(FieldError(EInvalid, "role", "The role must be provider, admin or staff."))
	} else if (nu.Role == RoleStaff) != (nu.CenterID == 0) {
		v.add(FieldError(EInvalid, "role", "Account managers belong to no center; everyone else belongs to one."))
	}
	v.add(ValidateUsername(nu.Username))
	email, ok := ParseEmail(nu.Email)
	if !ok {
		v.add(FieldError(EInvalidEmail, "email", "Enter one email address, such as name@example.org."))
	}
	v.add(CheckPasswordRules(nu.Password, nu.Username, email))
	return email, v.err()
}

// CreateUser creates a user. Staff may create anyone; a center admin only users
// of their own center (never staff). Errors: invalid_request, weak_password,
// conflict (username taken), forbidden, not_found (center).
func (s *Service) CreateUser(ctx context.Context, actor *User, nu NewUser, c Client) (*User, error) {
	switch {
	case actor.Role == RoleStaff:
	case actor.Role == RoleAdmin && nu.CenterID == actor.CenterID && nu.Role != RoleStaff:
	default:
		return nil, Errorf(EForbidden, "You may not create this user.")
	}
	email, err := checkNewUser(nu)
	if err != nil {
		return nil, err
	}
	if nu.CenterID != 0 {
		if _, err := s.store.CenterByID(ctx, nu.CenterID); errors.Is(err, ErrNotFound) {
			return nil, Errorf(ENotFound, "No such center.")
		} else if err != nil {
			return nil, err
		}
	}
	hash, err := s.hasher.Hash(ctx, nu.Password)
	if err != nil {
		return nil, err
	}
	u := &User{CenterID: nu.CenterID, Username: nu.Username, Email: email, Role: nu.Role, PasswordHash: hash, CreatedAt: s.clock.Now()}
	if err := s.store.CreateUser(ctx, u); errors.Is(err, ErrDuplicate) {
		return nil, FieldError(EConflict, "username", "That username is taken.")
	} else if err != nil {
		return nil, err
	}
	s.audit(ctx, u.CenterID, actor.Username, "user_created", u.Username, c, string(u.Role))
	return u, nil
}

func checkCenterName(name string) error {
	if name == "" || len([]rune(name)) > 100 || !isCleanText(name) {
		return FieldError(EInvalid, "name", "A center name has 1 to 100 characters.")
	}
	return nil
}

// CreateCenter creates a center (account managers only). Errors: invalid_request, conflict, forbidden.
func (s *Service) CreateCenter(ctx context.Context, actor *User, name string, c Client) (*Center, error) {
	if actor.Role != RoleStaff {
		return nil, Errorf(EForbidden, "Only account managers create centers.")
	}
	name = strings.TrimSpace(name)
	if err := checkCenterName(name); err != nil {
		return nil, err
	}
	ctr := &Center{Name: name, GraceLogins: -1, TrustedBrowserDays: DefaultTrustedBrowserDays, CreatedAt: s.clock.Now()}
	if err := s.store.CreateCenter(ctx, ctr); errors.Is(err, ErrDuplicate) {
		return nil, FieldError(EConflict, "name", "A center with that name exists.")
	} else if err != nil {
		return nil, err
	}
	s.audit(ctx, ctr.ID, actor.Username, "center_created", ctr.Name, c, "")
	return ctr, nil
}

// ListCenters lists every center (account managers only).
func (s *Service) ListCenters(ctx context.Context, actor *User) ([]Center, error) {
	if actor.Role != RoleStaff {
		return nil, Errorf(EForbidden, "Only account managers see centers.")
	}
	return s.store.ListCenters(ctx)
}

// Center returns a center by id for an account manager. Errors: not_found, forbidden.
func (s *Service) Center(ctx context.Context, actor *User, id int64) (*Center, error) {
	if actor.Role != RoleStaff {
		return nil, Errorf(EForbidden, "Only account managers see centers.")
	}
	c, err := s.store.CenterByID(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return nil, Errorf(ENotFound, "No such center.")
	}
	return c, err
}

// CenterByName finds a center by name (for the CLI). Errors: not_found.
func (s *Service) CenterByName(ctx context.Context, name string) (*Center, error) {
	if !isCleanText(name) {
		return nil, Errorf(ENotFound, "No center named %q.", name)
	}
	c, err := s.store.CenterByName(ctx, name)
	if errors.Is(err, ErrNotFound) {
		return nil, Errorf(ENotFound, "No center named %q.", name)
	}
	return c, err
}

// SetTwoStepAvailable turns the 2SV beta on or off for a center (R1; account
// managers only). Turning it off keeps stored methods; sign-in stops asking for them.
func (s *Service) SetTwoStepAvailable(ctx context.Context, actor *User, centerID int64, on bool, c Client) (*Center, error) {
	ctr, err := s.Center(ctx, actor, centerID)
	if err != nil {
		return nil, err
	}
	if ctr.TwoStepAvailable == on {
		return ctr, nil
	}
	ctr.TwoStepAvailable = on
	if err := s.store.UpdateCenter(ctx, ctr); err != nil {
		return nil, fmt.Errorf("set beta: %w", err)
	}
	s.audit(ctx, ctr.ID, actor.Username, "beta_changed", ctr.Name, c, fmt.Sprintf("two_step_available=%v", on))
	return ctr, nil
}

// UserByUsername finds a user (for the CLI). Errors: not_found.
func (s *Service) UserByUsername(ctx context.Context, username string) (*User, error) {
	if !isCleanText(username) {
		return nil, Errorf(ENotFound, "No user named %q.", username)
	}
	u, err := s.store.UserByUsername(ctx, username)
	if errors.Is(err, ErrNotFound) {
		return nil, Errorf(ENotFound, "No user named %q.", username)
	}
	return u, err
}

// CountUsers counts all users (first start creates an account manager on zero).
func (s *Service) CountUsers(ctx context.Context) (int, error) { return s.store.CountUsers(ctx) }
