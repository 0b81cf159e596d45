package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/providerportal/portal/internal/twostep"
)

// The guards' statements: every password attempt counts under two throttle
// keys, every second-step attempt on the user's row.
const (
	qThrottleUpsert = `
		ON CONFLICT (key) DO UPDATE SET
			hits = CASE WHEN throttle.window_start <= ? THEN 1 ELSE throttle.hits + 1 END,
			window_start = CASE WHEN throttle.window_start <= ? THEN excluded.window_start ELSE throttle.window_start END
		RETURNING key, hits, window_start`
	qSettleThrottles = `UPDATE throttle SET hits = CASE WHEN key = ? THEN 0 ELSE hits - 1 END
		WHERE key = ? OR (key = ? AND hits > 0)`
	qUndoThrottleHit = "UPDATE throttle SET hits = hits - 1 WHERE key = ? AND hits > 0"
	qResetThrottle   = "DELETE FROM throttle WHERE key = ?"
	qReserveAttempt  = "UPDATE users SET second_step_failures = second_step_failures + 1 WHERE id = ? AND locked_until <= ? AND second_step_failures < ? RETURNING second_step_failures"
	qReleaseAttempt  = "UPDATE users SET second_step_failures = second_step_failures - 1 WHERE id = ? AND second_step_failures > 0"
	qLockSecondStep  = "UPDATE users SET locked_until = ?, second_step_failures = 0 WHERE id = ?"
	qResetFailures   = "UPDATE users SET second_step_failures = 0 WHERE id = ? AND second_step_failures <> 0"
	qLockedUntil     = "SELECT locked_until FROM users WHERE id = ?"
	qUseRecoveryCode = "UPDATE recovery_codes SET used_at = ? WHERE user_id = ? AND code_hash = ? AND used_at IS NULL"
	qCountRecovery   = "SELECT COUNT(*) FROM recovery_codes WHERE user_id = ? AND used_at IS NULL"
	qAnyRecovery     = "SELECT COUNT(*) FROM recovery_codes WHERE user_id = ?"
	qDeleteRecovery  = "DELETE FROM recovery_codes WHERE user_id = ?"
	qInsertRecovery  = "INSERT INTO recovery_codes (user_id, code_hash) VALUES (?, ?)"
	qHitThrottleOne  = "INSERT INTO throttle (key, window_start, hits) VALUES (?, ?, 1)" + qThrottleUpsert
	qHitThrottleTwo  = "INSERT INTO throttle (key, window_start, hits) VALUES (?, ?, 1), (?, ?, 1)" + qThrottleUpsert
)

// hitThrottlesSQL counts one attempt under each of n keys with one upsert.
func hitThrottlesSQL(n int) string {
	switch n {
	case 1:
		return qHitThrottleOne
	case 2:
		return qHitThrottleTwo
	}
	return "INSERT INTO throttle (key, window_start, hits) VALUES " + strings.Repeat("(?, ?, 1), ", n-1) + "(?, ?, 1)" + qThrottleUpsert
}

// HitThrottle counts one attempt in key's fixed window with one upsert.
func (s *Store) HitThrottle(ctx context.Context, key string, now time.Time, window time.Duration) (int, time.Time, error) {
	var hits int
	var start int64
	cutoff := ms(now.Add(-window))
	err := s.writeRowOn(ctx, s.counterDB(), qHitThrottleOne, key, ms(now), cutoff, cutoff).Scan(&key, &hits, &start)
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("throttle: %w", err)
	}
	return hits, fromMS(start), nil
}

// HitThrottles counts one attempt under each key with a single multi-row upsert.
func (s *Store) HitThrottles(ctx context.Context, keys []string, now time.Time, window time.Duration) ([]int, []time.Time, error) {
	cutoff := ms(now.Add(-window))
	q := hitThrottlesSQL(len(keys))
	args := make([]any, 0, 2*len(keys)+2)
	for _, k := range keys {
		args = append(args, k, ms(now))
	}
	args = append(args, cutoff, cutoff)
	hits := make([]int, len(keys))
	starts := make([]time.Time, len(keys))
	err := s.writeRows(ctx, s.counterDB(), q, args, func(row scanner) error {
		var k string
		var n int
		var st int64
		if err := row.Scan(&k, &n, &st); err != nil {
			return err
		}
		for i := range keys {
			if keys[i] == k {
				hits[i], starts[i] = n, fromMS(st)
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("throttle: %w", err)
	}
	return hits, starts, nil
}

// SettleThrottles forgets reset's attempts and takes one back from undo.
func (s *Store) SettleThrottles(ctx context.Context, reset, undo string) error {
	if s.in == nil {
		_, err := s.execOn(ctx, s.counterDB(), qSettleThrottles, reset, reset, undo)
		if err != nil {
			return fmt.Errorf("throttle: %w", err)
		}
		return nil
	}
	if err := s.later(ctx, qSettleThrottles, []any{reset, reset, undo}); err != nil {
		return fmt.Errorf("throttle: %w", err)
	}
	return nil
}

// UndoThrottleHit takes back one counted attempt.
func (s *Store) UndoThrottleHit(ctx context.Context, key string) error {
	if _, err := s.execOn(ctx, s.counterDB(), qUndoThrottleHit, key); err != nil {
		return fmt.Errorf("throttle: %w", err)
	}
	return nil
}

// ResetThrottle forgets key's attempts.
func (s *Store) ResetThrottle(ctx context.Context, key string) error {
	if _, err := s.execOn(ctx, s.counterDB(), qResetThrottle, key); err != nil {
		return fmt.Errorf("throttle: %w", err)
	}
	return nil
}

// ReserveSecondStepAttempt counts an attempt unless locked or at the threshold.
func (s *Store) ReserveSecondStepAttempt(ctx context.Context, userID int64, now time.Time, threshold int) (int, bool, error) {
	var n int
	err := s.writeRowOn(ctx, s.counterDB(), qReserveAttempt, userID, ms(now), threshold).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("reserve attempt: %w", err)
	}
	return n, true, nil
}

// ReleaseSecondStepAttempt takes back one reserved attempt.
func (s *Store) ReleaseSecondStepAttempt(ctx context.Context, userID int64) error {
	if _, err := s.execOn(ctx, s.counterDB(), qReleaseAttempt, userID); err != nil {
		return fmt.Errorf("release attempt: %w", err)
	}
	return nil
}

// LockSecondStep locks the user's second step until until.
func (s *Store) LockSecondStep(ctx context.Context, userID int64, until time.Time) error {
	if _, err := s.exec(ctx, qLockSecondStep, ms(until), userID); err != nil {
		return fmt.Errorf("lock second step: %w", err)
	}
	return nil
}

// ResetSecondStepFailures clears the consecutive failure count.
func (s *Store) ResetSecondStepFailures(ctx context.Context, userID int64) error {
	if err := s.later(ctx, qResetFailures, []any{userID}); err != nil {
		return fmt.Errorf("reset failures: %w", err)
	}
	return nil
}

// LockedUntil returns when the user's second-step lock ends (zero when never locked).
func (s *Store) LockedUntil(ctx context.Context, userID int64) (time.Time, error) {
	var until int64
	if err := s.queryRow(ctx, qLockedUntil, userID).Scan(&until); err != nil {
		return time.Time{}, notFound(err)
	}
	return fromMS(until), nil
}

// ReplaceRecoveryCodes replaces the user's recovery codes with hashes.
func (s *Store) ReplaceRecoveryCodes(ctx context.Context, userID int64, hashes []string) error {
	return s.tx(ctx, func(tx *sqlTx) error {
		if _, err := tx.exec(ctx, qDeleteRecovery, userID); err != nil {
			return fmt.Errorf("replace recovery codes: %w", err)
		}
		for _, h := range hashes {
			if _, err := tx.exec(ctx, qInsertRecovery, userID, h); err != nil {
				return fmt.Errorf("replace recovery codes: %w", err)
			}
		}
		return nil
	})
}

// AddFirstRecoveryCodes gives the user recovery codes only while they have
// none at all, used or not (a set that is used up is renewed only with the
// password, B7), decided in the same transaction as the write: the user's row
// is locked first (PostgreSQL; SQLite has one writer), so two requests at once
// cannot both hand out a first set. added is false when they had a set.
func (s *Store) AddFirstRecoveryCodes(ctx context.Context, userID int64, hashes []string) (added bool, err error) {
	err = s.tx(ctx, func(tx *sqlTx) error {
		if _, err := tx.exec(ctx, "UPDATE users SET two_step_on = two_step_on WHERE id = ?", userID); err != nil {
			return fmt.Errorf("first recovery codes: lock user: %w", err)
		}
		var had int
		if err := tx.queryRow(ctx, qAnyRecovery, userID).Scan(&had); err != nil {
			return fmt.Errorf("first recovery codes: %w", err)
		}
		if had > 0 {
			return nil
		}
		for _, h := range hashes {
			if _, err := tx.exec(ctx, qInsertRecovery, userID, h); err != nil {
				return fmt.Errorf("first recovery codes: %w", err)
			}
		}
		added = true
		return nil
	})
	return added, err
}

// UseRecoveryCode spends a recovery code once.
func (s *Store) UseRecoveryCode(ctx context.Context, userID int64, hash string, at time.Time) (bool, error) {
	res, err := s.exec(ctx, qUseRecoveryCode, ms(at), userID, hash)
	if err != nil {
		return false, fmt.Errorf("use recovery code: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// CountRecoveryCodes counts the user's unused recovery codes.
func (s *Store) CountRecoveryCodes(ctx context.Context, userID int64) (int, error) {
	var n int
	if err := s.queryRow(ctx, qCountRecovery, userID).Scan(&n); err != nil {
		return 0, fmt.Errorf("count recovery codes: %w", err)
	}
	return n, nil
}

var _ twostep.Store = (*Store)(nil)
