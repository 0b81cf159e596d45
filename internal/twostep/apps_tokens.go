package twostep

import (
	"context"
	"errors"
)

// GrantedSignIn is a grant with the person it is for, as of now.
type GrantedSignIn struct {
	Token  *AppToken
	Grant  *AppGrant
	User   *User
	Center *Center // the policy center: nil only for someone without one
}

// RefreshGrant finds the grant of a refresh token that may be used now: unused,
// unexpired, unrevoked, for a person the app still admits. A refresh token used
// a second time revokes its whole grant (it was stolen or replayed).
// Errors: invalid_grant.
func (s *Service) RefreshGrant(ctx context.Context, refresh string) (*GrantedSignIn, error) {
	return s.tokenSignIn(ctx, refresh, TokenRefresh)
}

// AccessSignIn finds the grant of a live access token. Errors: invalid_grant.
func (s *Service) AccessSignIn(ctx context.Context, accessID string) (*GrantedSignIn, error) {
	return s.tokenSignIn(ctx, accessID, TokenAccess)
}

func (s *Service) tokenSignIn(ctx context.Context, secret, kind string) (*GrantedSignIn, error) {
	dead := invalidGrant("The token is unknown, expired or revoked.")
	if secret == "" || len(secret) > 200 {
		return nil, dead
	}
	tok, g, u, ctr, err := s.store.TokenGrant(ctx, secretHash(secret))
	if errors.Is(err, ErrNotFound) {
		return nil, dead
	} else if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	if tok.Kind != kind || !g.RevokedAt.IsZero() || !now.Before(tok.ExpiresAt) || !now.Before(g.ExpiresAt) {
		return nil, dead
	}
	if !tok.UsedAt.IsZero() {
		if err := s.store.RevokeGrant(ctx, g.ID, now); err != nil {
			return nil, err
		}
		s.log.WarnContext(ctx, "refresh token used again; its grant is revoked", "app_id", g.AppID, "user_id", g.UserID)
		return nil, dead
	}
	if kind == TokenRefresh {
		app, err := s.AppByID(ctx, g.AppID)
		if ErrorCode(err) == ENotFound {
			return nil, dead
		} else if err != nil {
			return nil, err
		}
		if !app.Admits(u) {
			return nil, invalidGrant("The app no longer admits this person.")
		}
	}
	return &GrantedSignIn{Token: tok, Grant: g, User: u, Center: s.policyCenter(u, ctr)}, nil
}

// RotateRefresh uses a refresh token once and issues its successors, in one
// transaction. Losing a race for the same token counts as reuse: the grant is
// revoked. Errors: invalid_grant.
func (s *Service) RotateRefresh(ctx context.Context, g *AppGrant, refresh string) (*AppTokens, error) {
	now := s.clock.Now()
	out := &AppTokens{Grant: g}
	reused := errors.New("reused")
	err := s.store.Atomically(ctx, func(st Store) error {
		ok, err := st.UseRefreshToken(ctx, secretHash(refresh), g.ID, now)
		if err != nil {
			return err
		}
		if !ok {
			return reused
		}
		return s.issueTokens(ctx, st, g, true, now, out)
	})
	if errors.Is(err, reused) {
		if err := s.store.RevokeGrant(ctx, g.ID, now); err != nil {
			return nil, err
		}
		s.log.WarnContext(ctx, "refresh token used twice at once; its grant is revoked", "app_id", g.AppID, "user_id", g.UserID)
		return nil, invalidGrant("The refresh token was used already.")
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// RevokeAppToken revokes the grant of an access or refresh token issued to
// app (RFC 7009: a token of another app, or an unknown one, changes nothing).
func (s *Service) RevokeAppToken(ctx context.Context, app *App, secret string) error {
	if secret == "" || len(secret) > 200 {
		return nil
	}
	_, g, _, _, err := s.store.TokenGrant(ctx, secretHash(secret))
	if errors.Is(err, ErrNotFound) || (err == nil && g.AppID != app.ID) {
		return nil
	}
	if err != nil {
		return err
	}
	return s.store.RevokeGrant(ctx, g.ID, s.clock.Now())
}

// EndAppSignIns revokes every grant of a person for an app (appID 0: for every
// app), as when they sign out through the app.
func (s *Service) EndAppSignIns(ctx context.Context, userID, appID int64) error {
	return s.store.RevokeUserGrants(ctx, userID, appID, s.clock.Now())
}
