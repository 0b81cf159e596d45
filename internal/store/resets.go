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
func (s *Store) TakeResetRequests(ctx context.Context, limit int) ([]twostep.ResetRequest, error) {
	lock := ""
	if s.kind == "postgres" {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	var out []twostep.ResetRequest
	err := s.tx(ctx, func(t *sqlTx) error {
		out = out[:0]
		rows, err := t.query(ctx, `DELETE FROM reset_requests WHERE id IN (SELECT id FROM reset_requests ORDER BY id LIMIT ?`+lock+`)
			RETURNING id, login, language, ip, user_agent, created_at`, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var r twostep.ResetRequest
			var created int64
			if err := rows.Scan(&r.ID, &r.Login, &r.Language, &r.IP, &r.UserAgent, &created); err != nil {
				return err
			}
			r.CreatedAt = fromMS(created)
			out = append(out, r)
		}
		return rows.Err()
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
	err := s.queryRow(ctx, "SELECT user_id FROM password_resets WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?",
		hex.EncodeToString(hash), ms(now)).Scan(&id)
	return id, notFound(err)
}

// UseReset marks a live link used with one conditional update.
func (s *Store) UseReset(ctx context.Context, userID int64, hash []byte, now time.Time) (bool, error) {
	var id int64
	err := s.writeRow(ctx, `UPDATE password_resets SET used_at = ?
		WHERE user_id = ? AND token_hash = ? AND used_at IS NULL AND expires_at > ? RETURNING user_id`,
		ms(now), userID, hex.EncodeToString(hash), ms(now)).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("use reset link: %w", err)
	}
	return true, nil
}

// DeleteExpiredResets removes links that expired before before (used ones too).
func (s *Store) DeleteExpiredResets(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.exec(ctx, "DELETE FROM password_resets WHERE expires_at <= ?", ms(before))
	if err != nil {
		return 0, fmt.Errorf("delete expired reset links: %w", err)
	}
	return res.RowsAffected()
}
