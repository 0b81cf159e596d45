package twostep

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// NewApp is what it takes to register an app. Exactly one of RedirectURIs (an
// OpenID Connect client) and Hosts (forward auth) is given.
type NewApp struct {
	Name           string
	RedirectURIs   []string
	PostLogoutURIs []string
	Public         bool
	Hosts          []string
	Centers        []string // center names; none: every center
	Roles          []Role   // nil: every role (an empty list is refused)
	RequireTwoStep *bool    // nil: required (the default)
}

// CreateApp registers an app (account managers only). For a confidential
// OpenID Connect client it returns the client secret, which is shown this once
// and stored only as a hash. Errors: invalid_request, conflict (name, client or
// host taken), not_found (a center), forbidden.
func (s *Service) CreateApp(ctx context.Context, actor *User, na NewApp, c Client) (*App, string, error) {
	if actor.Role != RoleStaff {
		return nil, "", Errorf(EForbidden, "Only account managers register apps.")
	}
	app := &App{Name: strings.TrimSpace(na.Name), Public: na.Public, RequireTwoStep: na.RequireTwoStep == nil || *na.RequireTwoStep,
		CreatedAt: s.clock.Now()}
	if app.Name == "" || len([]rune(app.Name)) > 100 || !isCleanText(app.Name) {
		return nil, "", FieldError(EInvalid, "name", "An app name has 1 to 100 characters.")
	}
	switch {
	case len(na.RedirectURIs) > 0 && len(na.Hosts) > 0:
		return nil, "", FieldError(EInvalid, "hosts", "An app is either an OpenID Connect client (redirect URIs) or a forward-auth host, not both.")
	case len(na.RedirectURIs) == 0 && len(na.Hosts) == 0:
		return nil, "", FieldError(EInvalid, "redirect_uris", "Give the app's redirect URIs (OpenID Connect) or its forward-auth host.")
	case len(na.RedirectURIs) > maxAppURIs || len(na.PostLogoutURIs) > maxAppURIs:
		return nil, "", FieldError(EInvalid, "redirect_uris", fmt.Sprintf("An app has at most %d redirect URIs.", maxAppURIs))
	case len(na.Hosts) > maxAppHosts:
		return nil, "", FieldError(EInvalid, "hosts", fmt.Sprintf("An app has at most %d hosts.", maxAppHosts))
	case len(na.Hosts) > 0 && (na.Public || len(na.PostLogoutURIs) > 0):
		return nil, "", FieldError(EInvalid, "public", "Public clients and post-logout URIs are for OpenID Connect clients.")
	}
	for _, raw := range na.RedirectURIs {
		u, err := checkRedirectURI(raw, na.Public, "redirect_uris")
		if err != nil {
			return nil, "", err
		}
		if !slices.Contains(app.RedirectURIs, u) {
			app.RedirectURIs = append(app.RedirectURIs, u)
		}
	}
	for _, raw := range na.PostLogoutURIs {
		u, err := checkRedirectURI(raw, na.Public, "post_logout_redirect_uris")
		if err != nil {
			return nil, "", err
		}
		if !slices.Contains(app.PostLogoutURIs, u) {
			app.PostLogoutURIs = append(app.PostLogoutURIs, u)
		}
	}
	for _, raw := range na.Hosts {
		h, err := NormalizeHost(raw)
		if err != nil {
			return nil, "", err
		}
		if !slices.Contains(app.Hosts, h) {
			app.Hosts = append(app.Hosts, h)
		}
	}
	for _, name := range na.Centers {
		if strings.TrimSpace(name) == "" {
			continue
		}
		ctr, err := s.store.CenterByName(ctx, strings.TrimSpace(name))
		if errors.Is(err, ErrNotFound) {
			return nil, "", FieldError(ENotFound, "centers", fmt.Sprintf("There is no center named %q.", cleanText(name, 100)))
		} else if err != nil {
			return nil, "", err
		}
		if !slices.Contains(app.Centers, ctr.ID) {
			app.Centers = append(app.Centers, ctr.ID)
		}
	}
	if na.Roles != nil && len(na.Roles) == 0 {
		return nil, "", FieldError(EInvalid, "roles", "Choose at least one role that may use the app.")
	}
	for _, r := range AllRoles { // keep display order, drop duplicates
		if len(na.Roles) == 0 || slices.Contains(na.Roles, r) {
			app.Roles = append(app.Roles, r)
		}
	}
	for _, r := range na.Roles {
		if !r.Valid() {
			return nil, "", FieldError(EInvalid, "roles", fmt.Sprintf("Unknown role %q (use provider, admin, staff).", cleanText(string(r), 40)))
		}
	}
	secret := ""
	if len(app.RedirectURIs) > 0 {
		app.ClientID = randomID(16)
		if !app.Public {
			secret = randomID(32)
			app.SecretHash = hashSecret(secret)
		}
	}
	if err := s.store.CreateApp(ctx, app); errors.Is(err, ErrDuplicate) {
		return nil, "", FieldError(EConflict, "name", "An app with that name, or one protecting that host, exists already.")
	} else if err != nil {
		return nil, "", fmt.Errorf("create app: %w", err)
	}
	s.apps.forget()
	s.audit(ctx, 0, actor.Username, "app_created", app.Name, c, app.describe())
	return app, secret, nil
}

// describe is an app's registration for the audit log (never its secret).
func (a *App) describe() string {
	parts := []string{}
	if a.IsOIDC() {
		kind := "confidential"
		if a.Public {
			kind = "public"
		}
		parts = append(parts, "oidc="+kind, "redirect_uris="+strings.Join(a.RedirectURIs, " "))
	} else {
		parts = append(parts, "hosts="+strings.Join(a.Hosts, ","))
	}
	roles := make([]string, len(a.Roles))
	for i, r := range a.Roles {
		roles[i] = string(r)
	}
	centers := "all"
	if len(a.Centers) > 0 {
		ids := make([]string, len(a.Centers))
		for i, id := range a.Centers {
			ids[i] = fmt.Sprint(id)
		}
		centers = strings.Join(ids, ",")
	}
	parts = append(parts, "roles="+strings.Join(roles, ","), "centers="+centers, fmt.Sprintf("require_two_step=%v", a.RequireTwoStep))
	return cleanText(strings.Join(parts, " "), 1000)
}

// randomID returns n random bytes in base64url.
func randomID(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// ListApps lists the registered apps by name (account managers only).
func (s *Service) ListApps(ctx context.Context, actor *User) ([]App, error) {
	if actor.Role != RoleStaff {
		return nil, Errorf(EForbidden, "Only account managers see apps.")
	}
	return s.store.ListApps(ctx)
}

// DeleteApp removes an app with its sign-ins in progress and its tokens
// (account managers only). Errors: not_found, forbidden.
func (s *Service) DeleteApp(ctx context.Context, actor *User, name string, c Client) error {
	if actor.Role != RoleStaff {
		return Errorf(EForbidden, "Only account managers remove apps.")
	}
	app, err := s.store.AppByName(ctx, strings.TrimSpace(name))
	if errors.Is(err, ErrNotFound) {
		return Errorf(ENotFound, "There is no app named %q.", cleanText(name, 100))
	} else if err != nil {
		return err
	}
	if err := s.store.DeleteApp(ctx, app.ID); err != nil {
		return fmt.Errorf("delete app: %w", err)
	}
	s.apps.forget()
	s.audit(ctx, 0, actor.Username, "app_deleted", app.Name, c, "")
	return nil
}

// AppByClientID finds an OpenID Connect client (from the apps cache).
// Errors: not_found.
func (s *Service) AppByClientID(ctx context.Context, clientID string) (*App, error) {
	idx, err := s.apps.index(ctx, s)
	if err != nil {
		return nil, err
	}
	if app := idx.byClient[clientID]; app != nil && clientID != "" {
		return app, nil
	}
	return nil, Errorf(ENotFound, "No such app.")
}

// AppByID finds an app (from the apps cache). Errors: not_found.
func (s *Service) AppByID(ctx context.Context, id int64) (*App, error) {
	idx, err := s.apps.index(ctx, s)
	if err != nil {
		return nil, err
	}
	if app := idx.byID[id]; app != nil {
		return app, nil
	}
	return nil, Errorf(ENotFound, "No such app.")
}

// AppPerson is what apps are told of a person.
type AppPerson struct {
	User          *User
	CenterName    string // empty for account managers
	EmailVerified bool   // the account email is also a verified email method
}

// AppPerson reads a person for an app's claims. Errors: not_found.
func (s *Service) AppPerson(ctx context.Context, userID int64) (*AppPerson, error) {
	u, err := s.store.UserByID(ctx, userID)
	if errors.Is(err, ErrNotFound) {
		return nil, Errorf(ENotFound, "No such person.")
	} else if err != nil {
		return nil, err
	}
	var ctr *Center
	if u.CenterID != 0 {
		if ctr, err = s.store.CenterByID(ctx, u.CenterID); err != nil {
			return nil, err
		}
	}
	return s.appPerson(ctx, u, ctr)
}

// SignedInPerson is AppPerson for the person of a grant (read with it).
func (s *Service) SignedInPerson(ctx context.Context, in *GrantedSignIn) (*AppPerson, error) {
	return s.appPerson(ctx, in.User, in.Center)
}

func (s *Service) appPerson(ctx context.Context, u *User, ctr *Center) (*AppPerson, error) {
	p := &AppPerson{User: u}
	if ctr != nil && !ctr.IsStaffPolicy() {
		p.CenterName = ctr.Name
	}
	ms, err := s.store.Methods(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	for _, m := range ms {
		if m.Type == MethodEmail && m.Verified() && strings.EqualFold(m.Label, u.Email) {
			p.EmailVerified = true
		}
	}
	return p, nil
}

// CenterNames maps center ids to names, for showing an app's centers.
func (s *Service) CenterNames(ctx context.Context, actor *User) (map[int64]string, error) {
	list, err := s.ListCenters(ctx, actor)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]string, len(list))
	for _, c := range list {
		out[c.ID] = c.Name
	}
	return out, nil
}
