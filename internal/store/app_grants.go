package store

import (
	"context"
	"database/sql"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/providerportal/portal/internal/twostep"
)

const authRequestCols = "id, app_id, params, created_at, expires_at, COALESCE(user_id, 0), auth_time, amr, COALESCE(code_hash, ''), code_expires_at, redeemed_at, grant_id"

func scanAuthRequest(row scanner) (*twostep.AppAuthRequest, error) {
	var r twostep.AppAuthRequest
	var params string
	var created, expires, authTime, codeExpires, redeemed int64
	if err := row.Scan(&r.ID, &r.AppID, &params, &created, &expires, &r.UserID, &authTime, &r.AMR, &r.CodeHash, &codeExpires, &redeemed, &r.GrantID); err != nil {
		return nil, notFound(err)
	}
	r.Params = []byte(params)
	r.CreatedAt, r.ExpiresAt, r.AuthTime = fromMS(created), fromMS(expires), fromMS(authTime)
	r.CodeExpiresAt, r.RedeemedAt = fromMS(codeExpires), fromMS(redeemed)
	return &r, nil
}

// CreateAuthRequest keeps an authorization request (completed, with its
// code, when the person was signed in already).
func (s *Store) CreateAuthRequest(ctx context.Context, r *twostep.AppAuthRequest) error {
	var user, code any
	if r.UserID != 0 {
		user = r.UserID
	}
	if r.CodeHash != "" {
		code = r.CodeHash
	}
	_, err := s.exec(ctx, `INSERT INTO app_auth_requests (id, app_id, params, created_at, expires_at, user_id, auth_time, amr, code_hash, code_expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ID, r.AppID, string(r.Params), ms(r.CreatedAt), ms(r.ExpiresAt), user, ms(r.AuthTime), r.AMR, code, ms(r.CodeExpiresAt))
	if err != nil {
		return fmt.Errorf("create auth request: %w", err)
	}
	return nil
}

// The apps' hot statements (an app's sign-in: request, code, token exchange,
// refresh) and periodic ones (expired requests, tokens and grants, in batches).
const (
	qAuthRequestByID   = "SELECT " + authRequestCols + " FROM app_auth_requests WHERE id = ?"
	qAuthRequestByCode = "SELECT " + authRequestCols + " FROM app_auth_requests WHERE code_hash = ?"
	qCompleteAuthReq   = "UPDATE app_auth_requests SET user_id = ?, auth_time = ?, amr = ? WHERE id = ? AND code_hash IS NULL AND expires_at > ?"
	qSetAuthCode       = "UPDATE app_auth_requests SET code_hash = ?, code_expires_at = ? WHERE id = ? AND user_id IS NOT NULL AND code_hash IS NULL AND expires_at > ?"
	qRedeemAuthCode    = "UPDATE app_auth_requests SET redeemed_at = ?, grant_id = ? WHERE id = ? AND redeemed_at = 0 AND code_hash IS NOT NULL AND code_expires_at > ?"
	qTokenGrant        = `SELECT t.hash, t.grant_id, t.kind, t.expires_at, t.used_at,
		g.id, g.app_id, g.user_id, g.scopes, g.auth_time, g.amr, g.created_at, g.expires_at, g.revoked_at,
		u.id, COALESCE(u.center_id, 0), u.username, u.email, u.role, u.password_hash, u.two_step_on, u.grace_logins_used, u.created_at, u.language, ` + centerJoinCols + `
		FROM app_tokens t JOIN app_grants g ON g.id = t.grant_id JOIN users u ON u.id = g.user_id LEFT JOIN centers c ON c.id = u.center_id
		WHERE t.hash = ?`
	qUseRefreshToken   = "UPDATE app_tokens SET used_at = ? WHERE hash = ? AND grant_id = ? AND kind = 'refresh' AND used_at = 0 AND expires_at > ?"
	qRevokeGrant       = "UPDATE app_grants SET revoked_at = ? WHERE id = ? AND revoked_at = 0"
	qPurgeAuthRequests = "DELETE FROM app_auth_requests WHERE id IN (SELECT id FROM app_auth_requests WHERE expires_at < ? AND code_expires_at < ? LIMIT ?)"
	qPurgeAppTokens    = "DELETE FROM app_tokens WHERE hash IN (SELECT hash FROM app_tokens WHERE expires_at < ? LIMIT ?)"
	qPurgeAppGrants    = "DELETE FROM app_grants WHERE id IN (SELECT id FROM app_grants WHERE expires_at < ? LIMIT ?)"
	qPurgeSigningKeys  = "DELETE FROM signing_keys WHERE retired_at > 0 AND retired_at < ?"
)

// AuthRequestByID returns an authorization request or twostep.ErrNotFound.
func (s *Store) AuthRequestByID(ctx context.Context, id string) (*twostep.AppAuthRequest, error) {
	return scanAuthRequest(s.queryRow(ctx, qAuthRequestByID, id))
}

// AuthRequestByCode returns the request a code (by its hash) was issued for.
func (s *Store) AuthRequestByCode(ctx context.Context, codeHash string) (*twostep.AppAuthRequest, error) {
	return scanAuthRequest(s.queryRow(ctx, qAuthRequestByCode, codeHash))
}

// changedOne turns an update's outcome into ErrNotFound when it changed nothing.
func changedOne(res sql.Result, err error, what string) error {
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return twostep.ErrNotFound
	}
	return nil
}

// CompleteAuthRequest records who signed in, while the request is live and has no code.
func (s *Store) CompleteAuthRequest(ctx context.Context, r *twostep.AppAuthRequest, now time.Time) error {
	res, err := s.exec(ctx, qCompleteAuthReq, r.UserID, ms(r.AuthTime), r.AMR, r.ID, ms(now))
	return changedOne(res, err, "complete auth request")
}

// SetAuthCode records a completed request's one code.
func (s *Store) SetAuthCode(ctx context.Context, id, codeHash string, expires, now time.Time) error {
	res, err := s.exec(ctx, qSetAuthCode, codeHash, ms(expires), id, ms(now))
	return changedOne(res, err, "set auth code")
}

// RedeemAuthCode marks a code redeemed with one conditional update: of any
// number of concurrent callers, on any instance, one changes the row.
func (s *Store) RedeemAuthCode(ctx context.Context, id, grantID string, now time.Time) (bool, error) {
	res, err := s.exec(ctx, qRedeemAuthCode, ms(now), grantID, id, ms(now))
	if err != nil {
		return false, fmt.Errorf("redeem code: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// CreateGrant inserts a grant.
func (s *Store) CreateGrant(ctx context.Context, g *twostep.AppGrant) error {
	_, err := s.exec(ctx, `INSERT INTO app_grants (id, app_id, user_id, scopes, auth_time, amr, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, g.ID, g.AppID, g.UserID, strings.Join(g.Scopes, " "), ms(g.AuthTime), g.AMR, ms(g.CreatedAt), ms(g.ExpiresAt))
	if err != nil {
		return fmt.Errorf("create grant: %w", err)
	}
	return nil
}

// CreateTokens inserts tokens in one transaction.
func (s *Store) CreateTokens(ctx context.Context, toks []twostep.AppToken) error {
	return s.tx(ctx, func(tx *sqlTx) error {
		for _, t := range toks {
			if _, err := tx.exec(ctx, "INSERT INTO app_tokens (hash, grant_id, kind, expires_at) VALUES (?, ?, ?, ?)",
				t.Hash, t.GrantID, t.Kind, ms(t.ExpiresAt)); err != nil {
				return fmt.Errorf("create token: %w", err)
			}
		}
		return nil
	})
}

// TokenGrant returns a token, its grant, the grant's person and their center in one read.
func (s *Store) TokenGrant(ctx context.Context, hash string) (*twostep.AppToken, *twostep.AppGrant, *twostep.User, *twostep.Center, error) {
	row := s.queryRow(ctx, qTokenGrant, hash)
	var t twostep.AppToken
	var g twostep.AppGrant
	var tExp, tUsed, gAuth, gCreated, gExp, gRevoked int64
	var scopes string
	u, c, err := scanUserCenter(row, &t.Hash, &t.GrantID, &t.Kind, &tExp, &tUsed,
		&g.ID, &g.AppID, &g.UserID, &scopes, &gAuth, &g.AMR, &gCreated, &gExp, &gRevoked)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	t.ExpiresAt, t.UsedAt = fromMS(tExp), fromMS(tUsed)
	g.Scopes = strings.Fields(scopes)
	g.AuthTime, g.CreatedAt, g.ExpiresAt, g.RevokedAt = fromMS(gAuth), fromMS(gCreated), fromMS(gExp), fromMS(gRevoked)
	return &t, &g, u, c, nil
}

// UseRefreshToken marks a refresh token used with one conditional update.
func (s *Store) UseRefreshToken(ctx context.Context, hash, grantID string, now time.Time) (bool, error) {
	res, err := s.exec(ctx, qUseRefreshToken, ms(now), hash, grantID, ms(now))
	if err != nil {
		return false, fmt.Errorf("use refresh token: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// RevokeGrant revokes a grant and so every token of its family.
func (s *Store) RevokeGrant(ctx context.Context, grantID string, now time.Time) error {
	if _, err := s.exec(ctx, qRevokeGrant, ms(now), grantID); err != nil {
		return fmt.Errorf("revoke grant: %w", err)
	}
	return nil
}

// RevokeUserGrants revokes a person's live grants for an app (0: every app).
func (s *Store) RevokeUserGrants(ctx context.Context, userID, appID int64, now time.Time) error {
	q, args := "UPDATE app_grants SET revoked_at = ? WHERE user_id = ? AND revoked_at = 0", []any{ms(now), userID}
	if appID != 0 {
		q, args = q+" AND app_id = ?", append(args, appID)
	}
	if _, err := s.exec(ctx, q, args...); err != nil {
		return fmt.Errorf("revoke grants: %w", err)
	}
	return nil
}

// SigningKeys returns every stored signing key, newest first.
func (s *Store) SigningKeys(ctx context.Context) ([]twostep.SigningKey, error) {
	rows, err := s.query(ctx, "SELECT id, algorithm, private_key, public_key, created_at, retired_at FROM signing_keys ORDER BY created_at DESC, id")
	if err != nil {
		return nil, fmt.Errorf("signing keys: %w", err)
	}
	defer rows.Close()
	var out []twostep.SigningKey
	for rows.Next() {
		var k twostep.SigningKey
		var priv, pub string
		var created, retired int64
		if err := rows.Scan(&k.ID, &k.Algorithm, &priv, &pub, &created, &retired); err != nil {
			return nil, err
		}
		k.Private, k.Public = []byte(priv), fromB64(pub)
		k.CreatedAt, k.RetiredAt = fromMS(created), fromMS(retired)
		out = append(out, k)
	}
	return out, rows.Err()
}

// AddSigningKey stores k as the active key, retiring the current one when asked.
func (s *Store) AddSigningKey(ctx context.Context, k *twostep.SigningKey, retire bool) error {
	err := s.tx(ctx, func(tx *sqlTx) error {
		if retire {
			if _, err := tx.exec(ctx, "UPDATE signing_keys SET retired_at = ? WHERE retired_at = 0", ms(k.CreatedAt)); err != nil {
				return err
			}
		}
		_, err := tx.exec(ctx, "INSERT INTO signing_keys (id, algorithm, private_key, public_key, created_at) VALUES (?, ?, ?, ?, ?)",
			k.ID, k.Algorithm, string(k.Private), toB64(k.Public), ms(k.CreatedAt))
		return err
	})
	if isUnique(err) {
		return twostep.ErrDuplicate
	}
	if err != nil {
		return fmt.Errorf("add signing key: %w", err)
	}
	return nil
}

// DeleteExpiredAppData deletes expired requests, tokens and grants (in
// batches), and keys retired before keysBefore.
func (s *Store) DeleteExpiredAppData(ctx context.Context, now, keysBefore time.Time) (int64, error) {
	var total int64
	for _, st := range []struct {
		q    string
		args []any
	}{
		{qPurgeAuthRequests, []any{ms(now), ms(now)}},
		{qPurgeAppTokens, []any{ms(now)}},
		// A grant's remaining tokens go with it (ON DELETE CASCADE).
		{qPurgeAppGrants, []any{ms(now)}},
	} {
		n, err := s.deleteBatches(ctx, st.q, PurgeOptions{}, st.args...)
		total += n
		if err != nil {
			return total, fmt.Errorf("delete expired app data: %w", err)
		}
	}
	// A few keys a year: no batches needed.
	res, err := s.exec(ctx, qPurgeSigningKeys, ms(keysBefore))
	if err != nil {
		return total, fmt.Errorf("delete retired signing keys: %w", err)
	}
	n, _ := res.RowsAffected()
	return total + n, nil
}

func toB64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func fromB64(s string) []byte {
	b, _ := base64.StdEncoding.DecodeString(s)
	return b
}
