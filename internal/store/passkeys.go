package store

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/providerportal/portal/internal/twostep"
)

const passkeyCols = "id, user_id, credential_id, public_key, name, sign_count, backup_eligible, backup_state, aaguid, transports, attestation_fmt, created_at, last_used_at"

// The passkey statements run at sign-in (each through an index: passkeys_user,
// the credential_id key, the challenges' primary key).
const (
	qPasskeys     = "SELECT " + passkeyCols + " FROM passkeys WHERE user_id = ? ORDER BY id"
	qPasskeyOwner = "SELECT p.id, p.user_id, p.credential_id, p.public_key, p.name, p.sign_count, p.backup_eligible, p.backup_state, p.aaguid, " +
		"p.transports, p.attestation_fmt, p.created_at, p.last_used_at, " +
		"u.id, COALESCE(u.center_id, 0), u.username, u.email, u.role, u.password_hash, u.two_step_on, u.grace_logins_used, u.created_at, u.language, " + // as UserAndCenter
		centerJoinCols + " FROM passkeys p JOIN users u ON u.id = p.user_id LEFT JOIN centers c ON c.id = u.center_id WHERE p.credential_id = ?"
	qUsePasskey = `UPDATE passkeys SET sign_count = ?, backup_state = ?, last_used_at = ?
		WHERE id = ? AND (sign_count < ? OR (sign_count = 0 AND ? = 0))`
	qPutPasskeyChallenge = `INSERT INTO passkey_challenges (bound_to, purpose, challenge_hash, user_id, name, expires_at)
		VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (bound_to, purpose) DO UPDATE SET challenge_hash = excluded.challenge_hash, user_id = excluded.user_id,
			name = excluded.name, expires_at = excluded.expires_at`
	qTakePasskeyChallenge = `DELETE FROM passkey_challenges
		WHERE bound_to = ? AND purpose = ? AND challenge_hash = ? AND expires_at > ?
		RETURNING user_id, name, expires_at`
	qPurgePasskeyChallenges = `DELETE FROM passkey_challenges WHERE (bound_to, purpose) IN
		(SELECT bound_to, purpose FROM passkey_challenges WHERE expires_at <= ? LIMIT ?)`
)

// passkeyRow receives passkeyCols and turns them into a passkey.
type passkeyRow struct {
	p                               twostep.Passkey
	credID, pub, aaguid, transports string
	count, created                  int64
	used                            sql.NullInt64
}

func (r *passkeyRow) dest() []any {
	return []any{&r.p.ID, &r.p.UserID, &r.credID, &r.pub, &r.p.Name, &r.count, &r.p.BackupEligible, &r.p.BackupState, &r.aaguid, &r.transports,
		&r.p.AttestationFormat, &r.created, &r.used}
}

func (r *passkeyRow) passkey() (*twostep.Passkey, error) {
	p := r.p
	var err error
	if p.CredentialID, err = base64.RawURLEncoding.DecodeString(r.credID); err != nil {
		return nil, fmt.Errorf("passkey %d: credential id: %w", p.ID, err)
	}
	if p.PublicKey, err = base64.StdEncoding.DecodeString(r.pub); err != nil {
		return nil, fmt.Errorf("passkey %d: public key: %w", p.ID, err)
	}
	if p.AAGUID, err = base64.StdEncoding.DecodeString(r.aaguid); err != nil {
		return nil, fmt.Errorf("passkey %d: aaguid: %w", p.ID, err)
	}
	if r.transports != "" {
		p.Transports = strings.Split(r.transports, ",")
	}
	p.SignCount = uint32(r.count)
	p.CreatedAt, p.LastUsedAt = fromMS(r.created), nullMS(r.used)
	return &p, nil
}

// Passkeys lists the user's passkeys, oldest first.
func (s *Store) Passkeys(ctx context.Context, userID int64) ([]twostep.Passkey, error) {
	rows, err := s.query(ctx, qPasskeys, userID)
	if err != nil {
		return nil, fmt.Errorf("list passkeys: %w", err)
	}
	defer rows.Close()
	var out []twostep.Passkey
	for rows.Next() {
		var r passkeyRow
		if err := rows.Scan(r.dest()...); err != nil {
			return nil, err
		}
		p, err := r.passkey()
		if err != nil {
			return nil, err
		}
		out = append(out, *p)
	}
	return out, rows.Err()
}

// PasskeyOwner finds a passkey by credential id with its user and center, in one query.
func (s *Store) PasskeyOwner(ctx context.Context, credentialID []byte) (*twostep.Passkey, *twostep.User, *twostep.Center, error) {
	row := s.queryRow(ctx, qPasskeyOwner, base64.RawURLEncoding.EncodeToString(credentialID))
	var r passkeyRow
	u, c, err := scanUserCenter(row, r.dest()...)
	if err != nil {
		return nil, nil, nil, err
	}
	p, err := r.passkey()
	if err != nil {
		return nil, nil, nil, err
	}
	return p, u, c, nil
}

// AddPasskey stores a verified passkey and turns 2SV on. The user's row is
// written first: on PostgreSQL that locks it, so concurrent additions for one
// person take turns and each counts the passkeys the others committed; SQLite
// has one writer anyway.
func (s *Store) AddPasskey(ctx context.Context, p *twostep.Passkey, limit int) error {
	return s.tx(ctx, func(tx *sqlTx) error {
		res, err := tx.exec(ctx, "UPDATE users SET two_step_on = TRUE WHERE id = ?", p.UserID)
		if err != nil {
			return fmt.Errorf("add passkey: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return twostep.ErrNotFound
		}
		err = tx.queryRow(ctx, `INSERT INTO passkeys (user_id, credential_id, public_key, name, sign_count, backup_eligible, backup_state,
				aaguid, transports, attestation_fmt, created_at, last_used_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL) RETURNING id`,
			p.UserID, base64.RawURLEncoding.EncodeToString(p.CredentialID), base64.StdEncoding.EncodeToString(p.PublicKey), p.Name,
			int64(p.SignCount), p.BackupEligible, p.BackupState, base64.StdEncoding.EncodeToString(p.AAGUID), strings.Join(p.Transports, ","),
			p.AttestationFormat, ms(p.CreatedAt)).Scan(&p.ID)
		if isUnique(err) {
			return twostep.ErrDuplicate
		}
		if err != nil {
			return fmt.Errorf("add passkey: %w", err)
		}
		var n int
		if err := tx.queryRow(ctx, "SELECT COUNT(*) FROM passkeys WHERE user_id = ?", p.UserID).Scan(&n); err != nil {
			return fmt.Errorf("add passkey: %w", err)
		}
		if n > limit {
			return twostep.ErrLimit // rolled back with the rest
		}
		return nil
	})
}

// UsePasskey records a use if the sign counter moved forward (or both are 0).
func (s *Store) UsePasskey(ctx context.Context, id int64, signCount uint32, backupState bool, at time.Time) (bool, error) {
	n := int64(signCount)
	res, err := s.exec(ctx, qUsePasskey, n, backupState, ms(at), id, n, n)
	if err != nil {
		return false, fmt.Errorf("use passkey: %w", err)
	}
	changed, _ := res.RowsAffected()
	return changed == 1, nil
}

// DeletePasskey removes one of the user's passkeys. With mustKeep holding
// passkey, only while the user keeps another verified method of the mustKeep
// types, decided with the delete: the user's row is locked first, as in
// DeleteMethod.
func (s *Store) DeletePasskey(ctx context.Context, userID, id int64, mustKeep []twostep.MethodType) error {
	return s.tx(ctx, func(tx *sqlTx) error {
		if _, err := tx.exec(ctx, "UPDATE users SET two_step_on = two_step_on WHERE id = ?", userID); err != nil {
			return fmt.Errorf("delete passkey: lock user: %w", err)
		}
		q := "DELETE FROM passkeys WHERE id = ? AND user_id = ?"
		args := []any{id, userID}
		if slices.Contains(mustKeep, twostep.MethodPasskey) {
			kept, keptArgs := othersKept(mustKeep, userID, string(twostep.MethodPasskey), id)
			q += " AND " + kept
			args = append(args, keptArgs...)
		}
		res, err := tx.exec(ctx, q, args...)
		if err != nil {
			return fmt.Errorf("delete passkey: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			var one int
			err := tx.queryRow(ctx, "SELECT 1 FROM passkeys WHERE id = ? AND user_id = ?", id, userID).Scan(&one)
			if errors.Is(err, sql.ErrNoRows) {
				return twostep.ErrNotFound
			}
			if err != nil {
				return fmt.Errorf("delete passkey: %w", err)
			}
			return twostep.ErrLastMethod
		}
		return nil
	})
}

// PutPasskeyChallenge stores a challenge, replacing the binding's earlier one of that purpose.
func (s *Store) PutPasskeyChallenge(ctx context.Context, c *twostep.PasskeyChallenge) error {
	_, err := s.exec(ctx, qPutPasskeyChallenge,
		c.BoundTo, string(c.Purpose), c.ChallengeHash, c.UserID, c.Name, ms(c.ExpiresAt))
	if err != nil {
		return fmt.Errorf("store passkey challenge: %w", err)
	}
	return nil
}

// TakePasskeyChallenge uses a challenge once: one conditional DELETE … RETURNING.
func (s *Store) TakePasskeyChallenge(ctx context.Context, boundTo string, p twostep.PasskeyPurpose, challengeHash string, now time.Time) (*twostep.PasskeyChallenge, error) {
	c := twostep.PasskeyChallenge{BoundTo: boundTo, Purpose: p, ChallengeHash: challengeHash}
	var expires int64
	err := s.writeRow(ctx, qTakePasskeyChallenge, boundTo, string(p), challengeHash, ms(now)).Scan(&c.UserID, &c.Name, &expires)
	if err != nil {
		return nil, notFound(err)
	}
	c.ExpiresAt = fromMS(expires)
	return &c, nil
}

// DeleteExpiredPasskeyChallenges purges challenges that expired by now, in
// batches.
func (s *Store) DeleteExpiredPasskeyChallenges(ctx context.Context, now time.Time) (int64, error) {
	n, err := s.deleteBatches(ctx, qPurgePasskeyChallenges, PurgeOptions{}, ms(now))
	if err != nil {
		return n, fmt.Errorf("purge passkey challenges: %w", err)
	}
	return n, nil
}
