package twostep

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"time"
)

// Auth is an authenticated request: the session, its user and the user's center
// (nil for account managers).
type Auth struct {
	Token   string
	Session *Session
	User    *User
	Center  *Center
}

// Access is what a route needs of a session.
type Access int

// Access levels, from the least to the most.
const (
	AccessSignIn Access = iota // the sign-in calls: send-code, verify, logout, session
	AccessSetup                // method setup and reading My Account (setup_required allowed)
	AccessFull                 // everything else
)

// Allow applies the session-state rules: a session waiting for its second step
// reaches only the sign-in calls; one that must set up 2SV only setup and My Account.
func (a *Auth) Allow(need Access) error {
	switch a.Session.State {
	case StateTwoStep:
		if need > AccessSignIn {
			return Errorf(ETwoStepPending, "Finish signing in with your second step first.")
		}
	case StateSetupRequired:
		if need > AccessSetup {
			return Errorf(ETwoStepSetupRequired, "Your center requires 2-Step Verification. Set up a verified method to continue.")
		}
	case StateChoosePassword:
		if need > AccessSignIn {
			return Errorf(EForbidden, "Choose your new password first.")
		}
	}
	return nil
}

// centerID is the center of the signed-in user (0 for account managers).
func (a *Auth) centerID() int64 {
	if a.User == nil {
		return 0
	}
	return a.User.CenterID
}

const tokenBytes = 32

func newToken() (token string, hash []byte) {
	b := make([]byte, tokenBytes)
	rand.Read(b)
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, hashToken(token)
}

func hashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// touchEvery limits how often a session's last-seen time is written.
const touchEvery = time.Minute

// Authenticate finds the session of token, enforcing idle and absolute timeouts.
// It returns an unauthenticated *Error when there is none.
func (s *Service) Authenticate(ctx context.Context, token string) (*Auth, error) {
	noSession := Errorf(EUnauthenticated, "Please sign in.")
	if len(token) != base64.RawURLEncoding.EncodedLen(tokenBytes) {
		return nil, noSession
	}
	hash := hashToken(token)
	ss, u, center, err := s.store.SessionWithUser(ctx, hash)
	if errors.Is(err, ErrNotFound) {
		return nil, noSession
	}
	if err != nil {
		return nil, fmt.Errorf("authenticate: %w", err)
	}
	now := s.clock.Now()
	if now.Sub(ss.LastSeenAt) > s.set.SessionIdle || now.Sub(ss.CreatedAt) > s.set.SessionAbsolute {
		if err := s.store.DeleteSession(ctx, hash); err != nil {
			return nil, fmt.Errorf("end expired session: %w", err)
		}
		return nil, Errorf(EUnauthenticated, "Your session has ended. Please sign in again.")
	}
	a := &Auth{Token: token, Session: ss, User: u, Center: s.policyCenter(u, center)}
	if now.Sub(ss.LastSeenAt) >= touchEvery {
		ss.LastSeenAt = now
		if err := s.store.TouchSession(ctx, hash, now); err != nil {
			return nil, fmt.Errorf("touch session: %w", err)
		}
	}
	return a, nil
}

// Logout ends the session of token (if any).
func (s *Service) Logout(ctx context.Context, a *Auth, c Client) error {
	if a == nil {
		return nil
	}
	if err := s.store.DeleteSession(ctx, a.Session.IDHash); err != nil {
		return fmt.Errorf("logout: %w", err)
	}
	s.audit(ctx, a.centerID(), a.User.Username, "logout", a.User.Username, c, "")
	return nil
}

// startSession creates a session with a fresh id for u, after the password.
func (s *Service) startSession(ctx context.Context, u *User, state SessionState, selected MethodType, c Client) (*Auth, error) {
	return s.newSession(ctx, u, state, selected, AMRPassword, c)
}

// newSession creates a session with a fresh id for u, who signed in as amr says.
func (s *Service) newSession(ctx context.Context, u *User, state SessionState, selected MethodType, amr string, c Client) (*Auth, error) {
	token, hash := newToken()
	now := s.clock.Now()
	ss := &Session{IDHash: hash, UserID: u.ID, State: state, Selected: selected, CreatedAt: now, LastSeenAt: now, AuthAt: now,
		IP: cleanText(c.IP, 64), UserAgent: cleanText(c.UserAgent, 256), AMR: amr}
	if err := s.store.CreateSession(ctx, ss); err != nil {
		return nil, err
	}
	return &Auth{Token: token, Session: ss, User: u}, nil
}

// rotate gives the session a new id (privilege change) in the given state. A
// password-reset session is never signed in: past its second step it may
// only choose the new password (B21).
func (s *Service) rotate(ctx context.Context, a *Auth, state SessionState, c Client) error {
	if a.Session.Resetting() && state == StateSignedIn {
		state = StateChoosePassword
	}
	token, hash := newToken()
	now := s.clock.Now()
	fresh := *a.Session
	fresh.IDHash, fresh.State, fresh.Selected, fresh.LastSeenAt = hash, state, "", now
	if err := s.store.RotateSession(ctx, a.Session.IDHash, &fresh); err != nil {
		return fmt.Errorf("rotate session: %w", err)
	}
	a.Token, a.Session = token, &fresh
	return nil
}

// SessionView is one of the user's sessions as My Account lists it.
type SessionView struct {
	ID         string
	CreatedAt  time.Time
	LastSeenAt time.Time
	IP         string
	UserAgent  string
	Current    bool
}

// Sessions lists the user's active sessions (B15). IDs are opaque handles derived
// from the stored hash, never the session id itself.
func (s *Service) Sessions(ctx context.Context, a *Auth) ([]SessionView, error) {
	list, err := s.store.ListSessions(ctx, a.User.ID)
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	out := []SessionView{}
	for _, ss := range list {
		if now.Sub(ss.LastSeenAt) > s.set.SessionIdle || now.Sub(ss.CreatedAt) > s.set.SessionAbsolute {
			continue
		}
		out = append(out, SessionView{ID: base64.RawURLEncoding.EncodeToString(ss.IDHash[:9]), CreatedAt: ss.CreatedAt, LastSeenAt: ss.LastSeenAt,
			IP: ss.IP, UserAgent: ss.UserAgent, Current: string(ss.IDHash) == string(a.Session.IDHash)})
	}
	return out, nil
}

// RevokeOtherSessions signs out every other session of the user.
func (s *Service) RevokeOtherSessions(ctx context.Context, a *Auth, c Client) error {
	if err := s.store.DeleteUserSessions(ctx, a.User.ID, a.Session.IDHash); err != nil {
		return err
	}
	s.audit(ctx, a.centerID(), a.User.Username, "sessions_revoked", a.User.Username, c, "")
	return nil
}
