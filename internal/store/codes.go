package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/providerportal/portal/internal/twostep"
)

// The codes' statements: a code is issued, tried and consumed by its key
// (user, purpose, channel).
const (
	qIssueCode = `INSERT INTO codes (user_id, purpose, channel, destination, code_hash, created_at, expires_at, attempts_left, consumed_at, outbox_id)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, ?)
		ON CONFLICT (user_id, purpose, channel) DO UPDATE SET destination = excluded.destination,
			code_hash = excluded.code_hash, created_at = excluded.created_at, expires_at = excluded.expires_at,
			attempts_left = excluded.attempts_left, consumed_at = NULL, outbox_id = excluded.outbox_id
		WHERE codes.created_at <= ?`
	qCodeCreated = "SELECT created_at FROM codes WHERE user_id = ? AND purpose = ? AND channel = ?"
	qConsumeCode = `UPDATE codes SET consumed_at = ?
		WHERE user_id = ? AND purpose = ? AND channel = ? AND code_hash = ?
		AND consumed_at IS NULL AND expires_at > ? AND attempts_left > 0
		RETURNING destination`
	qSpendCodeTry = `UPDATE codes SET attempts_left = attempts_left - 1
		WHERE user_id = ? AND purpose = ? AND channel = ? AND code_hash <> ?
		AND consumed_at IS NULL AND expires_at > ? AND attempts_left > 0
		RETURNING attempts_left`
	qCodeState = "SELECT expires_at, consumed_at FROM codes WHERE user_id = ? AND purpose = ? AND channel = ?"
	qCodeInfo  = `SELECT c.destination, c.created_at, c.expires_at, c.consumed_at, c.attempts_left, o.status
		FROM codes c LEFT JOIN outbox o ON o.id = c.outbox_id
		WHERE c.user_id = ? AND c.purpose = ? AND c.channel = ?`
)

// IssueCode replaces the current code and queues its message in one transaction,
// unless the current code is younger than the resend cutoff.
func (s *Store) IssueCode(ctx context.Context, c *twostep.NewCode) (bool, time.Time, error) {
	var last time.Time
	cooling := errors.New("cooling down")
	err := s.tx(ctx, func(tx *sqlTx) error {
		id, err := insertOutbox(ctx, tx, &c.Message)
		if err != nil {
			return err
		}
		res, err := tx.exec(ctx, qIssueCode,
			c.UserID, string(c.Purpose), string(c.Channel), c.Destination, c.Hash, ms(c.CreatedAt), ms(c.ExpiresAt), c.Attempts, id, ms(c.ResendCutoff))
		if err != nil {
			return fmt.Errorf("store code: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			var created int64
			if err := tx.queryRow(ctx, qCodeCreated,
				c.UserID, string(c.Purpose), string(c.Channel)).Scan(&created); err != nil {
				return fmt.Errorf("read code: %w", err)
			}
			last = fromMS(created)
			return cooling
		}
		c.Message.ID = id
		return nil
	})
	if errors.Is(err, cooling) {
		return false, last, nil
	}
	if err != nil {
		return false, time.Time{}, err
	}
	s.notifyQueued()
	return true, time.Time{}, nil
}

// ConsumeCode uses the code once if hash matches, or spends one try. Both are
// single conditional updates, so of many concurrent requests with the right code
// exactly one is accepted, and wrong guesses can never exceed the tries.
func (s *Store) ConsumeCode(ctx context.Context, userID int64, p twostep.CodePurpose, ch twostep.MethodType, hash string, now time.Time) (twostep.CodeResult, error) {
	var r twostep.CodeResult
	err := s.writeRow(ctx, qConsumeCode, ms(now), userID, string(p), string(ch), hash, ms(now)).Scan(&r.Destination)
	if err == nil {
		r.Outcome = twostep.CodeAccepted
		return r, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("consume code: %w", err)
	}
	err = s.writeRow(ctx, qSpendCodeTry, userID, string(p), string(ch), hash, ms(now)).Scan(&r.AttemptsLeft)
	if err == nil {
		r.Outcome = twostep.CodeWrong
		return r, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("spend code try: %w", err)
	}
	var expires int64
	var consumed sql.NullInt64
	err = s.queryRow(ctx, qCodeState,
		userID, string(p), string(ch)).Scan(&expires, &consumed)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		r.Outcome = twostep.CodeDead
	case err != nil:
		return r, fmt.Errorf("read code: %w", err)
	case !consumed.Valid && expires <= ms(now):
		r.Outcome = twostep.CodeExpired
	default:
		r.Outcome = twostep.CodeDead
	}
	return r, nil
}

// CodeInfo describes the current code of a user for a purpose and channel.
func (s *Store) CodeInfo(ctx context.Context, userID int64, p twostep.CodePurpose, ch twostep.MethodType) (*twostep.CodeInfo, error) {
	var ci twostep.CodeInfo
	var created, expires int64
	var consumed sql.NullInt64
	var attempts int
	var status sql.NullString
	err := s.queryRow(ctx, qCodeInfo, userID, string(p), string(ch)).Scan(&ci.Destination, &created, &expires, &consumed, &attempts, &status)
	if err != nil {
		return nil, notFound(err)
	}
	ci.CreatedAt, ci.ExpiresAt = fromMS(created), fromMS(expires)
	ci.Usable = !consumed.Valid && attempts > 0
	ci.Delivery = status.String
	return &ci, nil
}
