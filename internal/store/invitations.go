package store

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/providerportal/portal/internal/twostep"
)

const invitationCols = "id, center_id, username, email, role, language, invited_by, created_at, expires_at"

func scanInvitation(row scanner, extra ...any) (*twostep.Invitation, error) {
	var inv twostep.Invitation
	var role string
	var created, expires int64
	if err := row.Scan(append([]any{&inv.ID, &inv.CenterID, &inv.Username, &inv.Email, &role, &inv.Language, &inv.InvitedBy, &created, &expires}, extra...)...); err != nil {
		return nil, notFound(err)
	}
	inv.Role = twostep.Role(role)
	inv.CreatedAt, inv.ExpiresAt = fromMS(created), fromMS(expires)
	return &inv, nil
}

// CreateInvitation stores a pending invitation under the usernames lock: a
// username a user has is refused, an expired invitation's is taken over.
func (s *Store) CreateInvitation(ctx context.Context, inv *twostep.Invitation, hash []byte) error {
	key := strings.ToLower(inv.Username)
	return s.tx(ctx, func(t *sqlTx) error {
		if err := lockUsernames(ctx, t); err != nil {
			return err
		}
		var users int
		if err := t.queryRow(ctx, "SELECT COUNT(*) FROM users WHERE username_key = ?", key).Scan(&users); err != nil {
			return fmt.Errorf("create invitation: %w", err)
		}
		if users > 0 {
			return twostep.ErrDuplicate
		}
		if _, err := t.exec(ctx, "DELETE FROM invitations WHERE username_key = ? AND expires_at <= ?", key, ms(inv.CreatedAt)); err != nil {
			return fmt.Errorf("create invitation: %w", err)
		}
		err := t.queryRow(ctx, `INSERT INTO invitations (center_id, username, username_key, email, role, language, token_hash, invited_by, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, inv.CenterID, inv.Username, key, inv.Email, string(inv.Role), inv.Language,
			hex.EncodeToString(hash), inv.InvitedBy, ms(inv.CreatedAt), ms(inv.ExpiresAt)).Scan(&inv.ID)
		if isUnique(err) {
			return twostep.ErrDuplicate
		}
		if err != nil {
			return fmt.Errorf("create invitation: %w", err)
		}
		return nil
	})
}

// RenewInvitation gives a pending invitation a new token hash and times.
func (s *Store) RenewInvitation(ctx context.Context, centerID int64, username string, hash []byte, created, expires time.Time) (*twostep.Invitation, error) {
	inv, err := scanInvitation(s.writeRow(ctx, `UPDATE invitations SET token_hash = ?, created_at = ?, expires_at = ?
		WHERE center_id = ? AND username_key = ? AND expires_at > ? RETURNING `+invitationCols,
		hex.EncodeToString(hash), ms(created), ms(expires), centerID, strings.ToLower(username), ms(created)))
	if err != nil && !errors.Is(err, twostep.ErrNotFound) {
		return nil, fmt.Errorf("renew invitation: %w", err)
	}
	return inv, err
}

// DeleteInvitation revokes a pending invitation.
func (s *Store) DeleteInvitation(ctx context.Context, centerID int64, username string, now time.Time) error {
	res, err := s.exec(ctx, "DELETE FROM invitations WHERE center_id = ? AND username_key = ? AND expires_at > ?",
		centerID, strings.ToLower(username), ms(now))
	if err != nil {
		return fmt.Errorf("revoke invitation: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return twostep.ErrNotFound
	}
	return nil
}

// Invitations lists a center's pending invitations by username.
func (s *Store) Invitations(ctx context.Context, centerID int64, now time.Time) ([]twostep.Invitation, error) {
	rows, err := s.query(ctx, "SELECT "+invitationCols+" FROM invitations WHERE center_id = ? AND expires_at > ? ORDER BY username_key", centerID, ms(now))
	if err != nil {
		return nil, fmt.Errorf("list invitations: %w", err)
	}
	defer rows.Close()
	out := []twostep.Invitation{}
	for rows.Next() {
		inv, err := scanInvitation(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *inv)
	}
	return out, rows.Err()
}

// The invitations' statements: a link is read and accepted by its token's
// hash; expired ones are purged in batches.
const (
	qInvitationByHash = `SELECT i.id, i.center_id, i.username, i.email, i.role, i.language, i.invited_by, i.created_at, i.expires_at, c.name
		FROM invitations i JOIN centers c ON c.id = i.center_id WHERE i.token_hash = ? AND i.expires_at > ?`
	qAcceptInvitation = `DELETE FROM invitations WHERE token_hash = ? AND expires_at > ? RETURNING center_id, username, email, role`
	qPurgeInvitations = "DELETE FROM invitations WHERE id IN (SELECT id FROM invitations WHERE expires_at <= ? LIMIT ?)"
)

// InvitationByHash returns the pending invitation of a link, with its center's name.
func (s *Store) InvitationByHash(ctx context.Context, hash []byte, now time.Time) (*twostep.Invitation, error) {
	var center string
	inv, err := scanInvitation(s.queryRow(ctx, qInvitationByHash, hex.EncodeToString(hash), ms(now)), &center)
	if inv != nil {
		inv.Center = center
	}
	return inv, err
}

// AcceptInvitation deletes the pending invitation of a link and creates its
// user in one transaction; the conditional delete makes the link work once.
func (s *Store) AcceptInvitation(ctx context.Context, hash []byte, now time.Time, u *twostep.User) error {
	return s.tx(ctx, func(t *sqlTx) error {
		if err := lockUsernames(ctx, t); err != nil {
			return err
		}
		var role string
		err := t.queryRow(ctx, qAcceptInvitation, hex.EncodeToString(hash), ms(now)).Scan(&u.CenterID, &u.Username, &u.Email, &role)
		if errors.Is(err, sql.ErrNoRows) {
			return twostep.ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("accept invitation: %w", err)
		}
		u.Role = twostep.Role(role)
		return insertUser(ctx, t, u)
	})
}

// DeleteExpiredInvitations removes invitations that expired before before,
// in batches.
func (s *Store) DeleteExpiredInvitations(ctx context.Context, before time.Time) (int64, error) {
	n, err := s.deleteBatches(ctx, qPurgeInvitations, PurgeOptions{}, ms(before))
	if err != nil {
		return n, fmt.Errorf("delete expired invitations: %w", err)
	}
	return n, nil
}
