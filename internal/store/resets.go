package store

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/providerportal/portal/internal/twostep"
)

// The reset links' statements: every instance looks at the request queue
// every few seconds, a link is found and used by its token's hash.
const (
	qAnyResetRequest = "SELECT EXISTS (SELECT 1 FROM reset_requests)"
	qTakeResetHead   = "DELETE FROM reset_requests WHERE id IN (SELECT id FROM reset_requests ORDER BY id LIMIT ?"
	qTakeResetTail   = ") RETURNING id, login, language, ip, user_agent, created_at"
	qTakeResets      = qTakeResetHead + qTakeResetTail
	qTakeResetsPG    = qTakeResetHead + " FOR UPDATE SKIP LOCKED" + qTakeResetTail
	qResetUser       = "SELECT user_id FROM password_resets WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?"
	qUseReset        = `UPDATE password_resets SET used_at = ?
		WHERE user_id = ? AND token_hash = ? AND used_at IS NULL AND expires_at > ? RETURNING user_id`
	qPurgeResets = "DELETE FROM password_resets WHERE user_id IN (SELECT user_id FROM password_resets WHERE expires_at <= ? LIMIT ?)"
)

// takeResetsSQL is TakeResetRequests' statement for kind.
func takeResetsSQL(kind string) string {
	if kind == "postgres" {
		return qTakeResetsPG
	}
	return qTakeResets
}

// QueueResetRequest keeps a request for a password-reset link.
func (s *Store) QueueResetRequest(ctx context.Context, r *twostep.ResetRequest) error {
	err := s.writeRow(ctx, `INSERT INTO reset_requests (login, language, ip, user_agent, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id`,
		r.Login, r.Language, r.IP, r.UserAgent, ms(r.CreatedAt)).Scan(&r.ID)
	if err != nil {
		return fmt.Errorf("queue reset request: %w", err)
	}
	return nil
}

// TakeResetRequests deletes and returns up to limit requests, oldest first. A
// row deleted by one caller is returned to that caller only; on PostgreSQL
// rows another instance is taking are skipped rather than waited for.
// An empty queue is found with one read, so an idle instance writes nothing.
func (s *Store) TakeResetRequests(ctx context.Context, limit int) ([]twostep.ResetRequest, error) {
	var waiting bool
	if err := s.queryRow(ctx, qAnyResetRequest).Scan(&waiting); err != nil {
		return nil, fmt.Errorf("take reset requests: %w", err)
	}
	if !waiting {
		return nil, nil
	}
	var out []twostep.ResetRequest
	err := s.writeRows(ctx, s.w, takeResetsSQL(s.kind), []any{limit}, func(row scanner) error {
		var r twostep.ResetRequest
		var created int64
		if err := row.Scan(&r.ID, &r.Login, &r.Language, &r.IP, &r.UserAgent, &created); err != nil {
			return err
		}
		r.CreatedAt = fromMS(created)
		out = append(out, r)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("take reset requests: %w", err)
	}
	return out, nil
}

// PutReset stores the user's reset link, replacing any earlier one.
func (s *Store) PutReset(ctx context.Context, userID int64, hash []byte, created, expires time.Time) error {
	_, err := s.exec(ctx, `INSERT INTO password_resets (user_id, token_hash, created_at, expires_at, used_at) VALUES (?, ?, ?, ?, NULL)
		ON CONFLICT (user_id) DO UPDATE SET token_hash = excluded.token_hash, created_at = excluded.created_at,
			expires_at = excluded.expires_at, used_at = NULL`, userID, hex.EncodeToString(hash), ms(created), ms(expires))
	if err != nil {
		return fmt.Errorf("put reset link: %w", err)
	}
	return nil
}

// ResetUser returns the user of a live link.
func (s *Store) ResetUser(ctx context.Context, hash []byte, now time.Time) (int64, error) {
	var id int64
	err := s.queryRow(ctx, qResetUser, hex.EncodeToString(hash), ms(now)).Scan(&id)
	return id, notFound(err)
}

// UseReset marks a live link used with one conditional update.
func (s *Store) UseReset(ctx context.Context, userID int64, hash []byte, now time.Time) (bool, error) {
	var id int64
	err := s.writeRow(ctx, qUseReset, ms(now), userID, hex.EncodeToString(hash), ms(now)).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("use reset link: %w", err)
	}
	return true, nil
}

// DeleteExpiredResets removes links that expired before before (used ones
// too), in batches.
func (s *Store) DeleteExpiredResets(ctx context.Context, before time.Time) (int64, error) {
	n, err := s.deleteBatches(ctx, qPurgeResets, PurgeOptions{}, ms(before))
	if err != nil {
		return n, fmt.Errorf("delete expired reset links: %w", err)
	}
	return n, nil
}
