package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/providerportal/portal/internal/twostep"
)

const methodCols = "user_id, type, label, secret, verified_at, last_step"

// The methods' statements: a sign-in lists the user's methods, a TOTP step is
// accepted once.
const (
	qMethod         = "SELECT " + methodCols + " FROM methods WHERE user_id = ? AND type = ?"
	qAcceptTOTPStep = "UPDATE methods SET last_step = ? WHERE user_id = ? AND type = 'totp' AND verified_at IS NOT NULL AND last_step < ?"
)

func scanMethod(row interface{ Scan(...any) error }) (*twostep.Method, error) {
	var m twostep.Method
	var typ, secret string
	var verified sql.NullInt64
	if err := row.Scan(&m.UserID, &typ, &m.Label, &secret, &verified, &m.LastStep); err != nil {
		return nil, notFound(err)
	}
	m.Type = twostep.MethodType(typ)
	if secret != "" {
		m.Secret = []byte(secret)
	}
	m.VerifiedAt = nullMS(verified)
	return &m, nil
}

// Methods returns the user's methods, verified and pending, in display order;
// each passkey is a verified method of type passkey (label: its name, verified:
// when it was added), read in the same query so that sign-in needs no more.
func (s *Store) Methods(ctx context.Context, userID int64) ([]twostep.Method, error) {
	rows, err := s.query(ctx, qMethodsAndPasskeys, userID, userID)
	if err != nil {
		return nil, fmt.Errorf("list methods: %w", err)
	}
	defer rows.Close()
	byType := map[twostep.MethodType]twostep.Method{}
	var passkeys []twostep.Method
	for rows.Next() {
		m, err := scanMethod(rows)
		if err != nil {
			return nil, err
		}
		if m.Type == twostep.MethodPasskey {
			passkeys = append(passkeys, *m)
			continue
		}
		byType[m.Type] = *m
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var out []twostep.Method
	for _, t := range twostep.AllMethodTypes {
		if m, ok := byType[t]; ok {
			out = append(out, m)
		}
	}
	slices.SortStableFunc(passkeys, func(a, b twostep.Method) int { return a.VerifiedAt.Compare(b.VerifiedAt) })
	return append(out, passkeys...), nil
}

// qMethodsAndPasskeys reads a user's methods and passkeys in one query.
const qMethodsAndPasskeys = "SELECT " + methodCols + " FROM methods WHERE user_id = ?" +
	" UNION ALL SELECT user_id, 'passkey', name, '', created_at, 0 FROM passkeys WHERE user_id = ?"

// Method returns one method of the user (verified or pending).
func (s *Store) Method(ctx context.Context, userID int64, t twostep.MethodType) (*twostep.Method, error) {
	return scanMethod(s.queryRow(ctx, qMethod, userID, string(t)))
}

// StartMethod stores a pending method, replacing an earlier pending one.
func (s *Store) StartMethod(ctx context.Context, m *twostep.Method) error {
	res, err := s.exec(ctx, `INSERT INTO methods (user_id, type, label, secret, verified_at, last_step, created_at)
		VALUES (?, ?, ?, ?, NULL, 0, ?)
		ON CONFLICT (user_id, type) DO UPDATE SET label = excluded.label, secret = excluded.secret,
			created_at = excluded.created_at, last_step = 0
		WHERE methods.verified_at IS NULL`,
		m.UserID, string(m.Type), m.Label, string(m.Secret), ms(m.CreatedAt))
	if err != nil {
		return fmt.Errorf("start method: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return twostep.ErrDuplicate
	}
	return nil
}

// CompleteMethod verifies the pending method m (the same label and secret as
// when its code was checked) and turns 2SV on, atomically.
func (s *Store) CompleteMethod(ctx context.Context, m *twostep.Method, at time.Time, step int64) error {
	return s.tx(ctx, func(tx *sqlTx) error {
		res, err := tx.exec(ctx, `UPDATE methods SET verified_at = ?, last_step = ?
			WHERE user_id = ? AND type = ? AND label = ? AND secret = ? AND verified_at IS NULL AND (? = 0 OR last_step < ?)`,
			ms(at), step, m.UserID, string(m.Type), m.Label, string(m.Secret), step, step)
		if err != nil {
			return fmt.Errorf("complete method: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return twostep.ErrNotFound
		}
		if _, err := tx.exec(ctx, "UPDATE users SET two_step_on = TRUE WHERE id = ?", m.UserID); err != nil {
			return fmt.Errorf("complete method: %w", err)
		}
		return nil
	})
}

// inList is "(?, ?, …)" for the types and its arguments ("(”)" for none).
func inList(types []twostep.MethodType) (string, []any) {
	if len(types) == 0 {
		return "('')", nil
	}
	args := make([]any, len(types))
	for i, t := range types {
		args[i] = string(t)
	}
	return "(" + strings.TrimSuffix(strings.Repeat("?, ", len(types)), ", ") + ")", args
}

// othersKept is the condition that the user keeps a verified method of one of
// the mustKeep types besides the one being deleted: a method of another type
// than exceptType, or a passkey (when passkeys count) other than exceptPasskey.
func othersKept(mustKeep []twostep.MethodType, userID int64, exceptType string, exceptPasskey int64) (string, []any) {
	in, inArgs := inList(mustKeep)
	cond := "EXISTS (SELECT 1 FROM methods o WHERE o.user_id = ? AND o.type <> ? AND o.verified_at IS NOT NULL AND o.type IN " + in + ")"
	args := append([]any{userID, exceptType}, inArgs...)
	if slices.Contains(mustKeep, twostep.MethodPasskey) {
		cond = "(" + cond + " OR EXISTS (SELECT 1 FROM passkeys p WHERE p.user_id = ? AND p.id <> ?))"
		args = append(args, userID, exceptPasskey)
	}
	return cond, args
}

// DeleteMethod removes a method (verified or pending) and its pending code.
// With mustKeep (the types that count, e.g. those the center allows), a
// verified method of such a type is deleted only while the user keeps another
// verified one of such a type, and that is decided in the same transaction as
// the delete: the user's row is locked first (PostgreSQL; SQLite has one
// writer), so two parallel deletes of the last two methods cannot both
// succeed (B7). Errors: twostep.ErrNotFound, twostep.ErrLastMethod.
func (s *Store) DeleteMethod(ctx context.Context, userID int64, t twostep.MethodType, mustKeep []twostep.MethodType) error {
	return s.tx(ctx, func(tx *sqlTx) error {
		if _, err := tx.exec(ctx, "UPDATE users SET two_step_on = two_step_on WHERE id = ?", userID); err != nil {
			return fmt.Errorf("delete method: lock user: %w", err)
		}
		q := "DELETE FROM methods WHERE user_id = ? AND type = ?"
		args := []any{userID, string(t)}
		if mustKeep != nil {
			in, inArgs := inList(mustKeep)
			kept, keptArgs := othersKept(mustKeep, userID, string(t), 0)
			q += " AND (verified_at IS NULL OR type NOT IN " + in + " OR " + kept + ")"
			args = append(append(args, inArgs...), keptArgs...)
		}
		res, err := tx.exec(ctx, q, args...)
		if err != nil {
			return fmt.Errorf("delete method: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			var one int
			err := tx.queryRow(ctx, "SELECT 1 FROM methods WHERE user_id = ? AND type = ?", userID, string(t)).Scan(&one)
			if errors.Is(err, sql.ErrNoRows) {
				return twostep.ErrNotFound
			}
			if err != nil {
				return fmt.Errorf("delete method: %w", err)
			}
			return twostep.ErrLastMethod
		}
		if _, err := tx.exec(ctx, "DELETE FROM codes WHERE user_id = ? AND channel = ?", userID, string(t)); err != nil {
			return fmt.Errorf("delete method codes: %w", err)
		}
		return nil
	})
}

// AcceptTOTPStep records a TOTP time step as used, once: the conditional update
// succeeds only for a step newer than every step accepted before (B4).
func (s *Store) AcceptTOTPStep(ctx context.Context, userID int64, step int64) (bool, error) {
	res, err := s.exec(ctx, qAcceptTOTPStep, step, userID, step)
	if err != nil {
		return false, fmt.Errorf("accept totp step: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}
