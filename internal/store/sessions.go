package store

import (
	"context"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/providerportal/portal/internal/twostep"
)

const sessionCols = "id_hash, user_id, state, selected, created_at, last_seen_at, auth_at, ip, user_agent, amr, reset_hash"

// The sessions' statements: every authenticated request reads one by its hash.
const (
	qCreateSession      = "INSERT INTO sessions (" + sessionCols + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
	qSessionByHash      = "SELECT " + sessionCols + " FROM sessions WHERE id_hash = ?"
	qTouchSession       = "UPDATE sessions SET last_seen_at = ? WHERE id_hash = ?"
	qUpdateSession      = "UPDATE sessions SET state = ?, selected = ?, auth_at = ?, last_seen_at = ?, amr = ? WHERE id_hash = ?"
	qDeleteSession      = "DELETE FROM sessions WHERE id_hash = ?"
	qDeleteUserSessions = "DELETE FROM sessions WHERE user_id = ? AND id_hash <> ?"
	qRevokeUserGrants   = "UPDATE app_grants SET revoked_at = ? WHERE user_id = ? AND revoked_at = 0"
	qListSessions       = "SELECT " + sessionCols + " FROM sessions WHERE user_id = ? ORDER BY last_seen_at DESC"
	qSessionWithUser    = `SELECT s.user_id, s.state, s.selected, s.created_at, s.last_seen_at, s.auth_at, s.ip, s.user_agent, s.amr, s.reset_hash,
		u.id, COALESCE(u.center_id, 0), u.username, u.email, u.role, u.password_hash, u.two_step_on, u.grace_logins_used, u.created_at, u.language, ` + centerJoinCols + `
		FROM sessions s JOIN users u ON u.id = s.user_id LEFT JOIN centers c ON c.id = u.center_id WHERE s.id_hash = ?`
	qRotateSession = "UPDATE sessions SET id_hash = ?, state = ?, selected = ?, auth_at = ?, last_seen_at = ?, amr = ? WHERE id_hash = ?"
)

func scanSession(row interface{ Scan(...any) error }) (*twostep.Session, error) {
	var s twostep.Session
	var idHex, state, selected, resetHex string
	var created, seen, auth int64
	if err := row.Scan(&idHex, &s.UserID, &state, &selected, &created, &seen, &auth, &s.IP, &s.UserAgent, &s.AMR, &resetHex); err != nil {
		return nil, notFound(err)
	}
	s.IDHash, _ = hex.DecodeString(idHex)
	s.ResetHash, _ = hex.DecodeString(resetHex)
	s.State = twostep.SessionState(state)
	s.Selected = twostep.MethodType(selected)
	s.CreatedAt, s.LastSeenAt, s.AuthAt = fromMS(created), fromMS(seen), fromMS(auth)
	return &s, nil
}

// CreateSession inserts a session.
func (s *Store) CreateSession(ctx context.Context, ss *twostep.Session) error {
	err := s.later(ctx, qCreateSession, []any{hex.EncodeToString(ss.IDHash), ss.UserID, string(ss.State), string(ss.Selected),
		ms(ss.CreatedAt), ms(ss.LastSeenAt), ms(ss.AuthAt), ss.IP, ss.UserAgent, ss.AMR, hex.EncodeToString(ss.ResetHash)})
	if err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	return nil
}

// SessionByHash returns a session or twostep.ErrNotFound.
func (s *Store) SessionByHash(ctx context.Context, idHash []byte) (*twostep.Session, error) {
	return scanSession(s.queryRow(ctx, qSessionByHash, hex.EncodeToString(idHash)))
}

// TouchSession records activity.
func (s *Store) TouchSession(ctx context.Context, idHash []byte, at time.Time) error {
	if err := s.later(ctx, qTouchSession, []any{ms(at), hex.EncodeToString(idHash)}); err != nil {
		return fmt.Errorf("touch session: %w", err)
	}
	return nil
}

// UpdateSession saves state, selected method and authentication time.
func (s *Store) UpdateSession(ctx context.Context, ss *twostep.Session) error {
	res, err := s.exec(ctx, qUpdateSession,
		string(ss.State), string(ss.Selected), ms(ss.AuthAt), ms(ss.LastSeenAt), ss.AMR, hex.EncodeToString(ss.IDHash))
	if err != nil {
		return fmt.Errorf("update session: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return twostep.ErrNotFound
	}
	return nil
}

// DeleteSession ends one session.
func (s *Store) DeleteSession(ctx context.Context, idHash []byte) error {
	if err := s.later(ctx, qDeleteSession, []any{hex.EncodeToString(idHash)}); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// DeleteUserSessions ends the user's sessions except keep and, in the same
// transaction, revokes what apps were given for the user (B15, B20: every
// event that ends a person's other sessions ends their apps' tokens too; the
// revocation time is informative only).
func (s *Store) DeleteUserSessions(ctx context.Context, userID int64, keep []byte) error {
	return s.tx(ctx, func(tx *sqlTx) error {
		if _, err := tx.exec(ctx, qDeleteUserSessions, userID, hex.EncodeToString(keep)); err != nil {
			return fmt.Errorf("delete sessions: %w", err)
		}
		if _, err := tx.exec(ctx, qRevokeUserGrants, time.Now().UnixMilli(), userID); err != nil {
			return fmt.Errorf("revoke app grants: %w", err)
		}
		return nil
	})
}

// ListSessions returns the user's sessions, most recently seen first.
func (s *Store) ListSessions(ctx context.Context, userID int64) ([]twostep.Session, error) {
	rows, err := s.query(ctx, qListSessions, userID)
	if err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	defer rows.Close()
	var out []twostep.Session
	for rows.Next() {
		ss, err := scanSession(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *ss)
	}
	return out, rows.Err()
}

// SessionWithUser returns a session with its user and center in one query.
func (s *Store) SessionWithUser(ctx context.Context, idHash []byte) (*twostep.Session, *twostep.User, *twostep.Center, error) {
	row := s.queryRow(ctx, qSessionWithUser, hex.EncodeToString(idHash))
	var ss twostep.Session
	var state, selected, resetHex string
	var created, seen, auth int64
	u, c, err := scanUserCenter(row, &ss.UserID, &state, &selected, &created, &seen, &auth, &ss.IP, &ss.UserAgent, &ss.AMR, &resetHex)
	if err != nil {
		return nil, nil, nil, err
	}
	ss.ResetHash, _ = hex.DecodeString(resetHex)
	ss.IDHash = idHash
	ss.State, ss.Selected = twostep.SessionState(state), twostep.MethodType(selected)
	ss.CreatedAt, ss.LastSeenAt, ss.AuthAt = fromMS(created), fromMS(seen), fromMS(auth)
	return &ss, u, c, nil
}

// RotateSession moves a session to a new id hash, state and selection.
func (s *Store) RotateSession(ctx context.Context, oldHash []byte, ss *twostep.Session) error {
	res, err := s.exec(ctx, qRotateSession,
		hex.EncodeToString(ss.IDHash), string(ss.State), string(ss.Selected), ms(ss.AuthAt), ms(ss.LastSeenAt), ss.AMR, hex.EncodeToString(oldHash))
	if err != nil {
		return fmt.Errorf("rotate session: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return twostep.ErrNotFound
	}
	return nil
}
