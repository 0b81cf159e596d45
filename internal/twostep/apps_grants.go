package twostep

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// AppAuthRequest is an OpenID Connect authorization request on its way from
// an app's /authorize, through the portal's sign-in, to a code that is
// exchanged for tokens at most once.
type AppAuthRequest struct {
	ID            string // 256-bit random: the handle the sign-in pages carry
	AppID         int64
	Params        []byte // the request's parameters, kept as the OpenID adapter wrote them
	CreatedAt     time.Time
	ExpiresAt     time.Time
	UserID        int64 // set once the person is signed in and admitted
	AuthTime      time.Time
	AMR           string
	CodeHash      string
	CodeExpiresAt time.Time
	RedeemedAt    time.Time
	GrantID       string
}

// Done reports whether a person was signed in for the request.
func (r *AppAuthRequest) Done() bool { return r.UserID != 0 }

// AppGrant is what one code gave an app: the family of its access and refresh
// tokens. Revoking the grant ends them all.
type AppGrant struct {
	ID        string
	AppID     int64
	UserID    int64
	Scopes    []string
	AuthTime  time.Time
	AMR       string
	CreatedAt time.Time
	ExpiresAt time.Time // refresh tokens end here (Settings.AppRefreshTTL after the code)
	RevokedAt time.Time
}

// AppToken is an access or refresh token by the hash of its secret part.
type AppToken struct {
	Hash      string
	GrantID   string
	Kind      string // TokenAccess or TokenRefresh
	ExpiresAt time.Time
	UsedAt    time.Time
}

// Token kinds.
const (
	TokenAccess  = "access"
	TokenRefresh = "refresh"
)

// AppTokens are the tokens handed to an app: the access token's id (the
// adapter wraps it), and a refresh token when one was asked for.
type AppTokens struct {
	Grant         *AppGrant
	AccessID      string
	AccessExpires time.Time
	Refresh       string
}

// EInvalidGrant is the OAuth error for a code or refresh token that is unknown,
// expired, used or revoked.
const EInvalidGrant = "invalid_grant"

func invalidGrant(what string) error { return Errorf(EInvalidGrant, "%s", what) }

func secretHash(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// AppSubject is the stable, opaque subject ("sub") of a person for apps:
// derived from their id with the key file, so it says nothing of the id and
// is the same on every instance.
func (s *Service) AppSubject(userID int64) string {
	m := hmac.New(sha256.New, s.keys.Code[:])
	m.Write([]byte("app-subject|" + strconv.FormatInt(userID, 10)))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:16])
}

// PrepareAuthRequest makes an app's authorization request, not yet stored:
// someone signed in already gets a code at once (IssueCodeAtOnce, one write);
// else KeepAuthRequest stores it while they sign in.
func (s *Service) PrepareAuthRequest(app *App, params []byte) *AppAuthRequest {
	now := s.clock.Now()
	return &AppAuthRequest{ID: randomID(32), AppID: app.ID, Params: params, CreatedAt: now, ExpiresAt: now.Add(s.set.AppRequestTTL)}
}

// KeepAuthRequest stores a prepared request while the person signs in.
func (s *Service) KeepAuthRequest(ctx context.Context, r *AppAuthRequest) error {
	if err := s.store.CreateAuthRequest(ctx, r); err != nil {
		return fmt.Errorf("keep authorization request: %w", err)
	}
	return nil
}

// NewAuthRequest prepares and keeps an app's authorization request.
func (s *Service) NewAuthRequest(ctx context.Context, app *App, params []byte) (*AppAuthRequest, error) {
	r := s.PrepareAuthRequest(app, params)
	return r, s.KeepAuthRequest(ctx, r)
}

// IssueCodeAtOnce stores a prepared request as completed by a (judged) session
// with its code, in one write: the way of someone already signed in.
func (s *Service) IssueCodeAtOnce(ctx context.Context, r *AppAuthRequest, a *Auth, app *App, code string, c Client) error {
	now := s.clock.Now()
	r.UserID, r.AuthTime, r.AMR = a.User.ID, a.Session.AuthAt, a.Session.AMR
	r.CodeHash, r.CodeExpiresAt = secretHash(code), now.Add(s.set.AppCodeTTL)
	if err := s.store.CreateAuthRequest(ctx, r); err != nil {
		return fmt.Errorf("issue code: %w", err)
	}
	s.audit(ctx, a.centerID(), a.User.Username, "app_sign_in", app.Name, c, a.Session.AMR)
	return nil
}

// AuthRequest finds a live authorization request. Errors: not_found (unknown or expired).
func (s *Service) AuthRequest(ctx context.Context, id string) (*AppAuthRequest, error) {
	if id == "" || len(id) > 100 {
		return nil, Errorf(ENotFound, "This sign-in request is unknown or too old. Go back to the app and start again.")
	}
	r, err := s.store.AuthRequestByID(ctx, id)
	if errors.Is(err, ErrNotFound) || (err == nil && !s.clock.Now().Before(r.ExpiresAt)) {
		return nil, Errorf(ENotFound, "This sign-in request is unknown or too old. Go back to the app and start again.")
	}
	return r, err
}

// CompleteAuthRequest records who signed in for the request (after JudgeApp
// allowed it). Errors: not_found (expired, or a code was issued already).
func (s *Service) CompleteAuthRequest(ctx context.Context, r *AppAuthRequest, a *Auth, app *App, c Client) error {
	r.UserID, r.AuthTime, r.AMR = a.User.ID, a.Session.AuthAt, a.Session.AMR
	if err := s.store.CompleteAuthRequest(ctx, r, s.clock.Now()); errors.Is(err, ErrNotFound) {
		return Errorf(ENotFound, "This sign-in request is finished or too old. Go back to the app and start again.")
	} else if err != nil {
		return err
	}
	s.audit(ctx, a.centerID(), a.User.Username, "app_sign_in", app.Name, c, a.Session.AMR)
	return nil
}

// SetAuthCode records the code issued for a completed request (only its
// hash), valid for Settings.AppCodeTTL. A request gets one code only.
func (s *Service) SetAuthCode(ctx context.Context, requestID, code string) error {
	now := s.clock.Now()
	if err := s.store.SetAuthCode(ctx, requestID, secretHash(code), now.Add(s.set.AppCodeTTL), now); errors.Is(err, ErrNotFound) {
		return Errorf(ENotFound, "This sign-in request is finished or too old.")
	} else if err != nil {
		return err
	}
	return nil
}

// AuthRequestByCode finds the request a code was issued for. A code used a
// second time revokes what its first use gave (RFC 6749 §4.1.2: it was
// stolen, or replayed). Errors: invalid_grant.
func (s *Service) AuthRequestByCode(ctx context.Context, code string) (*AppAuthRequest, error) {
	if code == "" || len(code) > 2048 {
		return nil, invalidGrant("The code is unknown.")
	}
	r, err := s.store.AuthRequestByCode(ctx, secretHash(code))
	if errors.Is(err, ErrNotFound) {
		return nil, invalidGrant("The code is unknown.")
	} else if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	if !r.RedeemedAt.IsZero() {
		if r.GrantID != "" {
			if err := s.store.RevokeGrant(ctx, r.GrantID, now); err != nil {
				return nil, err
			}
		}
		s.log.WarnContext(ctx, "authorization code used again; its tokens are revoked", "app_id", r.AppID, "user_id", r.UserID)
		return nil, invalidGrant("The code was used already.")
	}
	if !now.Before(r.CodeExpiresAt) {
		return nil, invalidGrant("The code has expired.")
	}
	return r, nil
}

// RedeemCode exchanges a code for tokens, once: the redemption, the grant and
// its first tokens are one transaction whose conditional write lets exactly
// one of any number of concurrent exchanges (on any instance) win.
// Errors: invalid_grant.
func (s *Service) RedeemCode(ctx context.Context, r *AppAuthRequest, scopes []string, withRefresh bool) (*AppTokens, error) {
	now := s.clock.Now()
	g := &AppGrant{ID: randomID(16), AppID: r.AppID, UserID: r.UserID, Scopes: scopes, AuthTime: r.AuthTime, AMR: r.AMR,
		CreatedAt: now, ExpiresAt: now.Add(s.set.AppRefreshTTL)}
	out := &AppTokens{Grant: g}
	err := s.store.Atomically(ctx, func(st Store) error {
		ok, err := st.RedeemAuthCode(ctx, r.ID, g.ID, now)
		if err != nil {
			return err
		}
		if !ok {
			return invalidGrant("The code was used already or has expired.")
		}
		if err := st.CreateGrant(ctx, g); err != nil {
			return err
		}
		return s.issueTokens(ctx, st, g, withRefresh, now, out)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// issueTokens adds an access token (and a refresh token) to a grant.
func (s *Service) issueTokens(ctx context.Context, st Store, g *AppGrant, withRefresh bool, now time.Time, out *AppTokens) error {
	out.AccessID, out.AccessExpires = randomID(32), now.Add(s.set.AppTokenTTL)
	toks := []AppToken{{Hash: secretHash(out.AccessID), GrantID: g.ID, Kind: TokenAccess, ExpiresAt: out.AccessExpires}}
	if withRefresh {
		out.Refresh = randomID(32)
		toks = append(toks, AppToken{Hash: secretHash(out.Refresh), GrantID: g.ID, Kind: TokenRefresh, ExpiresAt: g.ExpiresAt})
	}
	return st.CreateTokens(ctx, toks)
}
